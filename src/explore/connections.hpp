// The connections of a config file and how each answers: `weir connections`, and the MCP
// server's list_database_connections.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/yaml_document.hpp"
#include "weir/db/driver.hpp"

namespace weir::explore {

struct ConnectionStatus {
  std::string name;
  std::string type;      // the driver's URL scheme: postgres, mysql, sqlite
  std::string url;       // with the password masked
  std::string location;  // user@host:port/database, or the SQLite file
  bool read_only = false;
  bool ok = false;
  std::string server_version;
  std::optional<double> round_trip_ms;     // one query's round trip, once connected
  std::optional<std::int64_t> table_count;  // tables and views, as `weir tables` lists them
  std::string error;                       // one line, credentials masked; empty when ok
};

// Where a URL points, without credentials or options: "app@db:5432/shop", "data/shop.db".
std::string location_of(const Url& url);

// Connects to `config`, times a round trip, asks its version and counts its tables. Never
// throws for a database that cannot be reached: that is the status.
ConnectionStatus check_connection(const db::ConnectionConfig& config);

// Every connection of `doc`, in the file's order, checked concurrently. A connection whose entry
// cannot be read (an unset variable, a missing secret file) is listed with that error.
std::vector<ConnectionStatus> check_connections(const config::Document& doc);

}  // namespace weir::explore
