// The options of a mysql:// (mariadb://) URL, declared once (see db/url_options.hpp).
#pragma once

#include <string>

#include "core/config_spec.hpp"
#include "db/mysql/connection.hpp"
#include "weir/db/driver.hpp"

namespace weir::db::mysql {

const config::Spec& url_options_spec();

// What a URL asks of a connection.
struct Settings {
  unsigned connect_timeout = 10;
  std::string ssl_mode = "prefer";
  std::string ssl_ca, ssl_cert, ssl_key, ssl_capath;
  std::string init_command;  // run by Connector/C on every (re)connection
  std::string read_only_command;  // a second one, for a read_only connection; empty: none
  SessionOptions session;
};

// Throws Error{config} naming the connection when an option is unknown, its value is wrong, or
// options contradict each other.
Settings read_settings(const ConnectionConfig& config);

}  // namespace weir::db::mysql
