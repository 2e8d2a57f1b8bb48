// `weir connect NAME URL`: a new named connection, tested, then added to the config file.
#pragma once

#include <string>

#include "explore/connections.hpp"

namespace weir::explore {

struct NewConnection {
  std::string name;
  std::string url;            // without a password: a password in it is refused
  std::string password_env;   // the variable holding the password, or
  std::string password_file;  // the file holding it (stored as an absolute path)
  bool read_only = false;
};

// Checks `connection`, connects to it (with the password from its variable or file) and, when
// the database answers, adds it under `connections:` of `file`, creating the file when absent.
// The file is replaced whole (a new file renamed over it): it is never left half-written, and
// its comments and other entries stay as they were. Throws Error{config} for bad input (a
// password inside the URL, a name already there, an unset variable) and the connection's error
// when the database does not answer; the file is then untouched. Returns the test's status.
ConnectionStatus add_connection(const std::string& file, const NewConnection& connection);

}  // namespace weir::explore
