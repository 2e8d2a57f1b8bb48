// `weir mcp`: the Model Context Protocol server over stdio — JSON-RPC messages one per line on
// stdin, replies on stdout, logs on stderr — serving the connections of the config file. Closing
// stdin, SIGTERM or Ctrl-C ends it, cancelling on the server the statement a call runs.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

#include "cli/commands.hpp"
#include "cli/stop_signals.hpp"
#include "core/yaml_document.hpp"
#include "db/connections.hpp"
#include "mcp/connect_tool.hpp"
#include "mcp/connection_tools.hpp"
#include "mcp/explore_tools.hpp"
#include "mcp/line_transport.hpp"
#include "mcp/query_limits.hpp"
#include "mcp/query_tools.hpp"
#include "mcp/server.hpp"
#include "mcp/sync_tool.hpp"
#include "weir/log.hpp"

namespace weir::cli {
namespace {

struct Configured {
  db::Connections connections;
  std::set<std::string> writable;  // those whose config says `read_only: false`, in so many words
  std::map<std::string, mcp::QueryLimits, std::less<>> limits;  // each connection's `mcp` block
};

Configured configured_connections(const Globals& globals) {
  std::optional<std::string> file = db::find_config_file(globals.config_file);
  if (!file) return {};
  config::Document doc = config::load_document(*file);
  config::Diagnostics diagnostics(*file);
  Configured out{db::read_connections(doc, diagnostics), {}, {}};
  diagnostics.throw_if_any();
  for (const auto& [name, config] : out.connections) {
    const YAML::Node entry = doc.root["connections"][name];
    // An agent's connections are read-only unless the config says otherwise: the field's
    // absence is not consent.
    if (entry.IsMap() && entry["read_only"] && !config.read_only) out.writable.insert(name);
    out.limits.emplace(name, mcp::read_query_limits(entry.IsMap() ? entry["mcp"] : YAML::Node(),
                                                    "connections." + name + ".mcp"));
  }
  return out;
}

}  // namespace

void add_mcp_command(CLI::App& app, const Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("mcp", "Serve the config file's connections to AI agents (Model Context Protocol, stdio)");
  cmd->callback([&globals, &action] {
    action = [&globals] {
      Configured configured = configured_connections(globals);
      auto queries = std::make_shared<mcp::SafeQueries>(configured.connections, configured.writable, configured.limits);
      std::vector<mcp::Tool> tools;
      tools.push_back(mcp::connect_database_tool(queries));
      tools.push_back(mcp::list_database_connections_tool(queries));
      tools.push_back(mcp::list_remote_tables_tool(queries));
      tools.push_back(mcp::describe_remote_table_tool(queries));
      tools.push_back(mcp::query_tool(queries));
      tools.push_back(mcp::explain_query_tool(queries));
      tools.push_back(mcp::sync_table_tool(queries, [&globals] { return globals.local_store(); }));
      mcp::Server server(std::move(tools), mcp::ServerInfo{"weir", WEIR_VERSION, ""});
      log::info("mcp: serving on stdio");
      std::stop_source stop;
      StopSignals signals(stop);
      return mcp::serve_stdio(server, stop.get_token());
    };
  });
}

}  // namespace weir::cli
