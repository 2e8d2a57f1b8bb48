#include "db/postgres/errors.hpp"

#include <fmt/format.h>

#include <array>

#include "core/text.hpp"

namespace weir::db::postgres {
namespace {

struct SqlstateRule {
  std::string_view prefix;  // a full code or a two-character class
  ErrorKind kind;
  bool retryable;
};

// Most specific first: full codes, then classes.
constexpr std::array kRules{
    SqlstateRule{"23505", ErrorKind::unique, false},        SqlstateRule{"23503", ErrorKind::foreign_key, false},
    SqlstateRule{"23502", ErrorKind::not_null, false},      SqlstateRule{"23514", ErrorKind::check, false},
    SqlstateRule{"40001", ErrorKind::serialization, true},  SqlstateRule{"40P01", ErrorKind::deadlock, true},
    SqlstateRule{"42501", ErrorKind::permission, false},    SqlstateRule{"25006", ErrorKind::permission, false},    SqlstateRule{"57014", ErrorKind::cancelled, false},
    SqlstateRule{"57P01", ErrorKind::connection, true},     SqlstateRule{"57P02", ErrorKind::connection, true},
    SqlstateRule{"57P03", ErrorKind::connection, true},     SqlstateRule{"55P03", ErrorKind::timeout, true},
    SqlstateRule{"25P03", ErrorKind::timeout, false},       SqlstateRule{"0A000", ErrorKind::unsupported, false},
    SqlstateRule{"53100", ErrorKind::storage, false},  // disk_full: retrying cannot free space
    SqlstateRule{"3D000", ErrorKind::config, false},        SqlstateRule{"08", ErrorKind::connection, true},
    SqlstateRule{"28", ErrorKind::auth, false},             SqlstateRule{"23", ErrorKind::check, false},
    SqlstateRule{"40", ErrorKind::serialization, true},     SqlstateRule{"42", ErrorKind::syntax, false},
    SqlstateRule{"22", ErrorKind::data, false},             SqlstateRule{"53", ErrorKind::connection, true},
    SqlstateRule{"57", ErrorKind::connection, false},
};

const SqlstateRule* rule_for(std::string_view sqlstate) noexcept {
  for (const SqlstateRule& r : kRules)
    if (sqlstate.starts_with(r.prefix)) return &r;
  return nullptr;
}

std::string_view field(const PGresult* result, int code) {
  const char* v = result ? PQresultErrorField(result, code) : nullptr;
  return v ? v : "";
}

// libpq reports connection-time failures as text only; recognise the authentication ones.
bool looks_like_auth_failure(std::string_view message) {
  return message.find("password authentication failed") != std::string_view::npos ||
         message.find("no password supplied") != std::string_view::npos ||
         message.find("SCRAM authentication") != std::string_view::npos ||
         message.find("certificate authentication failed") != std::string_view::npos ||
         message.find("no pg_hba.conf entry") != std::string_view::npos;
}

// libpq messages end with a newline and may span lines; weir errors are one line.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : trim(text)) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

}  // namespace

ErrorKind kind_for_sqlstate(std::string_view sqlstate) noexcept {
  const SqlstateRule* r = rule_for(sqlstate);
  return r ? r->kind : ErrorKind::internal;
}

bool retryable_sqlstate(std::string_view sqlstate) noexcept {
  const SqlstateRule* r = rule_for(sqlstate);
  return r && r->retryable;
}

bool is_stale_plan(const PGresult* result) noexcept {
  if (!result || PQresultStatus(result) != PGRES_FATAL_ERROR || field(result, PG_DIAG_SQLSTATE) != "0A000")
    return false;
  std::string_view function = field(result, PG_DIAG_SOURCE_FUNCTION);
  return function == "RevalidateCachedQuery" || function == "RevalidateCachedPlan";  // the latter before 9.2
}

void throw_result_error(const PGresult* result, PGconn* conn, std::string_view context) {
  std::string_view sqlstate = field(result, PG_DIAG_SQLSTATE);
  if (sqlstate.empty()) throw_connection_error(conn, context);
  std::string message = one_line(field(result, PG_DIAG_MESSAGE_PRIMARY));
  // 57014 covers both a user's cancel and statement_timeout; only the message tells them apart.
  if (sqlstate == "57014" && message.find("statement timeout") != std::string::npos)
    throw Error(ErrorKind::timeout, fmt::format("{}: {} [SQLSTATE {}]", context, message, sqlstate),
                std::string(sqlstate), false);
  // An unnamed statement (behind a transaction pooler) given the wrong number of values: the
  // server checks when binding them, as a protocol violation, which is no lost connection.
  if (sqlstate == "08P01" && field(result, PG_DIAG_SOURCE_FUNCTION) == "exec_bind_message")
    throw Error(ErrorKind::config, fmt::format("{}: {} [SQLSTATE {}]", context, message, sqlstate),
                std::string(sqlstate), false);
  // Where in the statement sent the server found the error, as its own logs say it (1-based,
  // in characters); mcp/error_position.hpp reads it back to point into an agent's SQL text.
  std::string_view position = field(result, PG_DIAG_STATEMENT_POSITION);
  if (!position.empty()) message += fmt::format(" at character {}", position);
  std::string_view detail = field(result, PG_DIAG_MESSAGE_DETAIL);
  if (!detail.empty()) message += " (" + one_line(detail) + ")";
  throw Error(kind_for_sqlstate(sqlstate), fmt::format("{}: {} [SQLSTATE {}]", context, message, sqlstate),
              std::string(sqlstate), retryable_sqlstate(sqlstate));
}

void throw_connection_error(PGconn* conn, std::string_view context) {
  std::string message = one_line(conn ? PQerrorMessage(conn) : "out of memory");
  if (looks_like_auth_failure(message))
    throw Error(ErrorKind::auth, fmt::format("{}: {}", context, message), "28P01", false);
  bool lost = !conn || PQstatus(conn) == CONNECTION_BAD;
  throw Error(lost ? ErrorKind::connection : ErrorKind::internal, fmt::format("{}: {}", context, message), "",
              lost);
}

}  // namespace weir::db::postgres
