// sql_poll's options, declared once (docs/configuration.md is generated from them), and how
// the cursor's `initial:` values are read.
#include "modules/input/sql_poll_options.hpp"

#include <charconv>

#include "modules/retry_option.hpp"
#include "pipeline/cron.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

using config::Field;

std::string cron_problem(std::string_view expression) {
  try {
    pipeline::CronSchedule::validate(expression);
    return {};
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace

const config::Spec& sql_poll_cursor_spec() {
  static const config::Spec s{
      "cursor",
      "An incremental cursor: only rows after the last one delivered are read, resumed across restarts.",
      {
          Field{.name = "columns", .shapes = config::kStringList, .required = true,
                .description = "Columns the query orders by, unique together (e.g. a timestamp and the id as "
                               "tie-breaker). They must be NOT NULL and among the selected columns.",
                .example = "[updated_at, id]"},
          Field{.name = "initial", .shapes = config::kStringList,
                .description = "Start position, one value per column; default: from the first row.",
                .example = "[\"1970-01-01\", 0]"},
          Field{.name = "lag", .shapes = config::kDuration, .default_value = "0s",
                .description = "Read only rows whose first cursor column is at least this old by the database's "
                               "clock, so rows committed late with an older timestamp are not skipped. Not needed "
                               "on PostgreSQL while `horizon` is on.",
                .example = "5s"},
          Field{.name = "time_zone", .default_value = "UTC",
                .description = "The zone the first cursor column's times are written in when its type has none "
                               "(timestamp, DATETIME, SQLite text), for `lag`: `UTC`, `local` (the database "
                               "server's own zone; SQLite: the process's), or a zone the database knows "
                               "(`-05:00`, `Europe/Paris`).",
                .example = "local"},
          Field{.name = "horizon", .shapes = config::kBoolean, .default_value = "true",
                .description = "PostgreSQL: read only rows whose transaction ended before the oldest one still "
                               "running, and stop each run before the first row of a later one, so a row of a "
                               "transaction left open is read by a later run however long it stays open. Turn "
                               "off for a query whose rows have no `xmin` (a view, a function, a subquery).",
                .example = "false"},
          Field{.name = "nulls", .default_value = "skip", .choices = {"skip", "first"},
                .description = "Rows whose cursor column is NULL: `skip` leaves them unread, counted as skipped in "
                               "each run's summary; `first` reads the rows whose first cursor column is NULL before "
                               "the others, ordered by the other cursor columns (each run those after the last one "
                               "read), then the rest. Rows with a NULL in another cursor column are skipped either "
                               "way.",
                .example = "first"},
      }};
  return s;
}

const config::Spec& sql_poll_spec() {
  static const config::Spec s{
      "sql_poll",
      "Reads rows with a SQL query, once or on a cron schedule, in pages; with a cursor only the new rows.",
      {
          Field{.name = "connection", .required = true,
                .description = "Name of the connection to read from (see `connections:`).", .example = "shop"},
          Field{.name = "query", .required = true,
                .description = "The SELECT to run. With a cursor it must contain `{{cursor}}` where the condition "
                               "goes and ORDER BY the cursor columns. Values are never spliced into it.",
                .example = "\"SELECT * FROM orders WHERE {{cursor}} ORDER BY updated_at, id\""},
          Field{.name = "cursor", .shapes = config::kObject, .description = sql_poll_cursor_spec().description,
                .example = "{ columns: [updated_at, id], lag: 5s }", .nested = &sql_poll_cursor_spec()},
          Field{.name = "schedule",
                .description = "Cron expression (5 fields, or 6 with seconds first; local time) for repeated runs; "
                               "omit to run once.",
                .example = "\"*/1 * * * *\"", .check = &cron_problem},
          Field{.name = "page_size", .shapes = config::kInteger, .default_value = "5000",
                .description = "Rows per page and per batch passed downstream; bounds memory.", .example = "10000",
                .minimum = 1, .maximum = 1'000'000},
          Field{.name = "on_bad_value", .default_value = "fail", .choices = {"fail", "null"},
                .description = "A value the source cannot read (a MySQL/MariaDB zero date `0000-00-00`, read with "
                               "the URL's default `zero_dates=error`): `fail` stops the run in one line naming "
                               "the row (by its cursor columns, else its number in the run) and the column; "
                               "`null` (bare or quoted) passes NULL on instead, names each such value in a "
                               "warning line (the first 100, then counts them) and counts them in the run's summary "
                               "(`N values written as NULL`).",
                .example = "null"},
          retry_field(),
      }};
  return s;
}

// Reads `initial:` scalars: integers as integers, anything else as text the database converts.
std::vector<Value> sql_poll_initial_values(const config::Section& cursor) {
  std::vector<Value> values;
  for (const std::string& text : cursor.string_list("initial")) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc{} && end == text.data() + text.size()) values.emplace_back(n);
    else values.emplace_back(text);
  }
  return values;
}

}  // namespace weir::modules
