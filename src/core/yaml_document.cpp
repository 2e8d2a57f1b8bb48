#include "core/yaml_document.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
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

namespace {

// Whether the YAML path `path` is `prefix` or lies under it ("" holds every path).
bool is_under(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

}  // namespace

YAML::Node Document::node_at(std::string_view path) const {
  // reset(), not assignment: assigning a yaml-cpp node would overwrite the tree's content.
  YAML::Node at;
  at.reset(root);
  while (!path.empty()) {
    const YAML::Node& here = at;
    if (path.front() == '[') {
      auto close = path.find(']');
      std::size_t index = 0;
      if (close == std::string_view::npos ||
          std::from_chars(path.data() + 1, path.data() + close, index).ec != std::errc{} || !here.IsSequence() ||
          index >= here.size())
        break;
      at.reset(here[index]);
      path.remove_prefix(close + 1);
    } else {
      auto end = path.find_first_of(".[");
      std::string key(path.substr(0, end));
      if (!here.IsMap() || !here[key]) break;
      at.reset(here[key]);
      path.remove_prefix(end == std::string_view::npos ? path.size() : end);
    }
    if (path.starts_with('.')) path.remove_prefix(1);
  }
  return at;
}

std::string Document::locate(std::string_view message) const {
  std::string_view path = message.substr(0, message.find(": "));
  if (path.size() == message.size() || path.find(' ') != std::string_view::npos)
    return fmt::format("{}: {}", file, message);
  return fmt::format("{}: {}", location_of(node_at(path), file).to_string(), message);
}

bool Document::has_unresolved(std::string_view path) const {
  return std::any_of(unresolved.begin(), unresolved.end(), [&](const Unresolved& u) { return is_under(u.path, path); });
}

bool Document::report_unresolved(std::string_view path, Diagnostics& d) const {
  bool any = false;
  for (const Unresolved& u : unresolved) {
    if (!is_under(u.path, path)) continue;
    d.add(u.node, u.path, u.message);
    d.settle(u.path);
    any = true;
  }
  return any;
}

bool is_variable_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
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
    if (!is_variable_name(name))
      throw Error(ErrorKind::config, "`${…}` holds something that is not a valid environment variable name "
                                     "(letters, digits and _); it is not shown, in case it is a secret");
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

void interpolate_tree(YAML::Node node, const std::string& path, const EnvLookup& env,
                      std::vector<Unresolved>& unresolved) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s.find('$') == std::string::npos) return;
    try {
      node = interpolate(s, env);
    } catch (const Error& e) {
      unresolved.push_back({path, node, e.what()});
    }
  } else if (node.IsMap()) {
    for (auto entry : node)
      interpolate_tree(entry.second, path.empty() ? entry.first.Scalar() : path + "." + entry.first.Scalar(), env,
                       unresolved);
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      interpolate_tree(node[i], fmt::format("{}[{}]", path, i), env, unresolved);
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
  interpolate_tree(doc.root, "", env, doc.unresolved);
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
