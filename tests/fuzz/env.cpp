// `${VAR}` and `${VAR:-default}` expansion, which every scalar of a config file goes through.
// Invariants: text without `${` comes back unchanged, and any text with each `${` escaped as
// `$${` comes back as written (the escape is the documented way to keep a literal `${`).
#include <cstddef>
#include <cstdint>
#include <map>

#include "core/yaml_document.hpp"
#include "fuzz_check.hpp"

namespace weir::fuzz {
namespace {

std::optional<std::string> fixed_env(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> vars{
      {"A", "1"}, {"HOST", "db.example.com"}, {"EMPTY", ""}, {"DOLLAR", "${A}"}, {"PW", "p@ss:w/rd%"}};
  if (auto it = vars.find(name); it != vars.end()) return it->second;
  return std::nullopt;
}

std::string escaped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') out += '$';
    out += text[i];
  }
  return out;
}

void check(std::string_view text) {
  const config::EnvLookup env = fixed_env;
  std::string expanded;
  try {
    expanded = config::interpolate(text, env);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
    require(text.find("${") != std::string_view::npos, fmt::format("`{}` has no `${{` yet failed: {}", text, e.what()));
  }
  if (text.find("${") == std::string_view::npos)
    require(expanded == text, fmt::format("`{}` has no `${{` yet expanded to `{}`", text, expanded));

  std::string literal = escaped(text);
  try {
    std::string back = config::interpolate(literal, env);
    require(back == text, fmt::format("`{}` escaped as `{}` expands to `{}`", text, literal, back));
  } catch (const Error& e) {
    require(false, fmt::format("`{}` escaped as `{}` does not expand: {}", text, literal, e.what()));
  }
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check({reinterpret_cast<const char*>(data), size});
  return 0;
}
