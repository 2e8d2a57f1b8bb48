#include "db/sqlite/dialect.hpp"

#include <fmt/format.h>

#include "db/sqlite/types.hpp"
#include "weir/error.hpp"

namespace weir::db::sqlite {

// Numbered so a statement may bind one parameter twice (UPDATE … WHERE).
std::string SqliteDialect::placeholder(std::size_t index) const { return "?" + std::to_string(index); }

std::string SqliteDialect::column_type(const Column& column) const { return declared_type(column); }

// SQLite keeps times as text; its clock is the host's, in UTC or the process's local time (the
// only zones it knows). The text has the layout weir writes timestamps in, so they compare.
std::string SqliteDialect::clock_minus(Type, std::string_view time_zone, std::chrono::microseconds lag,
                                       const Bind& bind) const {
  if (time_zone != "UTC" && time_zone != "local")
    throw Error(ErrorKind::config,
                fmt::format("SQLite knows only the time zones `UTC` and `local`, not `{}`", time_zone));
  std::string shift = bind(Value(fmt::format("-{}.{:06} seconds", lag.count() / 1'000'000, lag.count() % 1'000'000)));
  return fmt::format("strftime('%Y-%m-%d %H:%M:%f', 'now', {}{})", shift, time_zone == "local" ? ", 'localtime'" : "");
}

}  // namespace weir::db::sqlite
