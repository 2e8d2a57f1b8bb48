#include "mcp/connect_tool.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <mutex>

#include "core/yaml_document.hpp"
#include "db/url_options.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::mcp {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json string_property() { return {{"type", "string"}}; }

std::chrono::seconds seconds_option(const json& options, const char* name, std::int64_t fallback) {
  std::int64_t seconds = options.value(name, fallback);
  if (seconds < 1) throw Error(ErrorKind::config, fmt::format("options.{} must be at least 1 (seconds)", name));
  return std::chrono::seconds(seconds);
}

// Whether an agent may have weir read this variable as a password: only those named as
// passwords are (an agent must not make weir send, say, a cloud key to a host of its choosing).
bool password_variable(std::string_view name) {
  for (std::string_view end : {"PASSWORD", "PASSWD", "_PW", "_PWD"})
    if (name.ends_with(end)) return true;
  return false;
}

// The forms of a password given by reference, for the messages refusing others.
const char* const kReferences =
    "\"${VAR}\" or {\"env\": VAR} (a variable of the server's environment named *_PASSWORD or *_PW), or "
    "{\"file\": PATH} (a file in the config file's folder)";

// Fills entry.password_env / password_file from a password given by reference; false for one
// given in clear.
bool read_reference(const json& password, explore::NewConnection& entry, const fs::path& config_dir) {
  std::string variable, file;
  if (password.is_string()) {
    const std::string& text = password.get_ref<const std::string&>();
    if (text.size() < 4 || !text.starts_with("${") || !text.ends_with('}')) return false;
    variable = text.substr(2, text.size() - 3);
    if (!config::is_variable_name(variable)) return false;  // a password that looks like one
  } else if (password.is_object() && password.size() == 1 && password.begin()->is_string() &&
             (password.contains("env") || password.contains("file"))) {
    (password.contains("env") ? variable : file) = password.begin()->get<std::string>();
  } else {
    throw Error(ErrorKind::config, fmt::format("connection_params.password: a string, or a reference: {}", kReferences));
  }
  if (!variable.empty()) {
    if (!config::is_variable_name(variable) || !password_variable(variable))
      throw Error(ErrorKind::permission,
                  fmt::format("connection_params.password: an agent may name only a variable holding a password: {}",
                              kReferences));
    entry.password_env = variable;
    return true;
  }
  fs::path folder = fs::weakly_canonical(fs::absolute(config_dir));
  fs::path path = fs::weakly_canonical(fs::path(file).is_absolute() ? fs::path(file) : folder / file);
  fs::path inside = path.lexically_relative(folder);
  if (file.empty() || inside.empty() || inside.native().starts_with(".."))
    throw Error(ErrorKind::permission,
                fmt::format("connection_params.password.file: an agent may name only a file in the config file's "
                            "folder ({})",
                            folder.string()));
  entry.password_file = path.string();
  return true;
}

// host, port, user and database, or the SQLite file, and the URL options.
void read_location(const std::string& type, const json& params, Url& url) {
  if (type == "sqlite") {
    url.file_path = true;
    url.database = optional_string(params, "file_path");
    if (url.database.empty()) throw Error(ErrorKind::config, "connection_params.file_path is required for sqlite");
    return;
  }
  url.host = optional_string(params, "host");
  url.user = optional_string(params, "username");
  url.database = optional_string(params, "database");
  if (url.host.empty()) throw Error(ErrorKind::config, fmt::format("connection_params.host is required for {}", type));
  if (auto port = params.find("port"); port != params.end()) {
    if (!port->is_number_integer() || *port < 1 || *port > 65535)
      throw Error(ErrorKind::config, "connection_params.port must be a number from 1 to 65535");
    url.port = port->get<std::uint16_t>();
  }
  if (std::string ssl = optional_string(params, "ssl_mode"); !ssl.empty()) url.set_option(type == "postgres" ? "sslmode" : "ssl_mode", ssl);
  if (std::string charset = optional_string(params, "charset"); !charset.empty() && charset != "utf8mb4")
    throw Error(ErrorKind::config, "connection_params.charset: weir reads and writes utf8mb4 only");
}

}  // namespace

AgentConnection connection_from_arguments(const json& arguments, const fs::path& config_dir) {
  const std::string type = arguments["database_type"].get<std::string>();
  const json params = arguments.value("connection_params", json::object());
  const json options = arguments.value("options", json::object());
  AgentConnection out;
  db::ConnectionConfig& config = out.config;
  config.name = arguments["connection_name"].get<std::string>();
  config.url.scheme = type;
  read_location(type, params, config.url);
  for (const std::string& problem : db::url_option_problems(config.url)) throw Error(ErrorKind::config, problem);
  out.entry.name = config.name;
  out.entry.url = config.url.to_string();  // before the password is set
  out.entry.read_only = true;
  if (auto password = params.find("password"); password != params.end()) {
    if (password->is_string()) register_secret(password->get<std::string>());  // before anything can fail
    if (read_reference(*password, out.entry, config_dir)) {
      config.url.password = explore::referenced_password(out.entry);
    } else {
      config.url.password = password->get<std::string>();
      out.clear_password = !config.url.password.empty();
    }
  }
  config.connect_timeout = seconds_option(options, "connection_timeout", 30);
  config.query_timeout = seconds_option(options, "query_timeout", 300);
  if (options.contains("connection_timeout")) out.entry.connect_timeout = seconds_option(options, "connection_timeout", 30);
  if (options.contains("query_timeout")) out.entry.query_timeout = seconds_option(options, "query_timeout", 300);
  return out;
}

Tool connect_database_tool(std::shared_ptr<SafeQueries> sessions, ConnectOptions options) {
  Tool tool{
      .name = "connect_database",
      .description = "Add a read-only connection (tested). password: clear (memory only), \"${VAR}\", {env} or {file}.",
      .input_schema =
          {{"type", "object"},
           {"properties",
            {{"connection_name", string_property()},
             {"database_type", {{"enum", {"postgres", "mysql", "sqlite"}}}},
             {"connection_params",
              {{"type", "object"},
               {"properties",
                {{"host", string_property()}, {"port", {{"type", "integer"}}}, {"database", string_property()},
                 {"username", string_property()}, {"password", json::object()},  // a string, {env} or {file}
                 {"file_path", string_property()}, {"ssl_mode", {{"enum", {"disable", "require", "verify-full"}}}},
                 {"charset", string_property()}}},
               {"additionalProperties", false}}},
             {"options",
              {{"type", "object"},
               {"properties",
                {{"read_only", {{"type", "boolean"}}}, {"connection_timeout", {{"type", "integer"}}},
                 {"query_timeout", {{"type", "integer"}}}}},
               {"additionalProperties", false}}}}},
           {"required", {"connection_name", "database_type", "connection_params"}},
           {"additionalProperties", false}},
      .output_schema = {{"type", "object"}, {"required", {"name", "type", "target", "read_only"}}},
      // Not idempotent and open world are the protocol's defaults: left out.
      .annotations = {{"readOnlyHint", false}, {"destructiveHint", false}},
      .call = nullptr,
  };
  tool.call = [sessions, options](const json& arguments, const CallContext&) {
    AgentConnection added = connection_from_arguments(arguments, options.config_dir);
    db::ConnectionConfig& config = added.config;
    // An agent cannot give itself write access: that takes the config file's word.
    if (!arguments.value("options", json::object()).value("read_only", true))
      throw Error(ErrorKind::permission, "a writable connection is declared in the config file (read_only: false), "
                                         "not by connect_database");
    if (sessions->has(config.name))
      throw Error(ErrorKind::config, fmt::format("a connection named `{}` already exists", config.name));
    if (options.save_to && added.clear_password)
      throw Error(ErrorKind::config, fmt::format("connection_params.password: this server saves connections "
                                                 "(--save) and never writes a password in clear: give it by "
                                                 "reference, {}",
                                                 kReferences));
    json out{{"name", config.name}, {"type", config.url.scheme}, {"target", config.identity()}, {"read_only", true},
             {"status", "connected"}};
    // Saved first: adding it to the file tests it, and refuses a name the file already has.
    if (options.save_to) {
      // One at a time: the sessions of `--http` share the file, read, changed and replaced whole.
      static std::mutex saving;
      std::lock_guard lock(saving);
      explore::add_connection(*options.save_to, added.entry);
      out["saved_to"] = *options.save_to;
    }
    sessions->add(std::move(config), false);
    std::string text = out.dump();
    return ToolOutput{std::move(out), std::move(text)};
  };
  return tool;
}

}  // namespace weir::mcp
