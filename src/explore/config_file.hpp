// `weir connect NAME URL`: a new named connection, tested, then added to the config file.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "explore/connections.hpp"

namespace weir::explore {

struct NewConnection {
  std::string name;
  std::string url;            // without a password: a password in it is refused
  std::string password_env;   // the variable holding the password, or
  std::string password_file;  // the file holding it (stored as an absolute path)
  bool read_only = false;
  std::optional<std::chrono::seconds> connect_timeout;  // written when set
  std::optional<std::chrono::seconds> query_timeout;
};

// The password `connection` names: the value of its variable or the content of its file
// (trailing newline dropped), registered as a secret; "" when it names neither. Throws
// Error{config} for a name that is no variable's (not echoing it), an unset variable or a file
// that cannot be read.
std::string referenced_password(const NewConnection& connection);

// Checks `connection`, connects to it (with the password from its variable or file) and, when
// the database answers, adds it under `connections:` of `file`, creating the file when absent.
// The file is replaced whole (a new file renamed over it): it is never left half-written, and
// its comments and other entries stay as they were. Throws Error{config} for bad input (a
// password inside the URL, a name already there, an unset variable) and the connection's error
// when the database does not answer; the file is then untouched. Returns the test's status.
ConnectionStatus add_connection(const std::string& file, const NewConnection& connection);

}  // namespace weir::explore
