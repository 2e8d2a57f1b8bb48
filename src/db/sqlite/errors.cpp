#include "db/sqlite/errors.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "weir/error.hpp"

namespace weir::db::sqlite {
namespace {

ErrorKind kind_of(int extended, std::string_view message) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return ErrorKind::unique;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return ErrorKind::foreign_key;
    case SQLITE_CONSTRAINT_NOTNULL: return ErrorKind::not_null;
    case SQLITE_CONSTRAINT_CHECK: return ErrorKind::check;
    default: break;
  }
  switch (extended & 0xff) {
    case SQLITE_CONSTRAINT: return ErrorKind::check;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorKind::serialization;
    case SQLITE_INTERRUPT: return ErrorKind::cancelled;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT: return ErrorKind::connection;
    case SQLITE_FULL: return ErrorKind::storage;
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_READONLY: return ErrorKind::permission;
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE: return ErrorKind::data;
    case SQLITE_NOMEM:
    case SQLITE_MISUSE: return ErrorKind::internal;
    case SQLITE_ERROR:
      // SQLite reports both bad SQL and unknown objects as plain SQLITE_ERROR.
      if (message.find("syntax error") != std::string_view::npos ||
          message.find("no such") != std::string_view::npos ||
          message.find("has no column") != std::string_view::npos ||
          message.find("incomplete input") != std::string_view::npos)
        return ErrorKind::syntax;
      return ErrorKind::data;
    default: return ErrorKind::internal;
  }
}

}  // namespace

void throw_error(sqlite3* db, int rc, std::string_view context) {
  int extended = db ? sqlite3_extended_errcode(db) : rc;
  if ((extended & 0xff) != (rc & 0xff)) extended = rc;
  std::string_view message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  ErrorKind kind = kind_of(extended, message);
  // A busy database file and an unopenable one are not the same: only busy is transient.
  bool retryable = (extended & 0xff) == SQLITE_BUSY || (extended & 0xff) == SQLITE_LOCKED;
  throw Error(kind, fmt::format("{}: {}", context, message), std::to_string(extended), retryable);
}

}  // namespace weir::db::sqlite
