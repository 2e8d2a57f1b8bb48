#include "core/yaml_document.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "weir/error.hpp"

namespace weir::config {

std::string Document::resolve_path(std::string_view path) const {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.string();
  return (base_dir / p).lexically_normal().string();
}

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string interpolate(std::string_view text, const EnvLookup& env) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto dollar = text.find('$', pos);
    if (dollar == std::string_view::npos) break;
    out.append(text.substr(pos, dollar - pos));
    if (text.substr(dollar).starts_with("$${")) {
      out += "${";
      pos = dollar + 3;
      continue;
    }
    if (!text.substr(dollar).starts_with("${")) {
      out += '$';
      pos = dollar + 1;
      continue;
    }
    auto close = text.find('}', dollar);
    if (close == std::string_view::npos)
      throw Error(ErrorKind::config, fmt::format("unclosed `${{` in `{}`", text));
    std::string_view body = text.substr(dollar + 2, close - dollar - 2);
    auto sep = body.find(":-");
    std::string_view name = body.substr(0, sep);
    if (name.empty()) throw Error(ErrorKind::config, "empty variable name in `${}`");
    if (auto value = env(name); value && !(sep != std::string_view::npos && value->empty())) {
      out += *value;
    } else if (sep != std::string_view::npos) {
      out += body.substr(sep + 2);
    } else {
      throw Error(ErrorKind::config,
                  fmt::format("environment variable {} is not set (write ${{{}:-default}} for a fallback)", name, name));
    }
    pos = close + 1;
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

namespace {

void interpolate_tree(YAML::Node node, const std::string& path, const EnvLookup& env, Diagnostics& d) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s.find('$') == std::string::npos) return;
    try {
      node = interpolate(s, env);
    } catch (const Error& e) {
      d.add(node, path, e.what());
    }
  } else if (node.IsMap()) {
    for (auto entry : node)
      interpolate_tree(entry.second, path.empty() ? entry.first.Scalar() : path + "." + entry.first.Scalar(), env, d);
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) interpolate_tree(node[i], fmt::format("{}[{}]", path, i), env, d);
  }
}

}  // namespace

Document parse_document(std::string_view text, const std::string& name, const EnvLookup& env) {
  Document doc;
  doc.file = name;
  doc.base_dir = std::filesystem::absolute(std::filesystem::path(name)).parent_path();
  try {
    doc.root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::config, fmt::format("{}:{}:{}: invalid YAML: {}", name, e.mark.line + 1,
                                               e.mark.column + 1, e.msg));
  }
  if (doc.root.IsNull()) doc.root = YAML::Node(YAML::NodeType::Map);
  if (!doc.root.IsMap()) throw Error(ErrorKind::config, fmt::format("{}: expected a YAML map at the top", name));
  Diagnostics d(name);
  interpolate_tree(doc.root, "", env, d);
  d.throw_if_any();
  return doc;
}

Document load_document(const std::string& file, const EnvLookup& env) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::config, fmt::format("cannot read config file `{}`", file));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_document(text.str(), file, env);
}

}  // namespace weir::config
