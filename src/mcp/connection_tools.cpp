#include "mcp/connection_tools.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <memory>

#include "weir/db/catalog.hpp"
#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

std::string utc_text(std::chrono::system_clock::time_point at) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// One connection as it stands (SafeQueries::status: the session a tool uses, checked cheaply,
// none opened for asking): how many tables an agent may see there when it is live and idle, or
// the error that left it down.
json connection_status(SafeQueries& sessions, const std::string& name, const db::ConnectionConfig& config) {
  json entry{{"name", name}, {"type", config.url.scheme}, {"target", config.identity()}};
  SafeQueries::Status now = sessions.status(name);
  entry["status"] = now.status;
  if (now.status == "error") entry["error_message"] = now.error_message;
  if (now.idle) {
    try {
      const db::Driver& driver = db::Registry::builtin().for_scheme(config.url.scheme);
      std::int64_t tables = 0;
      for (const db::TableSummary& table : driver.catalog().tables(*now.idle, {}))
        tables += sessions.schema_open(name, table.ref.schema) ? 1 : 0;
      entry["table_count"] = tables;
    } catch (const Error& e) {
      entry["status"] = "error";
      entry["error_message"] = e.what();
    }
  }
  auto used = sessions.last_used(name);
  entry["last_used"] = used ? json(utc_text(*used)) : json(nullptr);
  return entry;
}

std::string render(const json& connections) {
  std::string text;
  for (const json& c : connections) {
    text += fmt::format("{} ({}, {}): {}", c["name"].get<std::string>(), c["type"].get<std::string>(),
                        c["target"].get<std::string>(), c["status"].get<std::string>());
    if (c.contains("table_count")) text += fmt::format(", {} tables", c["table_count"].get<std::int64_t>());
    if (!c["last_used"].is_null()) text += ", last used " + c["last_used"].get<std::string>();
    if (c.contains("error_message")) text += " — " + c["error_message"].get<std::string>();
    text += '\n';
  }
  return text.empty() ? "no connections are configured\n" : text;
}

}  // namespace

Tool list_database_connections_tool(std::shared_ptr<SafeQueries> sessions) {
  return Tool{
      .name = "list_database_connections",
      .description = "Connections: name, type, status.",
      .input_schema = {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}},
      // Only what the agent needs to read it: every byte of the tool list is paid on every turn.
      .output_schema = {{"type", "object"}, {"required", {"connections"}}},
      .annotations = read_only_hints(),
      .call =
          [sessions](const json&, const CallContext&) {
            json list = json::array();
            for (const auto& [name, config] : sessions->configs()) list.push_back(connection_status(*sessions, name, config));
            std::string text = render(list);
            return ToolOutput{json{{"connections", std::move(list)}}, std::move(text)};
          },
  };
}

}  // namespace weir::mcp
