// Conformance: database errors arrive as weir::Error with the right kind, the native code and
// the database's own words; the connection stays usable afterwards.
#include <fmt/format.h>

#include "conformance/conformance_test.hpp"

namespace weir::conformance {
namespace {

class ConformanceErrors : public ConformanceTest {
 protected:
  // The error has `kind`, a native code, and the context's server text for `scenario`.
  void expect_error(const std::optional<Error>& e, ErrorKind kind, const std::string& scenario) {
    ASSERT_TRUE(e) << "expected a " << to_string(kind) << " error (" << scenario << ")";
    EXPECT_EQ(e->kind(), kind) << e->what();
    EXPECT_FALSE(e->code().empty()) << "the native code is kept: " << e->what();
    EXPECT_FALSE(e->retryable()) << e->what();
    auto text = ctx().server_text.find(scenario);
    ASSERT_NE(text, ctx().server_text.end()) << ctx().name << " has no server_text for " << scenario;
    EXPECT_TRUE(contains(e->what(), text->second)) << "message lacks the database's text `" << text->second
                                                   << "`: " << e->what();
  }
  std::string make_table() {
    return create_table("err", q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("name") + " VARCHAR(20) NOT NULL, " +
                                   q("qty") + " INTEGER CHECK (" + q("qty") + " > 0)");
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceErrors, ::testing::ValuesIn(all_contexts()), context_name);

TEST_P(ConformanceErrors, UniqueViolationFromExecute) {
  std::string t = make_table();
  insert(t, {"id", "name"}, {Value(1), Value("a")});
  expect_error(error_from([&] { insert(t, {"id", "name"}, {Value(1), Value("b")}); }), ErrorKind::unique, "unique");
  EXPECT_EQ(count_rows(t), 1);
}

TEST_P(ConformanceErrors, UniqueViolationOfASecondaryIndex) {
  std::string t = create_table("uq", q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("email") + " VARCHAR(50) UNIQUE");
  insert(t, {"id", "email"}, {Value(1), Value("a@x")});
  expect_error(error_from([&] { insert(t, {"id", "email"}, {Value(2), Value("a@x")}); }), ErrorKind::unique, "unique");
}

TEST_P(ConformanceErrors, UniqueViolationFromBulkWriter) {
  std::string t = make_table();
  insert(t, {"id", "name"}, {Value(2), Value("a")});
  Rows data{{Value(1), Value("x")}, {Value(2), Value("dup")}, {Value(3), Value("y")}};
  auto e = error_from([&] { bulk(db::WriteMode::insert, t, {"id", "name"}, data); });
  expect_error(e, ErrorKind::unique, "unique");
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {} WHERE {} = 2", q("name"), q(t), q("id"))), Value("a"));
}

TEST_P(ConformanceErrors, NotNullViolation) {
  std::string t = make_table();
  expect_error(error_from([&] { insert(t, {"id", "name"}, {Value(1), Value()}); }), ErrorKind::not_null, "not_null");
  expect_error(error_from([&] { bulk(db::WriteMode::insert, t, {"id", "name"}, {{Value(2), Value()}}); }),
               ErrorKind::not_null, "not_null");
  EXPECT_EQ(count_rows(t), 0);
}

TEST_P(ConformanceErrors, ForeignKeyViolation) {
  std::string parent = create_table("parent", q("id") + " INTEGER NOT NULL PRIMARY KEY");
  std::string child = create_table("child", fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} INTEGER REFERENCES {} ({})",
                                                        q("id"), q("parent_id"), q(parent), q("id")));
  insert(parent, {"id"}, {Value(1)});
  insert(child, {"id", "parent_id"}, {Value(1), Value(1)});
  expect_error(error_from([&] { insert(child, {"id", "parent_id"}, {Value(2), Value(99)}); }), ErrorKind::foreign_key,
               "foreign_key");
  expect_error(error_from([&] { conn().execute(fmt::format("DELETE FROM {}", q(parent))); }), ErrorKind::foreign_key,
               "foreign_key");
  expect_error(error_from([&] { bulk(db::WriteMode::insert, child, {"id", "parent_id"}, {{Value(3), Value(98)}}); }),
               ErrorKind::foreign_key, "foreign_key");
  EXPECT_EQ(count_rows(child), 1);
  EXPECT_EQ(count_rows(parent), 1);
}

TEST_P(ConformanceErrors, CheckViolation) {
  std::string t = make_table();
  expect_error(error_from([&] { insert(t, {"id", "name", "qty"}, {Value(1), Value("a"), Value(0)}); }),
               ErrorKind::check, "check");
  insert(t, {"id", "name", "qty"}, {Value(1), Value("a"), Value(5)});
  expect_error(error_from([&] {
                 bulk(db::WriteMode::update, t, {"id", "qty"}, {{Value(1), Value(-5)}}, {"id"});
               }),
               ErrorKind::check, "check");
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {}", q("qty"), q(t))), Value(5));
}

TEST_P(ConformanceErrors, UnknownTableIsSyntax) {
  std::string missing = ctx().unique_table_name("missing");
  expect_error(error_from([&] { conn().query("SELECT * FROM " + q(missing)); }), ErrorKind::syntax, "unknown_table");
  expect_error(error_from([&] { conn().execute("DELETE FROM " + q(missing)); }), ErrorKind::syntax, "unknown_table");
  auto e = error_from([&] { bulk(db::WriteMode::insert, missing, {"id"}, {{Value(1)}}); });
  expect_error(e, ErrorKind::syntax, "unknown_table");
}

TEST_P(ConformanceErrors, UnknownColumnIsSyntax) {
  std::string t = make_table();
  // Unquoted (and lower case, so every database folds it the same way).
  expect_error(error_from([&] { conn().query("SELECT nope FROM " + q(t)); }), ErrorKind::syntax, "unknown_column");
  expect_error(error_from([&] { conn().execute("UPDATE " + q(t) + " SET qty = 1 WHERE nope = 1"); }),
               ErrorKind::syntax, "unknown_column");
  auto e = error_from([&] { bulk(db::WriteMode::insert, t, {"id", "nope"}, {{Value(1), Value(2)}}); });
  expect_error(e, ErrorKind::syntax, "unknown_target_column");
}

TEST_P(ConformanceErrors, QuotedUnknownColumnIsSyntax) {
  // weir quotes every identifier it writes, so a quoted name must never mean anything else.
  std::string t = make_table();
  insert(t, {"id", "name"}, {Value(1), Value("a")});
  expect_error(error_from([&] { rows(fmt::format("SELECT {} FROM {}", q("nope"), q(t))); }), ErrorKind::syntax,
               "unknown_column");
  expect_error(error_from([&] { rows(fmt::format("SELECT {} FROM {} WHERE {} = 'x'", q("id"), q(t), q("nope"))); }),
               ErrorKind::syntax, "unknown_column");
}

TEST_P(ConformanceErrors, MisspelledKeyColumnIsAnError) {
  std::string t = make_table();
  insert(t, {"id", "name"}, {Value(1), Value("a")});
  // The key names a column the table lacks: an error, never "0 rows matched".
  for (db::WriteMode mode : {db::WriteMode::update, db::WriteMode::remove}) {
    auto e = error_from([&] { bulk(mode, t, {"nope", "name"}, {{Value(1), Value("b")}}, {"nope"}); });
    expect_error(e, ErrorKind::syntax, "unknown_column");
  }
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {}", q("name"), q(t))), Value("a"));
}

TEST_P(ConformanceErrors, BadSqlIsSyntax) {
  expect_error(error_from([&] { conn().query("SELEC 1"); }), ErrorKind::syntax, "bad_sql");
  expect_error(error_from([&] { conn().execute("CREATE TABLE (oops"); }), ErrorKind::syntax, "bad_sql");
}

TEST_P(ConformanceErrors, ConnectionIsUsableAfterErrors) {
  std::string t = make_table();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(error_from([&] { conn().query("SELEC 1"); }));
    EXPECT_TRUE(error_from([&] { insert(t, {"id", "name"}, {Value(1), Value()}); }));
  }
  EXPECT_NO_THROW(conn().ping());
  EXPECT_FALSE(conn().in_transaction()) << "a failed statement outside a transaction leaves none open";
  insert(t, {"id", "name"}, {Value(1), Value("ok")});
  EXPECT_EQ(count_rows(t), 1);
}

TEST_P(ConformanceErrors, ErrorsInsideATransactionKeepItOpen) {
  std::string t = make_table();
  conn().begin();
  insert(t, {"id", "name"}, {Value(1), Value("a")});
  EXPECT_TRUE(error_from([&] { insert(t, {"id", "name"}, {Value(1), Value("b")}); }));
  EXPECT_TRUE(conn().in_transaction()) << "the caller decides: rollback (or a savepoint) ends it";
  conn().rollback();
  EXPECT_EQ(count_rows(t), 0);
}

}  // namespace
}  // namespace weir::conformance
