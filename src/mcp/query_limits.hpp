// What `weir mcp` lets an agent do on one connection: the `mcp:` block of a connection in the
// config file (declared once here; docs/configuration.md is generated from it).
//
//   connections:
//     shop:
//       url: postgres://agent@db/shop
//       query_timeout: 30s            # the statement timeout (agents get 300s when unset)
//       mcp: { max_rows: 500, max_bytes: 262144, allowed_functions: [now_utc], denied_functions: [pg_sleep],
//             allowed_schemas: [public, sales], denied_schemas: [hr] }
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <set>
#include <string>

#include "core/config_spec.hpp"

namespace weir::mcp {

inline constexpr std::size_t kDefaultMaxRows = 100;
inline constexpr std::size_t kDefaultMaxBytes = 64 * 1024;

struct QueryLimits {
  std::size_t max_rows = kDefaultMaxRows;    // a page's most rows
  std::size_t max_bytes = kDefaultMaxBytes;  // a page's most bytes of rows as JSON
  // Volatile PostgreSQL functions a read-only query may call all the same (lower-case names).
  std::set<std::string> allowed_functions{"random", "clock_timestamp", "timeofday", "gen_random_uuid",
                                          "uuid_generate_v4"};
  // Functions no query on the connection may call, read-only or not (lower-case names).
  std::set<std::string> denied_functions;
  // The schemas whose tables an agent sees and reads (empty: all), less the denied ones; names
  // as the database stores them (see mcp/schema_limits.hpp).
  std::set<std::string> allowed_schemas;
  std::set<std::string> denied_schemas;
};

// The `mcp` block of a connection.
const config::Spec& query_limits_spec();

// The limits a validated `mcp` block sets (an undefined node: the defaults).
QueryLimits read_query_limits(const YAML::Node& node, const std::string& path);

}  // namespace weir::mcp
