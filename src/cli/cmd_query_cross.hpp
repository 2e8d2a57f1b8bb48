// `weir query "SQL"`: one statement over tables of the config file's connections
// (query/cross_query.hpp), rows streamed as `weir query CONN "SQL"` prints them.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cli/commands.hpp"

namespace weir::cli {

struct CrossQueryOptions {
  std::string sql;
  std::string format = "table";
  std::string null_text;
  bool explain = false;  // run it, print SQLite's plan and each remote query instead of the rows
  bool stats = false;    // after the rows, print rows fetched and time per remote table (stderr)
  std::string into;      // CONN.TABLE: store the rows in a new table there instead of printing them
  std::optional<std::chrono::milliseconds> timeout;  // --timeout: the statement's deadline instead of query_timeout
};

// A timeout's exit code, as timeout(1)'s: the statement ran past its deadline.
inline constexpr int kTimeoutExit = 124;

int run_cross_query(const Globals& globals, const CrossQueryOptions& options);

}  // namespace weir::cli
