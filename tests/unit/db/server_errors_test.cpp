// How server error codes become weir error kinds, and which are retried.
#include <gtest/gtest.h>

#include "db/mysql/errors.hpp"
#include "db/postgres/errors.hpp"

namespace weir::db {
namespace {

struct Expect {
  const char* code;
  ErrorKind kind;
  bool retryable;
};

TEST(PostgresErrors, SqlstateClassesMapToKinds) {
  for (const Expect& e : {
           Expect{"23505", ErrorKind::unique, false},        Expect{"23503", ErrorKind::foreign_key, false},
           Expect{"23502", ErrorKind::not_null, false},      Expect{"23514", ErrorKind::check, false},
           Expect{"23P01", ErrorKind::check, false},         Expect{"40001", ErrorKind::serialization, true},
           Expect{"40P01", ErrorKind::deadlock, true},       Expect{"42601", ErrorKind::syntax, false},
           Expect{"42P01", ErrorKind::syntax, false},        Expect{"42703", ErrorKind::syntax, false},
           Expect{"42501", ErrorKind::permission, false},    Expect{"57014", ErrorKind::cancelled, false},
           Expect{"57P01", ErrorKind::connection, true},     Expect{"08006", ErrorKind::connection, true},
           Expect{"08001", ErrorKind::connection, true},     Expect{"28P01", ErrorKind::auth, false},
           Expect{"28000", ErrorKind::auth, false},          Expect{"53300", ErrorKind::connection, true},
           Expect{"22P02", ErrorKind::data, false},          Expect{"22003", ErrorKind::data, false},
           Expect{"55P03", ErrorKind::timeout, true},        Expect{"0A000", ErrorKind::unsupported, false},
           Expect{"53100", ErrorKind::storage, false},       Expect{"XX000", ErrorKind::internal, false},
       }) {
    EXPECT_EQ(postgres::kind_for_sqlstate(e.code), e.kind) << e.code;
    EXPECT_EQ(postgres::retryable_sqlstate(e.code), e.retryable) << e.code;
  }
}

TEST(MysqlErrors, ErrnosMapToKinds) {
  struct ExpectNo {
    unsigned code;
    ErrorKind kind;
    bool retryable;
  };
  for (const ExpectNo& e : {
           ExpectNo{1062, ErrorKind::unique, false},       ExpectNo{1451, ErrorKind::foreign_key, false},
           ExpectNo{1452, ErrorKind::foreign_key, false},  ExpectNo{1048, ErrorKind::not_null, false},
           ExpectNo{4025, ErrorKind::check, false},        ExpectNo{1213, ErrorKind::deadlock, true},
           ExpectNo{1205, ErrorKind::timeout, true},       ExpectNo{1064, ErrorKind::syntax, false},
           ExpectNo{1146, ErrorKind::syntax, false},       ExpectNo{1054, ErrorKind::syntax, false},
           ExpectNo{1045, ErrorKind::auth, false},         ExpectNo{1142, ErrorKind::permission, false},
           ExpectNo{1317, ErrorKind::cancelled, false},    ExpectNo{2002, ErrorKind::connection, true},
           ExpectNo{2006, ErrorKind::connection, true},    ExpectNo{2013, ErrorKind::connection, true},
           ExpectNo{1366, ErrorKind::data, false},         ExpectNo{9999, ErrorKind::internal, false},
           ExpectNo{1114, ErrorKind::storage, false},      ExpectNo{1021, ErrorKind::storage, false},
       }) {
    EXPECT_EQ(mysql::kind_for_errno(e.code), e.kind) << e.code;
    EXPECT_EQ(mysql::retryable_errno(e.code), e.retryable) << e.code;
  }
}

TEST(MysqlErrors, ThrownErrorCarriesCodeAndContext) {
  try {
    mysql::throw_error(1062, "Duplicate entry '1' for key 'PRIMARY'", "23000", "writing to `t`");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unique);
    EXPECT_EQ(e.code(), "1062");
    EXPECT_FALSE(e.retryable());
    EXPECT_STREQ(e.what(), "writing to `t`: Duplicate entry '1' for key 'PRIMARY' [errno 1062, SQLSTATE 23000]");
  }
}

}  // namespace
}  // namespace weir::db
