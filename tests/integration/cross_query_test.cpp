// `weir query "SQL"` across PostgreSQL, MariaDB and a SQLite file: a small TPC-H-like schema
// split across the three gives, query after query, the rows PostgreSQL gives holding every
// table (compared row by row, numbers by exact value); collation, NULL ordering and mixed
// numeric types give SQLite's answer, never fewer rows; rows fetched per remote table are
// pinned; one snapshot per connection; bad names and syntax exit 2 naming them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "db/connections.hpp"
#include "db/sqlite/decimal_sum.hpp"
#include "query/cross_query.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/temporal.hpp"

namespace weir {
namespace {

using test::run_weir;
using Row = std::vector<std::string>;

// CSV as weir prints it: fields separated by commas, quoted when they hold one.
std::vector<Row> parse_csv(const std::string& text) {
  std::vector<Row> rows;
  Row row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  return rows;
}

// Equal cells: the same text, or numbers of the same exact value (PostgreSQL prints 30.00
// where SQLite's exact sum prints 30).
bool same_cell(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto da = db::sqlite::ExactDecimal::parse(a), dbl = db::sqlite::ExactDecimal::parse(b);
  return da && dbl && da->compare(*dbl) == 0;
}

std::string decimal(long cents) {
  return fmt::format("{}{}.{:02}", cents < 0 ? "-" : "", std::labs(cents) / 100, std::labs(cents) % 100);
}

Value date(int day) { return Value(Date{days_from_civil(2025, 1, 1) + day}); }

struct TableData {
  std::string ddl;  // columns, for CREATE TABLE name (…)
  std::vector<std::vector<Value>> rows;
};

std::map<std::string, TableData> tpch_data() {
  std::map<std::string, TableData> t;
  const char* nations[] = {"ALGERIA", "BRAZIL", "CANADA", "DENMARK", "EGYPT"};
  t["nation"].ddl = "n_nationkey INTEGER PRIMARY KEY, n_name VARCHAR(25)";
  for (int i = 0; i < 5; ++i) t["nation"].rows.push_back({Value(i), Value(nations[i])});
  t["supplier"].ddl = "s_suppkey INTEGER PRIMARY KEY, s_name VARCHAR(25), s_nationkey INTEGER";
  for (int i = 1; i <= 10; ++i) t["supplier"].rows.push_back({Value(i), Value(fmt::format("Supplier#{:03}", i)), Value(i % 5)});
  t["part"].ddl = "p_partkey INTEGER PRIMARY KEY, p_name VARCHAR(55), p_retailprice DECIMAL(12,2)";
  for (int i = 1; i <= 30; ++i)
    t["part"].rows.push_back({Value(i), Value(fmt::format("part {:02}", i)), Value(Decimal{decimal(90000 + i * 137)})});
  t["customer"].ddl = "c_custkey INTEGER PRIMARY KEY, c_name VARCHAR(25), c_nationkey INTEGER, c_acctbal DECIMAL(12,2)";
  for (int i = 1; i <= 50; ++i)
    t["customer"].rows.push_back({Value(i), Value(fmt::format("Customer#{:03}", i)), Value(i % 5),
                                  i % 7 == 0 ? Value() : Value(Decimal{decimal((i * 733) % 10000 - 1000)})});
  t["orders"].ddl =
      "o_orderkey BIGINT PRIMARY KEY, o_custkey INTEGER, o_orderstatus CHAR(1), o_totalprice DECIMAL(12,2), "
      "o_orderdate DATE, o_priority INTEGER";
  t["lineitem"].ddl =
      "l_orderkey BIGINT, l_linenumber INTEGER, l_partkey INTEGER, l_suppkey INTEGER, l_quantity DECIMAL(12,2), "
      "l_extendedprice DECIMAL(12,2), l_discount DECIMAL(4,2), l_shipdate DATE, PRIMARY KEY (l_orderkey, l_linenumber)";
  const char* status[] = {"F", "O", "P"};
  for (int o = 1; o <= 200; ++o) {
    long total = 0;
    int lines = o % 3 + 1;
    for (int l = 1; l <= lines; ++l) {
      long quantity = (o + l) % 50 + 1;
      long price = quantity * (90000 + ((o * 13 + l) % 30 + 1) * 137) / 10;
      total += price;
      t["lineitem"].rows.push_back({Value(o), Value(l), Value((o * 13 + l) % 30 + 1), Value((o + l) % 10 + 1),
                                    Value(Decimal{decimal(quantity * 100)}), Value(Decimal{decimal(price)}),
                                    Value(Decimal{decimal((o + l) % 11)}), date((o * 3) % 365 + l * 5)});
    }
    t["orders"].rows.push_back({Value(o), Value((o * 7) % 45 + 1), o % 11 == 0 ? Value() : Value(status[o % 3]),
                                Value(Decimal{decimal(total)}), date((o * 3) % 365), o % 6 == 0 ? Value() : Value(o % 5)});
  }
  return t;
}

void load(db::Connection& c, const std::string& table, const TableData& data, std::string_view options = "") {
  c.execute_script(fmt::format("CREATE TABLE {} ({}){}", table, data.ddl, options));
  db::Transaction tx(c);
  for (const auto& row : data.rows) {
    std::string marks;
    for (std::size_t i = 0; i < row.size(); ++i) marks += (i ? ", " : "") + c.dialect().placeholder(i + 1);
    c.execute(fmt::format("INSERT INTO {} VALUES ({})", table, marks), row);
  }
  tx.commit();
}

class QueryAcross : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(pg_url, "WEIR_TEST_PG_URL");
    WEIR_SERVER_URL_OR_SKIP(my_url, "WEIR_TEST_MYSQL_URL");
    pg_url_ = *pg_url;
    s_ = test::unique_suffix();
    pg_ = db::connect(db::resolve_connection(pg_url_, nullptr));
    my_ = db::connect(db::resolve_connection(*my_url, nullptr));
    lite_ = test::open_sqlite(dir_.file("lite.db"));
    pg_->execute_script(fmt::format("CREATE SCHEMA xq_{0}; CREATE SCHEMA rq_{0}", s_));
    auto data = tpch_data();
    for (const auto& [name, table] : data) load(*pg_, fmt::format("rq_{}.{}", s_, name), table);
    load(*pg_, fmt::format("xq_{}.orders", s_), data["orders"]);
    load(*pg_, fmt::format("xq_{}.lineitem", s_), data["lineitem"]);
    load(*my_, fmt::format("customer_{}", s_), data["customer"]);
    load(*my_, fmt::format("part_{}", s_), data["part"]);
    load(*lite_, "nation", data["nation"]);
    load(*lite_, "supplier", data["supplier"]);
    config_ = dir_.file("weir.yaml");
    test::write_file(config_, fmt::format("connections:\n  pg: \"{}\"\n  my: \"{}\"\n  lite: \"sqlite:{}\"\n", pg_url_,
                                          *my_url, dir_.file("lite.db")));
  }

  void TearDown() override {
    if (pg_) pg_->execute_script(fmt::format("DROP SCHEMA IF EXISTS xq_{0} CASCADE; DROP SCHEMA IF EXISTS rq_{0} CASCADE", s_));
    if (my_)
      for (const char* t : {"customer", "part", "names", "big"})
        my_->execute_script(fmt::format("DROP TABLE IF EXISTS {}_{}", t, s_));
  }

  // `sql` with {table} names replaced: across connections, or all in PostgreSQL's reference schema.
  std::string across(std::string sql) const {
    for (auto [from, to] : std::map<std::string, std::string>{
             {"{orders}", fmt::format("pg.xq_{}.orders", s_)}, {"{lineitem}", fmt::format("pg.xq_{}.lineitem", s_)},
             {"{customer}", fmt::format("my.customer_{}", s_)}, {"{part}", fmt::format("my.part_{}", s_)},
             {"{nation}", "lite.nation"}, {"{supplier}", "lite.supplier"}})
      for (std::size_t at; (at = sql.find(from)) != std::string::npos;) sql.replace(at, from.size(), to);
    return sql;
  }
  std::string in_reference(std::string sql) const {
    for (const char* t : {"orders", "lineitem", "customer", "part", "nation", "supplier"}) {
      std::string from = fmt::format("{{{}}}", t);
      for (std::size_t at; (at = sql.find(from)) != std::string::npos;) sql.replace(at, from.size(), fmt::format("rq_{}.{}", s_, t));
    }
    return sql;
  }

  test::CommandResult weir(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", config_, "query"});
    return run_weir(args);
  }

  void expect_same_rows(const std::string& sql) {
    SCOPED_TRACE(sql);
    auto mine = weir({across(sql), "-f", "csv"});
    ASSERT_EQ(mine.exit_code, 0) << mine.err;
    auto reference = run_weir({"query", pg_url_, in_reference(sql), "-f", "csv"});
    ASSERT_EQ(reference.exit_code, 0) << reference.err;
    auto a = parse_csv(mine.out), b = parse_csv(reference.out);
    ASSERT_EQ(a.size(), b.size()) << mine.out << "---\n" << reference.out;
    ASSERT_GT(a.size(), 1u) << "the query returns no row: it proves little";
    for (std::size_t r = 0; r < a.size(); ++r) {
      ASSERT_EQ(a[r].size(), b[r].size()) << "row " << r;
      for (std::size_t c = 0; c < a[r].size(); ++c)
        EXPECT_TRUE(same_cell(a[r][c], b[r][c])) << "row " << r << " column " << c << ": " << a[r][c] << " vs " << b[r][c];
    }
  }

  test::TempDir dir_;
  std::string s_, pg_url_, config_;
  std::unique_ptr<db::Connection> pg_, my_, lite_;
};

TEST_F(QueryAcross, AnalyticalQueriesGiveWhatPostgresGivesHoldingEveryTable) {
  const char* queries[] = {
      // revenue per nation: five tables over three databases, decimals summed exactly
      "SELECT n.n_name, sum(l.l_extendedprice) AS revenue, count(*) AS lines FROM {lineitem} l "
      "JOIN {orders} o ON o.o_orderkey = l.l_orderkey JOIN {customer} c ON c.c_custkey = o.o_custkey "
      "JOIN {nation} n ON n.n_nationkey = c.c_nationkey GROUP BY n.n_name ORDER BY revenue DESC, n.n_name",
      // top customers by spending, dates pushed as a range
      "SELECT c.c_name, sum(o.o_totalprice) AS spent FROM {orders} o JOIN {customer} c ON c.c_custkey = o.o_custkey "
      "WHERE o.o_orderdate >= '2025-03-01' AND o.o_orderdate < '2025-09-01' GROUP BY c.c_name "
      "ORDER BY spent DESC, c.c_name LIMIT 10",
      // NULL statuses and priorities, NULLs ordered explicitly
      "SELECT o.o_orderstatus, o.o_priority, count(*) AS n FROM {orders} o GROUP BY o.o_orderstatus, o.o_priority "
      "ORDER BY o.o_orderstatus NULLS FIRST, o.o_priority NULLS LAST",
      // customers without orders: an anti-join through NOT EXISTS
      "SELECT c.c_custkey, c.c_acctbal FROM {customer} c WHERE NOT EXISTS "
      "(SELECT 1 FROM {orders} o WHERE o.o_custkey = c.c_custkey) ORDER BY c.c_custkey",
      // a scalar subquery and a decimal comparison with an integer
      "SELECT p.p_partkey, p.p_retailprice FROM {part} p WHERE p.p_retailprice > "
      "(SELECT avg(p2.p_retailprice) FROM {part} p2) AND p.p_retailprice > 900 ORDER BY p.p_retailprice DESC",
      // IN list pushed, suppliers from SQLite
      "SELECT s.s_name, count(*) AS n, sum(l.l_quantity) AS q FROM {lineitem} l JOIN {supplier} s "
      "ON s.s_suppkey = l.l_suppkey WHERE l.l_suppkey IN (2, 3, 5) GROUP BY s.s_name ORDER BY s.s_name",
      // NULL balances ordered first, negative decimals
      "SELECT c.c_custkey, c.c_acctbal FROM {customer} c ORDER BY c.c_acctbal NULLS FIRST, c.c_custkey LIMIT 12",
      // LIMIT with OFFSET on one table
      "SELECT o.o_orderkey, o.o_orderdate FROM {orders} o WHERE o.o_custkey = 8 ORDER BY o.o_orderkey LIMIT 3 OFFSET 1",
      // HAVING over a join, a date equality
      "SELECT o.o_custkey, count(*) AS n FROM {orders} o JOIN {lineitem} l ON l.l_orderkey = o.o_orderkey "
      "GROUP BY o.o_custkey HAVING count(*) > 10 ORDER BY n DESC, o.o_custkey",
      "SELECT l.l_orderkey, l.l_linenumber, l.l_shipdate FROM {lineitem} l WHERE l.l_shipdate = '2025-01-09' "
      "ORDER BY 1, 2",
      // IS NULL pushed, a left join keeping unmatched rows
      "SELECT c.c_custkey, o.o_orderkey FROM {customer} c LEFT JOIN {orders} o ON o.o_custkey = c.c_custkey "
      "AND o.o_orderstatus IS NULL ORDER BY c.c_custkey, o.o_orderkey NULLS FIRST",
      // a derived table and an IN subquery over another database
      "SELECT t.nation, t.n FROM (SELECT n.n_name AS nation, count(*) AS n FROM {supplier} s JOIN {nation} n "
      "ON n.n_nationkey = s.s_nationkey GROUP BY n.n_name) t WHERE t.nation IN (SELECT n2.n_name FROM {nation} n2 "
      "JOIN {customer} c ON c.c_nationkey = n2.n_nationkey WHERE c.c_acctbal < 0) ORDER BY t.nation",
  };
  for (const char* q : queries) expect_same_rows(q);
}

TEST_F(QueryAcross, TextFollowsSqliteNotMariadbsCaseInsensitiveCollation) {
  my_->execute_script(fmt::format(
      "CREATE TABLE names_{} (v VARCHAR(10)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci", s_));
  my_->execute_script(fmt::format("INSERT INTO names_{} VALUES ('abc'), ('ABC'), ('Abc'), ('b'), ('B'), ('a ')", s_));
  pg_->execute_script(fmt::format("CREATE TABLE xq_{0}.words (w text); INSERT INTO xq_{0}.words VALUES ('abc'), ('B')", s_));
  auto eq = weir({fmt::format("SELECT v FROM my.names_{} WHERE v = 'abc'", s_), "-f", "csv"});
  EXPECT_EQ(eq.out, "v\nabc\n") << eq.err;
  // Under utf8mb4_general_ci nothing is > 'Z': pushed, the range would lose every row.
  auto range = weir({fmt::format("SELECT v FROM my.names_{} WHERE v > 'Z' ORDER BY v", s_), "-f", "csv"});
  EXPECT_EQ(range.out, "v\na \nabc\nb\n") << range.err;
  auto join = weir({fmt::format("SELECT n.v FROM pg.xq_{0}.words w JOIN my.names_{0} n ON n.v = w.w ORDER BY n.v", s_),
                    "-f", "csv"});
  EXPECT_EQ(join.out, "v\nB\nabc\n") << join.err;
  auto join_range = weir({fmt::format("SELECT count(*) AS n FROM pg.xq_{0}.words w JOIN my.names_{0} n ON n.v > w.w", s_),
                          "-f", "csv"});
  // In byte order 'b' follows 'abc', and 'a ', 'abc', 'b' follow 'B'.
  EXPECT_EQ(join_range.out, "n\n4\n") << join_range.err;
}

TEST_F(QueryAcross, NullOrderingWithLimitReturnsTheNullRows) {
  // The rows with no priority are orders 6, 12, 18 …: NULLS FIRST must find them, not the
  // first rows the remote happens to return.
  auto first = weir({across("SELECT o_orderkey FROM {orders} ORDER BY o_priority NULLS FIRST, o_orderkey LIMIT 3"), "-f", "csv"});
  EXPECT_EQ(first.out, "o_orderkey\n6\n12\n18\n") << first.err;
  auto plain = weir({across("SELECT o_orderkey FROM {orders} ORDER BY o_priority, o_orderkey LIMIT 2"), "-f", "csv"});
  EXPECT_EQ(plain.out, "o_orderkey\n6\n12\n") << "SQLite sorts NULL first" << plain.err;
  auto desc = weir({across("SELECT o_orderkey FROM {orders} ORDER BY o_priority DESC NULLS LAST, o_orderkey DESC LIMIT 2"),
                    "-f", "csv"});
  EXPECT_EQ(desc.out, "o_orderkey\n199\n194\n") << desc.err;
}

TEST_F(QueryAcross, MixedNumericTypesAndUnsigned64BitValuesCompareExactly) {
  my_->execute_script(fmt::format("CREATE TABLE big_{} (id BIGINT UNSIGNED PRIMARY KEY, label VARCHAR(10))", s_));
  my_->execute_script(fmt::format("INSERT INTO big_{} VALUES (18446744073709551615, 'max'), (9223372036854775808, "
                                  "'2^63'), (9223372036854775807, '2^63-1'), (1, 'one'), (18446744073709551614, 'max-1')",
                                  s_));
  auto sorted = weir({fmt::format("SELECT id, label FROM my.big_{} ORDER BY id DESC", s_), "-f", "csv"});
  EXPECT_EQ(sorted.out,
            "id,label\n18446744073709551615,max\n18446744073709551614,max-1\n9223372036854775808,2^63\n"
            "9223372036854775807,2^63-1\n1,one\n")
      << sorted.err;
  auto above = weir({fmt::format("SELECT label FROM my.big_{} WHERE id > 9223372036854775807 ORDER BY id", s_), "-f", "csv"});
  EXPECT_EQ(above.out, "label\n2^63\nmax-1\nmax\n") << above.err;
  // Beyond 64 bits a literal is a REAL in SQLite: the exact value is written as text.
  auto equal = weir({fmt::format("SELECT label FROM my.big_{} WHERE id = '18446744073709551614'", s_), "-f", "csv"});
  EXPECT_EQ(equal.out, "label\nmax-1\n") << equal.err;
  auto in = weir({fmt::format("SELECT label FROM my.big_{} WHERE id IN ('9223372036854775808', 1) ORDER BY id", s_),
                  "-f", "csv"});
  EXPECT_EQ(in.out, "label\none\n2^63\n") << in.err;
  // 10.5 against an integer column, 900 against a decimal one.
  auto real = weir({across("SELECT count(*) AS n FROM {orders} WHERE o_orderkey < 10.5"), "-f", "csv"});
  EXPECT_EQ(real.out, "n\n10\n") << real.err;
  auto money = weir({across("SELECT count(*) AS n FROM {part} WHERE p_retailprice >= 937.99"), "-f", "csv"});
  EXPECT_EQ(money.out, "n\n3\n") << money.err;  // 938.36, 939.73, 941.10 (900 + 1.37 i for i = 28 … 30)
}

std::uint64_t fetched(const std::string& stats, const std::string& table) {
  auto at = stats.find(table + ": ");
  if (at == std::string::npos) return ~0ull;
  return std::stoull(stats.substr(at + table.size() + 2));
}

TEST_F(QueryAcross, RowsFetchedShowWhatWasPushed) {
  pg_->execute_script(fmt::format("CREATE TABLE xq_{0}.big AS SELECT g AS id, g % 97 AS k FROM generate_series(1, 20000) g; "
                                  "ALTER TABLE xq_{0}.big ADD PRIMARY KEY (id); ANALYZE xq_{0}.big",
                                  s_));
  std::string big = fmt::format("pg.xq_{}.big", s_);
  auto one = weir({fmt::format("SELECT * FROM {} LIMIT 1", big), "-f", "csv", "--stats"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(fetched(one.err, big), 1u) << one.err;
  auto range = weir({fmt::format("SELECT id FROM {} WHERE id > 19990 AND id <= 19995", big), "-f", "csv", "--stats"});
  EXPECT_EQ(range.out, "id\n19991\n19992\n19993\n19994\n19995\n");
  EXPECT_EQ(fetched(range.err, big), 5u) << range.err;
  // A selective join: customer 8's orders are read by key, nothing else.
  auto join = weir({across("SELECT o.o_orderkey FROM {customer} c JOIN {orders} o ON o.o_custkey = c.c_custkey "
                           "WHERE c.c_custkey = 8 ORDER BY 1"),
                    "-f", "csv", "--stats"});
  ASSERT_EQ(join.exit_code, 0) << join.err;
  std::string expected_orders = test::scalar(*pg_, fmt::format("SELECT count(*) FROM xq_{}.orders WHERE o_custkey = 8", s_));
  EXPECT_EQ(fetched(join.err, fmt::format("my.customer_{}", s_)), 1u) << join.err;
  EXPECT_EQ(fetched(join.err, fmt::format("pg.xq_{}.orders", s_)), std::stoull(expected_orders)) << join.err;
  // The keys of 1,000 rows of one side against 20,000 of the other: at most the matching rows.
  auto keys = weir({fmt::format("SELECT count(*) AS n FROM {0} a JOIN {0} b ON b.id = a.id * 20 WHERE a.id <= 1000", big),
                    "-f", "csv", "--stats"});
  EXPECT_EQ(keys.out, "n\n1000\n") << keys.err;
}

TEST_F(QueryAcross, OrderByWithLimitAndLikeAreSentWhereTheRemoteAgrees) {
  // PostgreSQL sorts NULLs last ascending: sent with NULLS FIRST, the remote's first 3 are SQLite's.
  auto nulls = weir({across("SELECT o_orderkey, o_priority FROM {orders} ORDER BY o_priority, o_orderkey LIMIT 3"), "-f", "csv",
                     "--stats"});
  EXPECT_EQ(nulls.out, "o_orderkey,o_priority\n6,\n12,\n18,\n") << nulls.err;
  EXPECT_EQ(fetched(nulls.err, fmt::format("pg.xq_{}.orders", s_)), 3u) << nulls.err;
  // Decimals order by value on MariaDB too; NULLs last descending, as SQLite puts them.
  auto money = weir({across("SELECT c_custkey FROM {customer} ORDER BY c_acctbal DESC, c_custkey LIMIT 2"), "-f", "csv",
                     "--stats"});
  EXPECT_EQ(money.out, "c_custkey\n27\n13\n") << money.err;
  EXPECT_EQ(fetched(money.err, fmt::format("my.customer_{}", s_)), 2u) << money.err;
  // Text under MariaDB's collation is sorted by SQLite: every row is read.
  auto names = weir({across("SELECT c_name FROM {customer} ORDER BY c_name DESC LIMIT 2"), "-f", "csv", "--stats"});
  EXPECT_EQ(names.out, "c_name\nCustomer#050\nCustomer#049\n") << names.err;
  EXPECT_EQ(fetched(names.err, fmt::format("my.customer_{}", s_)), 50u) << names.err;
  // LIKE is case-insensitive in SQLite: PostgreSQL's ILIKE finds the same 'F' rows.
  auto like = weir({across("SELECT count(*) AS n FROM {orders} o JOIN {customer} c ON c.c_custkey = o.o_custkey "
                           "WHERE o.o_orderstatus LIKE 'f'"),
                    "-f", "csv", "--stats"});
  EXPECT_EQ(like.out, "n\n60\n") << like.err;
  EXPECT_EQ(fetched(like.err, fmt::format("pg.xq_{}.orders", s_)), 60u) << like.err;
}

TEST_F(QueryAcross, ExplainShowsThePlanAndTheQueriesSentWithTheirParameters) {
  auto r = weir({across("SELECT o.o_orderkey FROM {customer} c JOIN {orders} o ON o.o_custkey = c.c_custkey "
                        "WHERE c.c_custkey = 8 AND o.o_orderdate >= '2025-02-01'"),
                 "--explain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("my: SELECT `c_custkey` FROM `customer_{}` WHERE `c_custkey` = ?\n  sent 1 time; "
                                   "parameters ('8')\n",
                                   s_)),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(fmt::format("pg: SELECT \"o_orderkey\", \"o_custkey\", \"o_orderdate\" FROM \"xq_{}\".\"orders\" "
                                   "WHERE \"o_orderdate\" >= $1 AND \"o_custkey\" = $2\n  sent 1 time; parameters "
                                   "('2025-02-01', '8')\n",
                                   s_)),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("SCAN c VIRTUAL TABLE INDEX 2:columns c_custkey; c_custkey = ?\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SCAN o VIRTUAL TABLE INDEX 2:columns o_orderkey, o_custkey, o_orderdate; o_orderdate >= ?; "
                       "o_custkey = ? rechecked\n"),
            std::string::npos)
      << r.out;
}

TEST_F(QueryAcross, OneSnapshotPerConnectionForTheWholeStatement) {
  query::Connections connections{[](std::string_view n) { return n == "pg"; },
                                 [&](std::string_view) { return db::resolve_connection(pg_url_, nullptr); }};
  std::string t = fmt::format("pg.xq_{}.orders", s_);
  query::CrossQuery q(fmt::format("SELECT count(*) FROM {0} UNION ALL SELECT count(*) FROM {0} WHERE o_orderkey > 0", t),
                      connections);
  q.keep_on_sqlite();  // the virtual tables' snapshot (run whole, it is one statement anyway)
  auto cursor = q.run();
  Batch batch;
  ASSERT_TRUE(cursor->next(batch, 1));
  EXPECT_EQ(batch.at(0, 0), Value(200));
  pg_->execute_script(fmt::format("INSERT INTO xq_{}.orders (o_orderkey) VALUES (1000)", s_));
  ASSERT_TRUE(cursor->next(batch, 1));
  EXPECT_EQ(batch.at(0, 0), Value(200)) << "the second read saw a later state of the database";
  q.finish();
}

TEST_F(QueryAcross, BadNamesAndSyntaxExit2NamingThem) {
  auto r = weir({"SELECT * FROM nope.public.t"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: no connection `nope` in the config file (table `nope.public.t` at column 15)\n");
  r = weir({"SELECT * FROM pg.public.no_such_table"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: connection `pg` has no table `public.no_such_table` (column 15)\n");
  r = weir({across("SELECT o.totl FROM {orders} o")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: the statement: no such column: o.totl (column 8)\n");
  r = weir({across("SELEC o_orderkey FROM {orders}")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: the statement: near \"SELEC\": syntax error (column 1)\n");
}

TEST_F(QueryAcross, RemoteErrorsNameTheConnectionAndTheSqlSent) {
  pg_->execute_script(fmt::format("CREATE VIEW xq_{0}.bad AS SELECT o_orderkey / (o_orderkey - o_orderkey) AS x "
                                  "FROM xq_{0}.orders",
                                  s_));
  // One connection's statement runs there whole; across two, the view is read on its own.
  auto r = weir({fmt::format("SELECT x FROM pg.xq_{}.bad", s_)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fmt::format("connection `pg`, running SELECT x FROM (SELECT \"x\" FROM \"xq_{}\".\"bad\") AS \"bad\"", s_)),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("division by zero"), std::string::npos) << r.err;
  r = weir({fmt::format("SELECT b.x FROM pg.xq_{}.bad b JOIN lite.nation n ON n.n_nationkey = b.x", s_)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fmt::format("connection `pg`, running SELECT \"x\" FROM \"xq_{}\".\"bad\"", s_)), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("division by zero"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(std::getenv("WEIR_TEST_PG_PASSWORD")), std::string::npos);
}

TEST_F(QueryAcross, OneDatabaseStatementStillRunsThere) {
  // Two arguments: the statement runs on that database, in its dialect, as before.
  auto r = weir({"pg", fmt::format("SELECT count(*)::text AS n FROM xq_{}.orders", s_), "-f", "csv"});
  EXPECT_EQ(r.out, "n\n200\n") << r.err;
}

}  // namespace
}  // namespace weir
