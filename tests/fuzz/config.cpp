// The YAML config loader as `weir validate` and `weir run` read a file: parsed, ${VAR}s
// expanded, then every connection, module, state, dead-letter and max_errors block validated
// (build_project connects to nothing). Bad input must come back as one Error{config} listing
// the problems; any other exception, kind or fault is a bug.
#include <cstddef>
#include <cstdint>
#include <map>

#include "core/yaml_document.hpp"
#include "fuzz_check.hpp"
#include "pipeline/project.hpp"

namespace weir::fuzz {
namespace {

// A fixed environment, so a run does not depend on the machine's.
config::EnvLookup fixed_env() {
  static const std::map<std::string, std::string, std::less<>> vars{
      {"HOST", "127.0.0.1"}, {"DB", "shop"}, {"EMPTY", ""}, {"TABLE", "orders"}, {"URL", "sqlite::memory:"}};
  return [](std::string_view name) -> std::optional<std::string> {
    if (auto it = vars.find(name); it != vars.end()) return it->second;
    return std::nullopt;
  };
}

void check(std::string_view text) {
  // A folder that does not exist: relative paths in the file (init scripts, secret files,
  // SQLite databases) resolve into it, so nothing of the machine's is read.
  static const config::EnvLookup env = fixed_env();
  try {
    pipeline::Project project = pipeline::build_project(config::parse_document(text, "/nonexistent/fuzz/weir.yaml", env));
    for (const pipeline::Pipeline& p : project.pipelines)
      require(p.input && p.output && p.state && p.dead_letters, "a loaded pipeline lacks a stage");
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
  }
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check({reinterpret_cast<const char*>(data), size});
  return 0;
}
