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

const RemoteTraits kPg{.byte_order_text = true, .like = true, .typed_order = true};
const RemoteTraits kMy{.byte_order_text = false, .like = false, .typed_order = true};

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
  ScanPlan p = plan_scan(kCols, exact, ~0ull, {}, 100, kPg);
  ASSERT_EQ(p.terms.size(), 1u);
  EXPECT_TRUE(p.terms[0].exact);
  EXPECT_EQ(p.limit, 2);
  // An order SQLite applies after a remote LIMIT would sort the wrong rows.
  EXPECT_FALSE(plan_scan(kCols, exact, ~0ull, {{-1, false}}, 100, kPg).limit);
  // A rechecked term could drop rows the remote counted in its LIMIT.
  std::vector<Offered> recheck{{1, Op::eq, true, {RhsKind::text, "x"}}, {-1, Op::limit, true, {}}};
  EXPECT_FALSE(plan_scan(kCols, recheck, ~0ull, {}, 100, kPg).limit);
  // A term not pushed at all, likewise.
  std::vector<Offered> like{{1, Op::other, true, {}}, {-1, Op::limit, true, {}}, {-1, Op::offset, true, {}}};
  EXPECT_FALSE(plan_scan(kCols, like, ~0ull, {}, 100, kPg).limit);
  std::vector<Offered> both{{-1, Op::limit, true, {}}, {-1, Op::offset, true, {}}};
  ScanPlan lo = plan_scan(kCols, both, ~0ull, {}, 100, kPg);
  EXPECT_EQ(lo.limit, 1);
  EXPECT_EQ(lo.offset, 2);
}

TEST(QueryPushdown, UnusableConstraintsAreNotPushed) {
  std::vector<Offered> offered{{0, Op::eq, false, {}}};
  EXPECT_TRUE(plan_scan(kCols, offered, ~0ull, {}, 100, kPg).terms.empty());
}

TEST(QueryPushdown, ProjectionFetchesOnlyUsedColumns) {
  ScanPlan p = plan_scan(kCols, {}, 0b101, {}, 100, kPg);
  EXPECT_EQ(p.columns, (std::vector<int>{0, 2}));
}

TEST(QueryPushdown, RemoteQueryBindsEveryValue) {
  db::postgres::PgDialect pg;
  ScanPlan p = plan_scan(kCols,
                         {{0, Op::ge, true, {RhsKind::integer, "10"}}, {1, Op::gt, true, {RhsKind::text, "m"}},
                          {2, Op::is_null, true, {}}, {0, Op::in, true, {}}},
                         0b011, {}, 100, kPg);
  std::vector<TermArgument> args{{{Value(10)}}, {{Value("m")}}, {}, {{Value(1), Value(2)}}};
  RemoteQuery q = build_remote_query(pg, {"public", "t"}, kCols, p, args, 5, 2);
  EXPECT_EQ(q.sql, "SELECT \"id\", \"name\" FROM \"public\".\"t\" WHERE \"id\" >= $1 AND \"name\" COLLATE \"C\" > $2 AND "
                   "\"d\" IS NULL AND \"id\" = ANY($3) LIMIT $4");
  ASSERT_EQ(q.params.size(), 4u);
  // An IN list is one array parameter on PostgreSQL: one statement for every list length.
  EXPECT_EQ(q.params[2], Value(Array{{Value(1), Value(2)}}));
  EXPECT_EQ(q.params[3], Value(7));  // LIMIT 5 OFFSET 2: SQLite skips the 2 itself
  db::mysql::MyDialect my;
  ScanPlan on_my = plan_scan(kCols, {{0, Op::in, true, {}}}, 0b1, {}, 100, kMy);
  RemoteQuery listed = build_remote_query(my, {"", "t"}, kCols, on_my, {{{Value(1), Value(2)}}}, {}, {});
  EXPECT_EQ(listed.sql, "SELECT `id` FROM `t` WHERE `id` IN (?, ?)");
  EXPECT_EQ(listed.params, (std::vector<Value>{Value(1), Value(2)}));
}

TEST(QueryPushdown, EqualityOnTheOneColumnPrimaryKeyFindsOneRow) {
  std::vector<Offered> by_key{{0, Op::eq, true, {}}};
  ScanPlan p = plan_scan(kCols, by_key, ~0ull, {}, 1000000, kPg, 0);
  EXPECT_TRUE(p.unique);
  EXPECT_EQ(p.estimated_rows, 1.0) << "a lookup of a key of a big table is no scan of a tenth of it";
  EXPECT_FALSE(plan_scan(kCols, by_key, ~0ull, {}, 1000000, kPg, 1).unique);
  EXPECT_EQ(plan_scan(kCols, by_key, ~0ull, {}, 1000000, kPg).estimated_rows, 100000.0);
}

TEST(QueryPushdown, OnlyEqualityWithAValueKnownWhenScanningIsAJoinKey) {
  ScanPlan p = plan_scan(kCols,
                         {{0, Op::eq, true, {}}, {0, Op::eq, true, {RhsKind::integer, "3"}}, {1, Op::in, true, {}},
                          {2, Op::is_null, true, {}}},
                         0b111, {}, 100, kPg);
  ASSERT_EQ(p.terms.size(), 4u);
  EXPECT_TRUE(p.terms[0].key);
  EXPECT_FALSE(p.terms[1].key);
  EXPECT_FALSE(p.terms[2].key);
  EXPECT_FALSE(p.terms[3].key);
}

TEST(QueryPushdown, ValuesThatAreNoValueOfTheColumnAreLeftToSqlite) {
  db::mysql::MyDialect my;
  ScanPlan p = plan_scan(kCols, {{0, Op::eq, true, {}}, {0, Op::in, true, {}}}, 1, {}, 100, kMy);
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

TEST(QueryPushdown, OrderGoesWhereTheRemoteOrdersAsSqliteDoes) {
  std::vector<Offered> limit{{-1, Op::limit, true, {}}};
  ScanPlan p = plan_scan(kCols, limit, ~0ull, {{0, true}}, 100, kMy);
  EXPECT_EQ(p.order, (std::vector<OrderTerm>{{0, true}}));
  EXPECT_EQ(p.limit, 1) << "ORDER BY … LIMIT: the remote sorts, then limits";
  // Text under MySQL's collations orders otherwise: SQLite sorts, and no LIMIT goes.
  EXPECT_TRUE(plan_scan(kCols, limit, ~0ull, {{1, false}}, 100, kMy).order.empty());
  EXPECT_FALSE(plan_scan(kCols, limit, ~0ull, {{1, false}}, 100, kMy).limit);
  EXPECT_EQ(plan_scan(kCols, limit, ~0ull, {{1, false}, {2, true}}, 100, kPg).order.size(), 2u);
  const RemoteTraits file{};  // a SQLite file: its dates are whatever text was written
  EXPECT_TRUE(plan_scan(kCols, limit, ~0ull, {{2, false}}, 100, file).order.empty());
  EXPECT_EQ(plan_scan(kCols, limit, ~0ull, {{0, false}}, 100, file).order.size(), 1u);
  db::postgres::PgDialect pg;
  ScanPlan both = plan_scan(kCols, limit, ~0ull, {{1, false}, {0, true}}, 100, kPg);
  // NULLs where SQLite puts them: first ascending, last descending.
  EXPECT_EQ(build_remote_query(pg, {"", "t"}, kCols, both, {}, 10, {}).sql,
            "SELECT \"id\", \"name\", \"d\" FROM \"t\" ORDER BY \"name\" COLLATE \"C\" NULLS FIRST, \"id\" DESC NULLS LAST "
            "LIMIT $1");
  db::mysql::MyDialect my;
  ScanPlan by_id = plan_scan(kCols, limit, 0b1, {{0, false}}, 100, kMy);
  EXPECT_EQ(build_remote_query(my, {"", "t"}, kCols, by_id, {}, 10, {}).sql, "SELECT `id` FROM `t` ORDER BY `id` LIMIT ?");
}

TEST(QueryPushdown, LikeGoesWhereTheRemoteFindsEverySqliteMatch) {
  EXPECT_EQ(decide(col("name", Type::text), Op::like, {RhsKind::text, "a%"}, kPg), Pushed::filter);
  EXPECT_EQ(decide(col("name", Type::text), Op::like, {RhsKind::text, "a%"}, kMy), Pushed::no);
  EXPECT_EQ(decide(col("id", Type::int64), Op::like, {RhsKind::text, "1%"}, kPg), Pushed::no);
  db::postgres::PgDialect pg;
  ScanPlan p = plan_scan(kCols, {{1, Op::like, true, {RhsKind::text, "a\\%"}}}, 0b10, {}, 100, kPg);
  // ILIKE finds 'ä' for 'Ä' too (a superset, checked again); no escape character, as SQLite.
  EXPECT_EQ(build_remote_query(pg, {"", "t"}, kCols, p, {{{Value("a\\%")}}}, {}, {}).sql,
            "SELECT \"name\" FROM \"t\" WHERE \"name\" ILIKE $1 ESCAPE ''");
}

TEST(QueryPushdown, UuidsWrittenAsWeirWritesThemCompareExactly) {
  Column u = col("u", Type::uuid);
  const std::string canonical = "0e9a7c1c-4f3e-4a39-9c53-2f0a1d3b5e77";
  EXPECT_EQ(decide(u, Op::gt, {RhsKind::text, canonical}, kPg), Pushed::exact);
  EXPECT_EQ(decide(u, Op::eq, {RhsKind::text, canonical}, kMy), Pushed::exact);
  EXPECT_EQ(decide(u, Op::gt, {RhsKind::text, canonical}, kMy), Pushed::no) << "MariaDB orders uuids otherwise";
  // SQLite compares the text: an upper-case literal equals no value SQLite holds.
  EXPECT_EQ(decide(u, Op::eq, {RhsKind::text, "0E9A7C1C-4F3E-4A39-9C53-2F0A1D3B5E77"}, kPg), Pushed::filter);
  EXPECT_EQ(decide(u, Op::gt, {RhsKind::text, "0E9A7C1C-4F3E-4A39-9C53-2F0A1D3B5E77"}, kPg), Pushed::no);
}

}  // namespace
}  // namespace weir::query
