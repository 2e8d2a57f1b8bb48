#include "db/postgres/dialect.hpp"

#include <fmt/format.h>

#include "db/postgres/types.hpp"

namespace weir::db::postgres {

std::string PgDialect::column_type(const Column& column) const { return postgres::column_type(column); }

// A timestamptz compares as an instant; a timestamp (or date) as the wall time of its zone.
// weir's session runs in UTC, so "local" is the zone the server would give a session of its own.
std::string PgDialect::clock_minus(Type column, std::string_view time_zone, std::chrono::microseconds lag,
                                   const Bind& bind) const {
  std::string minus = fmt::format(" - {}::bigint * interval '1 microsecond'", bind(Value(lag.count())));
  if (column == Type::timestamptz) return "(CURRENT_TIMESTAMP" + minus + ")";
  std::string zone = time_zone == "local" ? "(SELECT reset_val FROM pg_settings WHERE name = 'TimeZone')"
                                          : bind(Value(std::string(time_zone))) + "::text";
  return fmt::format("((CURRENT_TIMESTAMP AT TIME ZONE {}){})", zone, minus);
}

// The oldest transaction still running (or the next to start, when none runs): every
// transaction before it has ended, so no row of theirs can still appear. When it is the next
// to start, no transaction is running or ended after it.
std::string_view PgDialect::horizon_query() const noexcept {
  return "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmin(s) <> pg_snapshot_xmax(s) FROM pg_current_snapshot() s";
}

// A transaction's lock, in a transaction left open for the run: a session lock taken through a
// transaction-mode pooler (PgBouncer) would stay with the pooled server connection after weir
// left, locking every later run out; an open transaction pins that connection to weir and ends
// with it. It holds no transaction id, so it holds back neither vacuum nor the polls' horizon.
// A server's idle_in_transaction_session_timeout (often set by operators) would end that open
// transaction, and the lock with it, while the run goes on: it is turned off for this
// transaction alone (set_config's is_local), in the statement that takes the lock.
Dialect::SessionLock PgDialect::session_lock() const noexcept {
  return {.try_query = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) "
                       "FROM (SELECT set_config('idle_in_transaction_session_timeout', '0', true)) AS kept_open",
          .in_transaction = true};
}

// A row version's xmin is a 32-bit transaction id that wraps around, so it is placed by its
// age (distance back from the current transaction) rather than compared as a number: the
// transactions from the horizon on are the ages 0 … age(horizon). Every other age, the frozen
// and bootstrap ids' included, belongs to a transaction that ended before the horizon.
std::string PgDialect::settled_condition(std::string_view qualifier, std::string_view horizon) const {
  std::string xmin = qualifier.empty() ? "xmin" : quote_identifier(qualifier) + ".xmin";
  return fmt::format("age({}) NOT BETWEEN 0 AND age(({}::xid8::text::numeric % 4294967296)::text::xid)", xmin,
                     horizon);
}

// The record image operator compares the values' stored bytes: unlike IS DISTINCT FROM it
// works for every type (json has no `=`) and tells 1.0 from 1.00 and 'a' from 'A' under any
// collation, so a value that would read back differently is always written. NULLs are equal.
std::string PgDialect::differs(std::span<const std::string> columns, std::string_view row,
                               std::string_view other) const {
  std::string mine, theirs;
  for (const std::string& c : columns) {
    std::string q = quote_identifier(c);
    mine += fmt::format("{}{}.{}", mine.empty() ? "" : ", ", row, q);
    theirs += fmt::format("{}{}.{}", theirs.empty() ? "" : ", ", other, q);
  }
  return fmt::format("NOT (ROW({})::record *= ROW({})::record)", mine, theirs);
}

}  // namespace weir::db::postgres
