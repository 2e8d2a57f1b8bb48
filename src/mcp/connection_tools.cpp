#include "mcp/connection_tools.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

json connection_status(const db::ConnectionConfig& config) {
  json entry{{"name", config.name}, {"type", config.url.scheme}, {"target", config.identity()}};
  auto started = std::chrono::steady_clock::now();
  try {
    auto connection = db::connect(config);
    connection->ping();
    entry["status"] = "connected";
    entry["round_trip_ms"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  } catch (const Error& e) {
    entry["status"] = "error";
    entry["error_message"] = e.what();
  }
  return entry;
}

std::string render(const json& connections) {
  std::string text;
  for (const json& c : connections) {
    text += fmt::format("{} ({}, {}): {}", c["name"].get<std::string>(), c["type"].get<std::string>(),
                        c["target"].get<std::string>(), c["status"].get<std::string>());
    if (c.contains("error_message")) text += " — " + c["error_message"].get<std::string>();
    text += '\n';
  }
  return text.empty() ? "no connections are configured\n" : text;
}

}  // namespace

Tool list_database_connections_tool(std::shared_ptr<SafeQueries> sessions) {
  return Tool{
      .name = "list_database_connections",
      .description = "Connections: name, type, whether each answers.",
      .input_schema = {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}},
      // Only what the agent needs to read it: every byte of the tool list is paid on every turn.
      .output_schema = {{"type", "object"}, {"required", {"connections"}}},
      .annotations = read_only_hints(),
      .call =
          [sessions](const json&, const CallContext&) {
            json list = json::array();
            for (const auto& [name, config] : sessions->configs()) list.push_back(connection_status(config));
            std::string text = render(list);
            return ToolOutput{json{{"connections", std::move(list)}}, std::move(text)};
          },
  };
}

}  // namespace weir::mcp
