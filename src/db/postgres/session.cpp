#include "db/postgres/session.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "db/postgres/connection.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::db::postgres {
namespace {

constexpr std::string_view kContext = "setting up the session";

std::string_view reported(PGconn* conn, const char* name) {
  const char* value = PQparameterStatus(conn, name);
  return value ? value : "";
}

// The SETs this session needs. DateStyle and TimeZone are among the settings PgBouncer tracks
// per client (it repeats a client's SET on every server connection it lends that client);
// IntervalStyle is not, so types.cpp reads the server's default style (postgres) as well as
// iso_8601, and only another style is changed (best effort behind a pooler).
std::string settings_sql(PGconn* conn) {
  std::string sql;
  if (!reported(conn, "DateStyle").starts_with("ISO")) sql += "SET DateStyle = 'ISO'; ";
  if (reported(conn, "TimeZone") != "UTC") sql += "SET TimeZone = 'UTC'; ";
  const std::string_view style = reported(conn, "IntervalStyle");
  if (style != "postgres" && style != "iso_8601") sql += "SET IntervalStyle = 'iso_8601'; ";
  return sql;
}

}  // namespace

bool start_session(PGconn* conn, Pooler pooler, std::string_view query_timeout) {
  std::string sql = settings_sql(conn) + "SELECT pg_backend_pid(), current_setting('extra_float_digits')";
  if (!query_timeout.empty()) sql += ", (SELECT setting FROM pg_settings WHERE name = 'statement_timeout')";
  ResultHandle r = checked(PQexec(conn, sql.c_str()), conn, kContext);
  if (!query_timeout.empty() && std::strtoull(PQgetvalue(r.get(), 0, 2), nullptr, 10) !=
                                    std::strtoull(std::string(query_timeout).c_str(), nullptr, 10))
    throw Error(ErrorKind::config,
                fmt::format("option query_timeout={} did not reach the server, whose statement_timeout is {} ms "
                            "(does a connection pooler ignore the startup parameter `options`?): set it for the "
                            "role instead: ALTER ROLE … SET statement_timeout = …",
                            query_timeout, PQgetvalue(r.get(), 0, 2)));
  bool pooled = pooler == Pooler::transaction;
  if (pooler == Pooler::automatic) {
    // A pooler answers the login itself and hands out a cancel key of its own: the process id
    // in it (PQbackendPID) is not that of the server process running the statements.
    pooled = std::atoi(PQgetvalue(r.get(), 0, 0)) != PQbackendPID(conn);
    if (pooled) log::debug("PostgreSQL: a connection pooler answers; statements are not kept prepared");
  }
  // From PostgreSQL 12 on, a positive extra_float_digits (the default is 1) prints every float
  // exactly; before, only 3 did. Set only where a server lowered it; no pooler tracks it, so
  // behind one floats would come back rounded from every other server connection.
  const int needed = PQserverVersion(conn) >= 120000 ? 1 : 3;
  if (std::atoi(PQgetvalue(r.get(), 0, 1)) >= needed) return pooled;
  if (pooled)
    throw Error(ErrorKind::config,
                fmt::format("the server's extra_float_digits is {}, so floats would be read rounded, and a "
                            "connection pooler does not keep weir's SET of it: set it for the role instead: "
                            "ALTER ROLE … SET extra_float_digits = {}",
                            PQgetvalue(r.get(), 0, 1), needed));
  checked(PQexec(conn, "SET extra_float_digits = 3"), conn, kContext);
  return pooled;
}

}  // namespace weir::db::postgres
