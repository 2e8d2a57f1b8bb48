// The pushdown rules of weir query (src/query/pushdown.hpp): what reaches a remote database,
// what SQLite checks again, and the remote query built from it.
#include "query/pushdown.hpp"

#include <gtest/gtest.h>

#include "db/postgres/dialect.hpp"
#include "db/mysql/dialect.hpp"
#include "weir/temporal.hpp"

namespace weir::query {
namespace {

Column col(std::string name, Type type) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  return c;
}

const RemoteTraits kPg{.byte_order_text = true};
const RemoteTraits kMy{.byte_order_text = false};

TEST(QueryPushdown, IntegerLiteralsOnIntegersAreExact) {
  for (Op op : {Op::eq, Op::ne, Op::lt, Op::le, Op::gt, Op::ge})
    EXPECT_EQ(decide(col("id", Type::int64), op, {RhsKind::integer, "5"}, kMy), Pushed::exact) << to_string(op);
  // 2.5 against an integer column: the remote would compare otherwise; SQLite decides.
  EXPECT_EQ(decide(col("id", Type::int64), Op::lt, {RhsKind::real, "2.5"}, kPg), Pushed::no);
  EXPECT_EQ(decide(col("id", Type::int64), Op::lt, {RhsKind::text, "5"}, kPg), Pushed::no);
  EXPECT_EQ(decide(col("id", Type::int64), Op::eq, {RhsKind::null, ""}, kPg), Pushed::no);
}

TEST(QueryPushdown, TextIsRecheckedAndRangesNeedByteOrder) {
  // MySQL's case-insensitive collations find 'ABC' for 'abc': a superset, checked again.
  EXPECT_EQ(decide(col("name", Type::text), Op::eq, {RhsKind::text, "abc"}, kMy), Pushed::filter);
  // A range under a case-insensitive collation would lose rows: not pushed.
  EXPECT_EQ(decide(col("name", Type::text), Op::gt, {RhsKind::text, "Z"}, kMy), Pushed::no);
  EXPECT_EQ(decide(col("name", Type::text), Op::gt, {RhsKind::text, "Z"}, kPg), Pushed::filter);
  // 'a' <> 'A' is false under a case-insensitive collation: a row would be lost.
  EXPECT_EQ(decide(col("name", Type::text), Op::ne, {RhsKind::text, "a"}, kPg), Pushed::no);
}

TEST(QueryPushdown, TemporalTextIsExactOnlyInCanonicalForm) {
  EXPECT_EQ(decide(col("d", Type::date), Op::ge, {RhsKind::text, "2026-01-01"}, kMy), Pushed::exact);
  EXPECT_EQ(decide(col("ts", Type::timestamp), Op::gt, {RhsKind::text, "2026-01-01 00:00:00"}, kMy), Pushed::exact);
  // SQLite compares the text '2026-01-01' with '2026-01-01 00:00:00' as text: not the remote's answer.
  EXPECT_EQ(decide(col("ts", Type::timestamp), Op::gt, {RhsKind::text, "2026-01-01"}, kPg), Pushed::no);
  EXPECT_EQ(decide(col("d", Type::date), Op::eq, {RhsKind::text, "2026-1-1"}, kPg), Pushed::no);
}

TEST(QueryPushdown, DecimalsAndFloatsAreRechecked) {
  EXPECT_EQ(decide(col("total", Type::decimal), Op::ge, {RhsKind::integer, "100"}, kPg), Pushed::filter);
  EXPECT_EQ(decide(col("total", Type::decimal), Op::ge, {RhsKind::text, "99.50"}, kPg), Pushed::filter);
  EXPECT_EQ(decide(col("total", Type::decimal), Op::ge, {RhsKind::text, "abc"}, kPg), Pushed::no);
  EXPECT_EQ(decide(col("x", Type::float64), Op::lt, {RhsKind::real, "0.5"}, kPg), Pushed::filter);
}

TEST(QueryPushdown, JoinKeysAreEqualityFilters) {
  EXPECT_EQ(decide(col("id", Type::int64), Op::eq, {}, kMy), Pushed::filter);
  EXPECT_EQ(decide(col("id", Type::int64), Op::lt, {}, kMy), Pushed::no);
  EXPECT_EQ(decide(col("doc", Type::json), Op::eq, {}, kMy), Pushed::no);
  EXPECT_EQ(decide(col("id", Type::int64), Op::in, {}, kMy), Pushed::filter);
  EXPECT_EQ(decide(col("b", Type::bytes), Op::is_null, {}, kMy), Pushed::exact);
}

const std::vector<Column> kCols{col("id", Type::int64), col("name", Type::text), col("d", Type::date)};

TEST(QueryPushdown, LimitOnlyWhenEveryTermIsExactAndNoOrder) {
  std::vector<Offered> exact{{0, Op::eq, true, {RhsKind::integer, "1"}}, {-1, Op::limit, true, {}}};
  ScanPlan p = plan_scan(kCols, exact, ~0ull, false, 100, kPg);
  ASSERT_EQ(p.terms.size(), 1u);
  EXPECT_TRUE(p.terms[0].exact);
  EXPECT_EQ(p.limit, 2);
  // An order SQLite applies after a remote LIMIT would sort the wrong rows.
  EXPECT_FALSE(plan_scan(kCols, exact, ~0ull, true, 100, kPg).limit);
  // A rechecked term could drop rows the remote counted in its LIMIT.
  std::vector<Offered> recheck{{1, Op::eq, true, {RhsKind::text, "x"}}, {-1, Op::limit, true, {}}};
  EXPECT_FALSE(plan_scan(kCols, recheck, ~0ull, false, 100, kPg).limit);
  // A term not pushed at all, likewise.
  std::vector<Offered> like{{1, Op::other, true, {}}, {-1, Op::limit, true, {}}, {-1, Op::offset, true, {}}};
  EXPECT_FALSE(plan_scan(kCols, like, ~0ull, false, 100, kPg).limit);
  std::vector<Offered> both{{-1, Op::limit, true, {}}, {-1, Op::offset, true, {}}};
  ScanPlan lo = plan_scan(kCols, both, ~0ull, false, 100, kPg);
  EXPECT_EQ(lo.limit, 1);
  EXPECT_EQ(lo.offset, 2);
}

TEST(QueryPushdown, UnusableConstraintsAreNotPushed) {
  std::vector<Offered> offered{{0, Op::eq, false, {}}};
  EXPECT_TRUE(plan_scan(kCols, offered, ~0ull, false, 100, kPg).terms.empty());
}

TEST(QueryPushdown, ProjectionFetchesOnlyUsedColumns) {
  ScanPlan p = plan_scan(kCols, {}, 0b101, false, 100, kPg);
  EXPECT_EQ(p.columns, (std::vector<int>{0, 2}));
}

TEST(QueryPushdown, RemoteQueryBindsEveryValue) {
  db::postgres::PgDialect pg;
  ScanPlan p = plan_scan(kCols,
                         {{0, Op::ge, true, {RhsKind::integer, "10"}}, {1, Op::gt, true, {RhsKind::text, "m"}},
                          {2, Op::is_null, true, {}}, {0, Op::in, true, {}}},
                         0b011, false, 100, kPg);
  std::vector<TermArgument> args{{{Value(10)}}, {{Value("m")}}, {}, {{Value(1), Value(2)}}};
  RemoteQuery q = build_remote_query(pg, {"public", "t"}, kCols, p, args, 5, 2);
  EXPECT_EQ(q.sql, "SELECT \"id\", \"name\" FROM \"public\".\"t\" WHERE \"id\" >= $1 AND \"name\" COLLATE \"C\" > $2 AND "
                   "\"d\" IS NULL AND \"id\" IN ($3, $4) LIMIT $5");
  ASSERT_EQ(q.params.size(), 5u);
  EXPECT_EQ(q.params[4], Value(7));  // LIMIT 5 OFFSET 2: SQLite skips the 2 itself
}

TEST(QueryPushdown, ValuesThatAreNoValueOfTheColumnAreLeftToSqlite) {
  db::mysql::MyDialect my;
  ScanPlan p = plan_scan(kCols, {{0, Op::eq, true, {}}, {0, Op::in, true, {}}}, 1, false, 100, kMy);
  std::vector<TermArgument> args{{{std::nullopt}}, {{Value(1), std::nullopt}}};
  EXPECT_EQ(build_remote_query(my, {"", "t"}, kCols, p, args, {}, {}).sql, "SELECT `id` FROM `t`");
  std::vector<TermArgument> empty_in{{{Value(3)}}, {}};
  EXPECT_EQ(build_remote_query(my, {"", "t"}, kCols, p, empty_in, {}, {}).sql, "SELECT `id` FROM `t` WHERE `id` = ? AND 1 = 0");
}

TEST(QueryPushdown, ConversionsFollowTheColumnType) {
  EXPECT_EQ(to_column_value(col("id", Type::int64), RhsKind::integer, "42"), Value(42));
  EXPECT_EQ(to_column_value(col("id", Type::int64), RhsKind::text, "42"), std::nullopt);
  EXPECT_EQ(to_column_value(col("t", Type::decimal), RhsKind::text, "18446744073709551615"),
            Value(Decimal{"18446744073709551615"}));
  EXPECT_EQ(to_column_value(col("d", Type::date), RhsKind::text, "2026-02-03"), Value(Date{days_from_civil(2026, 2, 3)}));
  EXPECT_EQ(to_column_value(col("d", Type::date), RhsKind::text, "2026-2-3"), std::nullopt);
}

}  // namespace
}  // namespace weir::query
