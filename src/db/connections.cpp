#include "db/connections.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/text.hpp"
#include "db/url_options.hpp"
#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::db {
namespace {

using config::Field;
using config::Spec;

const Spec& secret_spec() {
  static const Spec spec{
      "password",
      "Where to read a secret from; give exactly one of the two.",
      {
          Field{.name = "env", .description = "Name of the environment variable holding the secret.",
                .example = "SHOP_PASSWORD"},
          Field{.name = "file", .description = "File holding the secret (trailing newline ignored), e.g. a Docker or Kubernetes secret.",
                .example = "/run/secrets/shop"},
      }};
  return spec;
}

std::string read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::config, fmt::format("cannot read secret file `{}`", path));
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = std::move(text).str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The password from a scalar, {env: NAME} or {file: PATH}; nullopt after a diagnostic.
std::optional<std::string> read_password(const YAML::Node& node, const std::string& path,
                                         const config::Document& doc, config::Diagnostics& d) {
  if (node.IsScalar()) return node.Scalar();
  bool has_env = node["env"].IsDefined(), has_file = node["file"].IsDefined();
  if (has_env == has_file) {
    d.add(node, path, "give exactly one of `env` or `file`");
    return std::nullopt;
  }
  if (has_env) {
    std::string name = node["env"].Scalar();
    if (!config::is_variable_name(name)) {
      register_secret(name);  // so it is masked wherever else it shows up
      d.add(node["env"], path + ".env",
            "expects the name of an environment variable, and this value is not a valid variable name (letters, "
            "digits and _); it is not shown, in case it is the password itself: put the password in an "
            "environment variable or a file and name that here");
      return std::nullopt;
    }
    if (auto v = config::process_env()(name)) return v;
    d.add(node["env"], path + ".env", fmt::format("environment variable {} is not set", name));
    return std::nullopt;
  }
  try {
    return read_secret_file(doc.resolve_path(node["file"].Scalar()));
  } catch (const Error& e) {
    d.add(node["file"], path + ".file", e.what());
    return std::nullopt;
  }
}

std::optional<ConnectionConfig> read_one(const std::string& name, const YAML::Node& node,
                                         const config::Document& doc, config::Diagnostics& d) {
  std::string path = "connections." + name;
  if (doc.report_unresolved(path, d)) return std::nullopt;
  YAML::Node url_node = node.IsScalar() ? node : node["url"];
  if (!node.IsScalar()) {
    std::size_t before = d.messages().size();
    config::validate(node, connection_spec(), path, d);
    if (d.messages().size() != before) return std::nullopt;
  }
  ConnectionConfig config;
  config.name = name;
  const std::string url_path = node.IsScalar() ? path : path + ".url";
  try {
    config.url = Url::parse(url_node.Scalar());
  } catch (const Error& e) {
    d.add(url_node, url_path, e.what());
    return std::nullopt;
  }
  // Checked here, so `weir validate` finds a misspelt option without connecting.
  std::vector<std::string> problems = url_option_problems(config.url);
  for (const std::string& problem : problems) d.add(url_node, url_path, problem);
  if (!problems.empty()) return std::nullopt;
  if (node.IsMap() && node["password"]) {
    auto password = read_password(node["password"], path + ".password", doc, d);
    if (!password) return std::nullopt;
    register_secret(*password);
    config.url.password = *password;
  }
  if (config.url.file_path && config.url.database != ":memory:")
    config.url.database = doc.resolve_path(config.url.database);
  if (node.IsMap() && node["init"]) config.init_script = doc.resolve_path(node["init"].Scalar());
  return config;
}

}  // namespace

const config::Spec& connection_spec() {
  static const Spec spec{
      "connection",
      "A database connection, named so pipelines and commands can refer to it.",
      {
          Field{.name = "url", .required = true,
                .description = "Connection URL: postgres://user@host:port/db, mysql://…, sqlite:path.db or "
                               "sqlite::memory:, with the driver's options after `?` (see Connection URL options). "
                               "${VAR} and ${VAR:-default} are expanded.",
                .example = "\"postgres://app@127.0.0.1:5432/shop?sslmode=require\""},
          Field{.name = "password", .shapes = config::kString | config::kObject,
                .description = "The password, kept out of the URL: a string (use ${VAR}), {env: NAME} or {file: PATH}.",
                .example = "{ env: SHOP_PASSWORD }", .nested = &secret_spec()},
          Field{.name = "init",
                .description = "SQL script run once, in one transaction, when the database is created "
                               "(SQLite: when the file does not exist yet). On failure the new file is removed.",
                .example = "data/seed.sql"},
      }};
  return spec;
}

Connections read_connections(const config::Document& doc, config::Diagnostics& d) {
  Connections out;
  YAML::Node block = doc.root["connections"];
  if (!block || block.IsNull()) return out;
  if (!block.IsMap()) {
    d.add(block, "connections", "expected a map of connection names to URLs or settings");
    return out;
  }
  for (const auto& entry : block) {
    const std::string& name = entry.first.Scalar();
    if (auto c = read_one(name, entry.second, doc, d)) out.emplace(name, std::move(*c));
  }
  return out;
}

std::vector<std::string> connection_names(const config::Document& doc) {
  std::vector<std::string> names;
  YAML::Node block = doc.root["connections"];
  if (block && block.IsMap())
    for (const auto& entry : block) names.push_back(entry.first.Scalar());
  return names;
}

ConnectionConfig resolve_connection(std::string_view name_or_url, const config::Document* doc) {
  std::vector<std::string> names = doc ? connection_names(*doc) : std::vector<std::string>{};
  if (std::find(names.begin(), names.end(), name_or_url) != names.end()) {
    std::string name(name_or_url);
    config::Diagnostics d(doc->file);
    auto config = read_one(name, doc->root["connections"][name], *doc, d);
    d.throw_if_any();
    return *config;
  }
  if (name_or_url.find(':') != std::string_view::npos) {
    ConnectionConfig config;
    config.url = Url::parse(name_or_url);
    return config;
  }
  throw Error(ErrorKind::config,
              fmt::format("`{}` is neither a URL nor a connection named in the config{}{}", name_or_url,
                          names.empty() ? " (no connections are configured)" : "",
                          did_you_mean(name_or_url, std::vector<std::string_view>(names.begin(), names.end()))));
}

std::shared_ptr<Pool> Pools::claim(const ConnectionConfig& config) {
  std::lock_guard lock(mutex_);
  auto same = [&](const Entry& e) { return e.name == config.name && e.url == config.url; };
  auto it = std::find_if(entries_.begin(), entries_.end(), same);
  if (it == entries_.end()) it = entries_.insert(entries_.end(), Entry{config.name, config.url, Pool::create(config, options_)});
  it->pool->allow_at_least(++it->holders);
  return it->pool;
}

std::vector<std::pair<std::string, PoolMetrics>> Pools::metrics() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, PoolMetrics>> out;
  for (const Entry& e : entries_) out.emplace_back(e.pool->config().describe(), e.pool->metrics());
  return out;
}

}  // namespace weir::db
