// `weir mcp`: the Model Context Protocol server over stdio — JSON-RPC messages one per line on
// stdin, replies on stdout, logs on stderr — serving the connections of the config file.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <optional>
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "core/yaml_document.hpp"
#include "db/connections.hpp"
#include "mcp/connection_tools.hpp"
#include "mcp/server.hpp"
#include "weir/log.hpp"

namespace weir::cli {
namespace {

db::Connections configured_connections(const Globals& globals) {
  std::optional<std::string> file = db::find_config_file(globals.config_file);
  if (!file) return {};
  config::Document doc = config::load_document(*file);
  config::Diagnostics diagnostics(*file);
  db::Connections connections = db::read_connections(doc, diagnostics);
  diagnostics.throw_if_any();
  return connections;
}

int serve_stdio(mcp::Server& server) {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty() || line == "\r") continue;
    if (auto reply = server.handle(line)) {
      std::cout << *reply << '\n';
      std::cout.flush();
    }
  }
  return 0;
}

}  // namespace

void add_mcp_command(CLI::App& app, const Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("mcp", "Serve the config file's connections to AI agents (Model Context Protocol, stdio)");
  cmd->callback([&globals, &action] {
    action = [&globals] {
      std::vector<mcp::Tool> tools;
      tools.push_back(mcp::list_database_connections_tool(configured_connections(globals)));
      mcp::Server server(std::move(tools), mcp::ServerInfo{"weir", WEIR_VERSION, ""});
      log::info("mcp: serving on stdio");
      return serve_stdio(server);
    };
  });
}

}  // namespace weir::cli
