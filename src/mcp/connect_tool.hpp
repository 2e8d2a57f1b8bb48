// `connect_database`: a connection an agent adds at run time. It is tested before it is kept,
// always read-only (write access is the config file's to give). Its password is either given in
// the arguments, then kept in this process's memory only (registered as a secret, so no message
// or log shows it), or named by reference — "${VAR}", {"env": VAR} or {"file": PATH}, read on the
// server's side — and it is never sent back. With `weir mcp --save` the connection is also added
// to the config file (explore/config_file.hpp, as `weir connect` adds one), its password as that
// reference: a password given in clear is never written, so such a connection is refused there.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "explore/config_file.hpp"
#include "mcp/safe_query.hpp"
#include "mcp/tool.hpp"

namespace weir::mcp {

struct ConnectOptions {
  // The config file's folder: the only place a {"file": PATH} reference may point into (an agent
  // must not make weir send the content of any file it can read as a password to a host of its
  // choosing).
  std::filesystem::path config_dir = ".";
  std::optional<std::string> save_to;  // --save: the config file connections are added to
};

Tool connect_database_tool(std::shared_ptr<SafeQueries> sessions, ConnectOptions options = {});

// A connection as connect_database's arguments describe it.
struct AgentConnection {
  db::ConnectionConfig config;   // as connected: the password in memory
  explore::NewConnection entry;  // as --save writes it: the URL without the password, where to read that
  bool clear_password = false;   // the password came in the arguments: never saved
};

// The connection `arguments` describe, the password read when given by reference. Throws
// Error{config} naming what is missing or wrong, Error{permission} for a reference an agent may
// not use.
AgentConnection connection_from_arguments(const nlohmann::json& arguments, const std::filesystem::path& config_dir);

}  // namespace weir::mcp
