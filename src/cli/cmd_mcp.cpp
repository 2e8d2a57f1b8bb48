// `weir mcp`: the Model Context Protocol server, serving the connections of the config file —
// over stdio (JSON-RPC messages one per line on stdin, replies on stdout, logs on stderr;
// closing stdin ends it), or with `--http HOST:PORT` over Streamable HTTP at /mcp, each client
// session with connections of its own, a bearer token from `--token-env VAR` required beyond
// loopback. SIGTERM or Ctrl-C ends it, cancelling on the server the statement a call runs.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

#include "cli/commands.hpp"
#include "cli/stop_signals.hpp"
#include "core/config_spec.hpp"
#include "core/yaml_document.hpp"
#include "db/connections.hpp"
#include "mcp/connect_tool.hpp"
#include "mcp/connection_tools.hpp"
#include "mcp/explore_tools.hpp"
#include "mcp/http_transport.hpp"
#include "mcp/line_transport.hpp"
#include "mcp/query_limits.hpp"
#include "mcp/query_tools.hpp"
#include "mcp/server.hpp"
#include "mcp/sync_tool.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::cli {
namespace {

struct Configured {
  db::Connections connections;
  std::set<std::string> writable;  // those whose config says `read_only: false`, in so many words
  std::map<std::string, mcp::QueryLimits, std::less<>> limits;  // each connection's `mcp` block
  mcp::ConnectOptions connect;  // where connect_database may read a password file, and --save
};

Configured configured_connections(const Globals& globals, bool save) {
  std::optional<std::string> file = db::find_config_file(globals.config_file);
  Configured none;
  // --save adds to the config file, made where `weir connect` makes it when there is none.
  if (save) none.connect.save_to = file.value_or(db::default_config_files().front());
  std::filesystem::path folder = std::filesystem::path(none.connect.save_to.value_or(file.value_or(""))).parent_path();
  none.connect.config_dir = folder.empty() ? std::filesystem::path(".") : folder;
  if (!file) return none;
  config::Document doc = config::load_document(*file);
  config::Diagnostics diagnostics(*file);
  Configured out{db::read_connections(doc, diagnostics), {}, {}, none.connect};
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

// The server of one client: its own connections (the config file's, and those it adds), tools
// over them.
std::unique_ptr<mcp::Server> new_server(const Globals& globals, const Configured& configured) {
  auto queries = std::make_shared<mcp::SafeQueries>(configured.connections, configured.writable, configured.limits);
  std::vector<mcp::Tool> tools;
  tools.push_back(mcp::connect_database_tool(queries, configured.connect));
  tools.push_back(mcp::list_database_connections_tool(queries));
  tools.push_back(mcp::list_remote_tables_tool(queries));
  tools.push_back(mcp::describe_remote_table_tool(queries));
  tools.push_back(mcp::query_tool(queries));
  tools.push_back(mcp::explain_query_tool(queries));
  tools.push_back(mcp::sync_table_tool(queries, [&globals] { return globals.local_store(); }));
  return std::make_unique<mcp::Server>(std::move(tools), mcp::ServerInfo{"weir", WEIR_VERSION, ""});
}

struct McpFlags {
  std::string http;       // HOST:PORT; empty: stdio
  std::string token_env;  // the variable holding the bearer token
  std::string max_sessions;  // empty: not given (64)
  std::string session_idle;      // empty: not given (30m)
  bool save = false;  // connect_database adds its connections to the config file
};

// --max-sessions and --session-idle, read into `http`.
void read_session_flags(const McpFlags& flags, mcp::HttpOptions& http) {
  if (!flags.max_sessions.empty()) {
    const std::string& text = flags.max_sessions;
    bool digits = text.size() <= 6 && text.find_first_not_of("0123456789") == std::string::npos;
    http.max_sessions = digits ? std::stoul(text) : 0;
    if (http.max_sessions < 1)
      throw Error(ErrorKind::config, fmt::format("--max-sessions `{}`: give a number of sessions from 1 to 999999", text));
  }
  if (flags.session_idle.empty()) return;
  std::optional<std::chrono::milliseconds> idle = config::parse_duration(flags.session_idle);
  if (!idle || *idle < std::chrono::seconds(1))
    throw Error(ErrorKind::config,
                fmt::format("--session-idle `{}`: give a duration of at least 1s, such as 30m", flags.session_idle));
  http.session_idle = std::chrono::duration_cast<std::chrono::seconds>(*idle);
}

constexpr std::string_view kStopping = "weir: stopping: cancelling the running calls (press Ctrl-C again to abort)\n";

int serve(const Globals& globals, const McpFlags& flags) {
  std::optional<mcp::HttpOptions> http;
  if (!flags.http.empty()) {
    http = mcp::HttpOptions{mcp::parse_http_endpoint(flags.http), {}};
    if (!flags.token_env.empty()) http->token = mcp::bearer_token_from_env(flags.token_env);
    read_session_flags(flags, *http);
  } else if (!flags.token_env.empty()) {
    throw Error(ErrorKind::config, "--token-env applies to --http only (stdio needs no token)");
  } else if (!flags.max_sessions.empty() || !flags.session_idle.empty()) {
    throw Error(ErrorKind::config, "--max-sessions and --session-idle apply to --http only");
  }
  Configured configured = configured_connections(globals, flags.save);
  std::stop_source stop;
  StopSignals signals(stop, kStopping);
  if (http)
    return mcp::serve_http([&globals, &configured] { return new_server(globals, configured); }, *http, stop.get_token());
  std::unique_ptr<mcp::Server> server = new_server(globals, configured);
  log::info("mcp: serving on stdio");
  return mcp::serve_stdio(*server, stop.get_token());
}

}  // namespace

void add_mcp_command(CLI::App& app, const Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("mcp", "Serve the config file's connections to AI agents (Model Context Protocol, stdio or HTTP)");
  auto flags = std::make_shared<McpFlags>();
  cmd->add_option("--http", flags->http, "Serve over Streamable HTTP at http://HOST:PORT/mcp instead of stdio (PORT 0: any free one)");
  cmd->add_option("--token-env", flags->token_env,
                  "Environment variable holding the bearer token HTTP clients must send (required unless HOST is loopback)");
  cmd->add_option("--max-sessions", flags->max_sessions,
                  "HTTP sessions open at once (default 64); an initialize beyond them gets 503");
  cmd->add_option("--session-idle", flags->session_idle,
                  "How long an HTTP session may stay idle before it ends (default 30m)");
  cmd->add_flag("--save", flags->save,
                "connect_database also adds its connections to the config file (a password only by reference)");
  cmd->callback([&globals, &action, flags] {
    action = [&globals, flags] { return serve(globals, *flags); };
  });
}

}  // namespace weir::cli
