// Conformance: bound parameters are data, never SQL; their count must match the placeholders.
#include <fmt/format.h>

#include "conformance/conformance_test.hpp"

namespace weir::conformance {
namespace {

WEIR_CONFORMANCE_SUITE(ConformanceParams);

const char* const kInjection = "'; DROP TABLE x; --";

TEST_P(ConformanceParams, InjectionTextIsStoredVerbatim) {
  std::string victim = create_table("x", q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("name") + " VARCHAR(100)");
  insert(victim, {"id", "name"}, {Value(1), Value(kInjection)});
  insert(victim, {"id", "name"}, {Value(2), Value(fmt::format("'; DROP TABLE {}; --", q(victim)))});
  bulk(db::WriteMode::insert, victim, {"id", "name"}, {{Value(3), Value(kInjection)}});

  EXPECT_EQ(count_rows(victim), 3);
  Rows r = rows(fmt::format("SELECT {} FROM {} WHERE {} = {} ORDER BY {}", q("id"), q(victim), q("name"), p(1), q("id")),
                std::vector{Value(kInjection)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0][0], Value(1));
  EXPECT_EQ(r[1][0], Value(3));
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {} WHERE {} = 2", q("name"), q(victim), q("id"))),
            Value(fmt::format("'; DROP TABLE {}; --", q(victim))));
}

TEST_P(ConformanceParams, InjectionThroughEveryWriteMode) {
  std::string t = create_table("x", q("k") + " VARCHAR(100) NOT NULL PRIMARY KEY, " + q("v") + " VARCHAR(100)");
  bulk(db::WriteMode::upsert, t, {"k", "v"}, {{Value(kInjection), Value(kInjection)}}, {"k"});
  bulk(db::WriteMode::update, t, {"k", "v"}, {{Value(kInjection), Value("' OR 1=1 --")}}, {"k"});
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {}", q("v"), q(t))), Value("' OR 1=1 --"));
  bulk(db::WriteMode::remove, t, {"k"}, {{Value("' OR '1'='1")}}, {"k"});
  EXPECT_EQ(count_rows(t), 1) << "a key that looks like SQL matched nothing";
  bulk(db::WriteMode::remove, t, {"k"}, {{Value(kInjection)}}, {"k"});
  EXPECT_EQ(count_rows(t), 0);
}

TEST_P(ConformanceParams, SecondStatementIsNeverRun) {
  std::string t = create_table("x", q("id") + " INTEGER");
  auto e = error_from([&] { conn().execute(fmt::format("INSERT INTO {} VALUES (1); DROP TABLE {}", q(t), q(t))); });
  ASSERT_TRUE(e) << "execute() ran two statements";
  EXPECT_EQ(e->kind(), ErrorKind::syntax) << e->what();
  EXPECT_EQ(count_rows(t), 0) << "nothing of the rejected text ran";
}

TEST_P(ConformanceParams, TooFewParametersIsAConfigError) {
  std::string t = create_table("x", q("a") + " INTEGER, " + q("b") + " INTEGER");
  auto e = error_from([&] {
    conn().execute(fmt::format("INSERT INTO {} VALUES ({}, {})", q(t), p(1), p(2)), std::vector{Value(1)});
  });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::config) << e->what();
  EXPECT_EQ(count_rows(t), 0);
}

TEST_P(ConformanceParams, TooManyParametersIsAConfigError) {
  std::string t = create_table("x", q("a") + " INTEGER");
  auto e = error_from([&] {
    conn().execute(fmt::format("INSERT INTO {} VALUES ({})", q(t), p(1)), std::vector{Value(1), Value(2)});
  });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::config) << e->what();
  auto q_error = error_from([&] { conn().query("SELECT 1", std::vector{Value(1)}); });
  ASSERT_TRUE(q_error);
  EXPECT_EQ(q_error->kind(), ErrorKind::config) << q_error->what();
  EXPECT_EQ(count_rows(t), 0);
}

TEST_P(ConformanceParams, ParametersBindInPlaceholderOrder) {
  std::string t = create_table("x", q("a") + " INTEGER, " + q("b") + " VARCHAR(10), " + q("c") + " INTEGER");
  insert(t, {"c", "a", "b"}, {Value(3), Value(1), Value("two")});
  Rows r = rows(fmt::format("SELECT {}, {}, {} FROM {} WHERE {} = {} AND {} = {}", q("a"), q("b"), q("c"), q(t),
                            q("b"), p(1), q("c"), p(2)),
                std::vector{Value("two"), Value(3)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (Row{Value(1), Value("two"), Value(3)}));
}

TEST_P(ConformanceParams, NullParameterMatchesNothingWithEquals) {
  std::string t = create_table("x", q("a") + " INTEGER");
  insert(t, {"a"}, {Value()});
  EXPECT_EQ(scalar(fmt::format("SELECT COUNT(*) FROM {} WHERE {} = {}", q(t), q("a"), p(1)), std::vector{Value()}),
            Value(0));
  EXPECT_EQ(scalar(fmt::format("SELECT COUNT(*) FROM {} WHERE {} IS NULL", q(t), q("a"))), Value(1));
}

}  // namespace
}  // namespace weir::conformance
