#include "db/connections.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.hpp"
#include "db/url_options.hpp"
// The `mcp` block is declared with the MCP server that reads it; it is a connection setting all the same.
#include "mcp/query_limits.hpp"
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

// read_only, connect_timeout and query_timeout; false after a diagnostic. A timeout the URL
// sets too is refused: one setting, one place.
bool read_session_options(const YAML::Node& node, const std::string& path, ConnectionConfig& config,
                          config::Diagnostics& d) {
  config::Section section(node, connection_spec(), path);
  config.read_only = section.boolean("read_only");
  bool ok = true;
  for (std::string_view name : {"connect_timeout", "query_timeout"}) {
    if (!section.has(name)) continue;
    if (config.url.option(name)) {
      d.add(node[std::string(name)], section.path_of(name),
            fmt::format("the URL sets `{}` too: give it in one place", name));
      ok = false;
    }
    (name == "connect_timeout" ? config.connect_timeout : config.query_timeout) = section.duration(name);
  }
  return ok;
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
  if (node.IsMap() && !read_session_options(node, path, config, d)) return std::nullopt;
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
          Field{.name = "read_only", .shapes = config::kBoolean, .default_value = "false",
                .description = "The database itself refuses writes on this connection: PostgreSQL sessions run "
                               "with default_transaction_read_only, MySQL/MariaDB sessions in READ ONLY "
                               "transactions, SQLite files are opened read-only (and query_only): a write into it fails "
                               "with a permission error.",
                .example = "true"},
          Field{.name = "connect_timeout", .shapes = config::kDuration,
                .description = "How long to wait for the connection to be made (PostgreSQL and MySQL/MariaDB; "
                               "whole seconds, rounded up). Default: the URL's `connect_timeout`, else 10s.",
                .example = "5s"},
          Field{.name = "query_timeout", .shapes = config::kDuration,
                .description = "How long a statement may run before the server stops it with a timeout error "
                               "(PostgreSQL statement_timeout, MariaDB max_statement_time; not applied to SQLite). "
                               "In `weir query` across connections, the deadline of the whole statement instead (the "
                               "least of its connections'): its remote queries still running are cancelled. "
                               "Default: the URL's `query_timeout`, else no limit.",
                .example = "30s"},
          Field{.name = "mcp", .shapes = config::kObject,
                .description = "What `weir mcp` lets an AI agent do on this connection: page caps and functions "
                               "allowed or denied.",
                .example = "{ max_rows: 500, denied_functions: [pg_sleep] }", .nested = &mcp::query_limits_spec()},
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

std::vector<std::string> default_config_files() {
  std::vector<std::string> files{"weir.yaml"};
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg) files.push_back((std::filesystem::path(xdg) / "weir" / "weir.yaml").string());
  else if (home && *home) files.push_back((std::filesystem::path(home) / ".config" / "weir" / "weir.yaml").string());
  return files;
}

std::optional<std::string> find_config_file(std::string_view given) {
  if (!given.empty()) return std::string(given);
  for (std::string& file : default_config_files())
    if (std::filesystem::exists(file)) return std::move(file);
  return std::nullopt;
}

ConnectionConfig load_connection(std::string_view name_or_url, std::string_view config_file) {
  std::optional<std::string> file = find_config_file(config_file);
  if (!file) return resolve_connection(name_or_url, nullptr);
  std::optional<config::Document> doc;
  try {
    doc = config::load_document(*file);
  } catch (const Error&) {
    // A URL does not need the file: only a name does.
    if (name_or_url.find(':') == std::string_view::npos) throw;
  }
  return resolve_connection(name_or_url, doc ? &*doc : nullptr);
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
