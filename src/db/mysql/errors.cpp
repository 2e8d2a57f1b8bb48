#include "db/mysql/errors.hpp"

#include <errmsg.h>
#include <fmt/format.h>

#include <array>
#include <string>
#include <vector>

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
    ErrnoRule{1263, ErrorKind::not_null, false},  // LOAD DATA: NULL for a NOT NULL column
    ErrnoRule{3819, ErrorKind::check, false},        ErrnoRule{4025, ErrorKind::check, false},
    ErrnoRule{1213, ErrorKind::deadlock, true},      ErrnoRule{1205, ErrorKind::timeout, true},
    ErrnoRule{1064, ErrorKind::syntax, false},       ErrnoRule{1146, ErrorKind::syntax, false},
    ErrnoRule{1054, ErrorKind::syntax, false},       ErrnoRule{1305, ErrorKind::syntax, false},
    ErrnoRule{1049, ErrorKind::config, false},       ErrnoRule{1045, ErrorKind::auth, false},
    ErrnoRule{1044, ErrorKind::permission, false},   ErrnoRule{1142, ErrorKind::permission, false},
    ErrnoRule{1143, ErrorKind::permission, false},   ErrnoRule{1227, ErrorKind::permission, false},
    ErrnoRule{1792, ErrorKind::permission, false},  // a write in a READ ONLY transaction (read_only: true)
    ErrnoRule{1317, ErrorKind::cancelled, false},    ErrnoRule{3024, ErrorKind::timeout, false},
    ErrnoRule{1969, ErrorKind::timeout, false},      ErrnoRule{1040, ErrorKind::connection, true},
    ErrnoRule{1053, ErrorKind::connection, true},    ErrnoRule{1927, ErrorKind::connection, true},
    ErrnoRule{2002, ErrorKind::connection, true},    ErrnoRule{2003, ErrorKind::connection, true},
    ErrnoRule{2005, ErrorKind::connection, false},   ErrnoRule{2006, ErrorKind::connection, true},
    ErrnoRule{2013, ErrorKind::connection, true},    ErrnoRule{2026, ErrorKind::connection, true},
    ErrnoRule{1264, ErrorKind::data, false},         ErrnoRule{1265, ErrorKind::data, false},
    ErrnoRule{1292, ErrorKind::data, false},         ErrnoRule{1366, ErrorKind::data, false},
    ErrnoRule{1406, ErrorKind::data, false},         ErrnoRule{1300, ErrorKind::data, false},
    ErrnoRule{3140, ErrorKind::data, false},         ErrnoRule{3141, ErrorKind::data, false},
    ErrnoRule{3146, ErrorKind::data, false},
    // The table is full; the disk is full.
    ErrnoRule{1114, ErrorKind::storage, false},      ErrnoRule{1021, ErrorKind::storage, false},
    // LOAD DATA LOCAL refused: local_infile is off on the server (MariaDB, newer MariaDB, MySQL 8).
    ErrnoRule{1148, ErrorKind::unsupported, false},  ErrnoRule{4166, ErrorKind::unsupported, false},
    ErrnoRule{3948, ErrorKind::unsupported, false},
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
  throw_error(kind_for_errno(code), code, message, sqlstate, context);
}

void throw_error(ErrorKind kind, unsigned code, std::string_view message, std::string_view sqlstate,
                 std::string_view context) {
  throw Error(kind, fmt::format("{}: {} [errno {}, SQLSTATE {}]", context, message, code, sqlstate),
              std::to_string(code), retryable_errno(code));
}

void throw_warning(ErrorKind kind, unsigned code, std::string_view message, std::size_t count,
                   std::string_view context) {
  std::string more = count > 1 ? fmt::format(" (and {} more problem{})", count - 1, count > 2 ? "s" : "") : "";
  throw Error(kind, fmt::format("{}: {}{} [errno {}, reported as a warning]", context, message, more, code),
              std::to_string(code), false);
}

void throw_connect_error(MYSQL* db, std::string_view context) {
  unsigned code = mysql_errno(db);
  bool retryable = code != CR_SSL_CONNECTION_ERROR && retryable_errno(code);
  throw Error(kind_for_errno(code),
              fmt::format("{}: {} [errno {}, SQLSTATE {}]", context, mysql_error(db), code, mysql_sqlstate(db)),
              std::to_string(code), retryable);
}

void throw_connection_error(MYSQL* db, std::string_view context) {
  throw_error(mysql_errno(db), mysql_error(db), mysql_sqlstate(db), context);
}

void throw_statement_error(MYSQL_STMT* stmt, std::string_view context) {
  throw_error(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), mysql_stmt_sqlstate(stmt), context);
}

void throw_fetch_error(MYSQL_STMT* stmt, MYSQL* db, std::string_view context) {
  if (mysql_stmt_errno(stmt) != 0) throw_statement_error(stmt, context);
  throw_connection_error(db, context);
}

std::vector<std::string> quoted_names(std::string_view message) {
  std::vector<std::string> names;
  for (std::size_t pos = message.find('`'); pos != std::string_view::npos; pos = message.find('`', pos + 1)) {
    std::string name;
    for (++pos; pos < message.size(); ++pos) {
      if (message[pos] != '`') name += message[pos];
      else if (pos + 1 < message.size() && message[pos + 1] == '`') name += message[++pos];
      else break;
    }
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace weir::db::mysql
