// The options of a postgres:// URL, declared once (see db/url_options.hpp): libpq's own, passed
// on with libpq's meaning, and weir's (bulk_merge, pooler, query_timeout, options).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/config_spec.hpp"
#include "db/postgres/connection.hpp"
#include "db/postgres/session.hpp"
#include "weir/db/driver.hpp"

namespace weir::db::postgres {

const config::Spec& url_options_spec();

// What a URL asks of a connection.
struct Settings {
  // The keyword/value pairs for PQconnectdbParams besides host, port, database and credentials.
  std::vector<std::pair<std::string, std::string>> libpq;
  BulkMerge bulk_merge = BulkMerge::automatic;
  Pooler pooler = Pooler::automatic;
  // The `options` startup parameter, sent only when the URL asks for it (options, query_timeout):
  // poolers refuse it (PgBouncer by default), so weir's own settings are SET (session.hpp).
  std::string server_options;
  std::string query_timeout;  // milliseconds, checked against the session's statement_timeout
};

// Throws Error{config} naming the connection when an option is unknown or its value is wrong.
Settings read_settings(const ConnectionConfig& config);

}  // namespace weir::db::postgres
