#include "mcp/connect_tool.hpp"

#include <fmt/format.h>

#include <chrono>

#include "db/url_options.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

json string_property() { return {{"type", "string"}}; }

std::chrono::milliseconds seconds_option(const json& options, const char* name, std::int64_t fallback) {
  std::int64_t seconds = options.value(name, fallback);
  if (seconds < 1) throw Error(ErrorKind::config, fmt::format("options.{} must be at least 1 (seconds)", name));
  return std::chrono::seconds(seconds);
}

}  // namespace

db::ConnectionConfig connection_from_arguments(const json& arguments) {
  const std::string type = arguments["database_type"].get<std::string>();
  const json params = arguments.value("connection_params", json::object());
  const json options = arguments.value("options", json::object());
  db::ConnectionConfig config;
  config.name = arguments["connection_name"].get<std::string>();
  Url& url = config.url;
  url.scheme = type;
  if (type == "sqlite") {
    url.file_path = true;
    url.database = optional_string(params, "file_path");
    if (url.database.empty()) throw Error(ErrorKind::config, "connection_params.file_path is required for sqlite");
  } else {
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
  if (std::string password = optional_string(params, "password"); !password.empty()) {
    register_secret(password);  // before anything can fail and print the URL
    url.password = password;
  }
  for (const std::string& problem : db::url_option_problems(url)) throw Error(ErrorKind::config, problem);
  config.connect_timeout = seconds_option(options, "connection_timeout", 30);
  config.query_timeout = seconds_option(options, "query_timeout", 300);
  return config;
}

Tool connect_database_tool(std::shared_ptr<SafeQueries> sessions) {
  Tool tool{
      .name = "connect_database",
      .description = "Add a read-only connection, tested first; the password stays in memory.",
      .input_schema =
          {{"type", "object"},
           {"properties",
            {{"connection_name", string_property()},
             {"database_type", {{"enum", {"postgres", "mysql", "sqlite"}}}},
             {"connection_params",
              {{"type", "object"},
               {"properties",
                {{"host", string_property()}, {"port", {{"type", "integer"}}}, {"database", string_property()},
                 {"username", string_property()}, {"password", string_property()}, {"file_path", string_property()},
                 {"ssl_mode", {{"enum", {"disable", "require", "verify-full"}}}}, {"charset", string_property()}}},
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
  tool.call = [sessions](const json& arguments, const CallContext&) {
    db::ConnectionConfig config = connection_from_arguments(arguments);
    // An agent cannot give itself write access: that takes the config file's word.
    if (!arguments.value("options", json::object()).value("read_only", true))
      throw Error(ErrorKind::permission, "a writable connection is declared in the config file (read_only: false), "
                                         "not by connect_database");
    const bool read_only = true;
    json out{{"name", config.name}, {"type", config.url.scheme}, {"target", config.identity()}, {"read_only", read_only},
             {"status", "connected"}};
    sessions->add(std::move(config), !read_only);
    std::string text = out.dump();
    return ToolOutput{std::move(out), std::move(text)};
  };
  return tool;
}

}  // namespace weir::mcp
