#include "db/mysql/errors.hpp"

#include <fmt/format.h>

#include <array>

namespace weir::db::mysql {
namespace {

struct ErrnoRule {
  unsigned code;
  ErrorKind kind;
  bool retryable;
};

constexpr std::array kRules{
    ErrnoRule{1062, ErrorKind::unique, false},       ErrnoRule{1586, ErrorKind::unique, false},
    ErrnoRule{1451, ErrorKind::foreign_key, false},  ErrnoRule{1452, ErrorKind::foreign_key, false},
    ErrnoRule{1216, ErrorKind::foreign_key, false},  ErrnoRule{1217, ErrorKind::foreign_key, false},
    ErrnoRule{1048, ErrorKind::not_null, false},     ErrnoRule{1364, ErrorKind::not_null, false},
    ErrnoRule{3819, ErrorKind::check, false},        ErrnoRule{4025, ErrorKind::check, false},
    ErrnoRule{1213, ErrorKind::deadlock, true},      ErrnoRule{1205, ErrorKind::timeout, true},
    ErrnoRule{1064, ErrorKind::syntax, false},       ErrnoRule{1146, ErrorKind::syntax, false},
    ErrnoRule{1054, ErrorKind::syntax, false},       ErrnoRule{1305, ErrorKind::syntax, false},
    ErrnoRule{1049, ErrorKind::config, false},       ErrnoRule{1045, ErrorKind::auth, false},
    ErrnoRule{1044, ErrorKind::permission, false},   ErrnoRule{1142, ErrorKind::permission, false},
    ErrnoRule{1143, ErrorKind::permission, false},   ErrnoRule{1227, ErrorKind::permission, false},
    ErrnoRule{1317, ErrorKind::cancelled, false},    ErrnoRule{3024, ErrorKind::timeout, false},
    ErrnoRule{1969, ErrorKind::timeout, false},      ErrnoRule{1040, ErrorKind::connection, true},
    ErrnoRule{1053, ErrorKind::connection, true},    ErrnoRule{1927, ErrorKind::connection, true},
    ErrnoRule{2002, ErrorKind::connection, true},    ErrnoRule{2003, ErrorKind::connection, true},
    ErrnoRule{2005, ErrorKind::connection, false},   ErrnoRule{2006, ErrorKind::connection, true},
    ErrnoRule{2013, ErrorKind::connection, true},    ErrnoRule{2026, ErrorKind::connection, false},
    ErrnoRule{1264, ErrorKind::data, false},         ErrnoRule{1265, ErrorKind::data, false},
    ErrnoRule{1292, ErrorKind::data, false},         ErrnoRule{1366, ErrorKind::data, false},
    ErrnoRule{1406, ErrorKind::data, false},         ErrnoRule{1300, ErrorKind::data, false},
};

const ErrnoRule* rule_for(unsigned code) noexcept {
  for (const ErrnoRule& r : kRules)
    if (r.code == code) return &r;
  return nullptr;
}

}  // namespace

ErrorKind kind_for_errno(unsigned code) noexcept {
  const ErrnoRule* r = rule_for(code);
  return r ? r->kind : ErrorKind::internal;
}

bool retryable_errno(unsigned code) noexcept {
  const ErrnoRule* r = rule_for(code);
  return r && r->retryable;
}

void throw_error(unsigned code, std::string_view message, std::string_view sqlstate, std::string_view context) {
  throw Error(kind_for_errno(code), fmt::format("{}: {} [errno {}, SQLSTATE {}]", context, message, code, sqlstate),
              std::to_string(code), retryable_errno(code));
}

void throw_connection_error(MYSQL* db, std::string_view context) {
  throw_error(mysql_errno(db), mysql_error(db), mysql_sqlstate(db), context);
}

void throw_statement_error(MYSQL_STMT* stmt, std::string_view context) {
  throw_error(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), mysql_stmt_sqlstate(stmt), context);
}

}  // namespace weir::db::mysql
