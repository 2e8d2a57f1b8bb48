// `weir query "SQL"`: the keys of a join reach the remote table in batches (one query for many
// outer rows, `= ANY($1)` on PostgreSQL, `IN (?, …)` on MariaDB), and the rows of a batch go to
// the keys SQLite would match them with — duplicate and NULL keys, keys with no row, decimals
// of another scale, text under MariaDB's case-insensitive collation.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "db/connections.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using test::run_weir;

struct Fetched {
  std::uint64_t rows = ~0ull;
  std::uint64_t queries = ~0ull;
};

// "pg.s.big: 1000 rows fetched in 2 queries, 4.1 ms" of --stats.
Fetched fetched(const std::string& stats, const std::string& table) {
  Fetched f;
  auto at = stats.find(table + ": ");
  if (at == std::string::npos) return f;
  std::string line = stats.substr(at + table.size() + 2, stats.find('\n', at) - at - table.size() - 2);
  f.rows = std::stoull(line);
  auto in = line.find(" in ");
  if (in != std::string::npos) f.queries = std::stoull(line.substr(in + 4));
  return f;
}

class QueryJoinKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(pg_url, "WEIR_TEST_PG_URL");
    WEIR_SERVER_URL_OR_SKIP(my_url, "WEIR_TEST_MYSQL_URL");
    s_ = test::unique_suffix();
    pg_ = db::connect(db::resolve_connection(*pg_url, nullptr));
    my_ = db::connect(db::resolve_connection(*my_url, nullptr));
    lite_ = test::open_sqlite(dir_.file("lite.db"));
    pg_->execute_script(fmt::format(
        "CREATE SCHEMA xk_{0}; CREATE TABLE xk_{0}.big AS SELECT g AS id, g % 97 AS k FROM generate_series(1, 20000) g; "
        "ALTER TABLE xk_{0}.big ADD PRIMARY KEY (id); ANALYZE xk_{0}.big",
        s_));
    my_->execute_script(fmt::format("CREATE TABLE keys_{} (v BIGINT)", s_));
    lite_->execute_script("CREATE TABLE keys (v INTEGER)");
    std::string values;
    for (int i = 1; i <= 1000; ++i) values += fmt::format("{}({})", i > 1 ? ", " : "", i * 20);
    my_->execute_script(fmt::format("INSERT INTO keys_{} VALUES {}", s_, values));
    lite_->execute_script(fmt::format("INSERT INTO keys VALUES {}", values));
    // `local`, the embedded store next to the config file, is a connection too.
    std::filesystem::create_directories(dir_.path() / ".weir");
    auto store = test::open_sqlite(dir_.file(".weir/local.db"));
    store->execute_script(fmt::format("CREATE TABLE keys (v INTEGER); INSERT INTO keys VALUES {}", values));
    config_ = dir_.file("weir.yaml");
    test::write_file(config_, fmt::format("connections:\n  pg: \"{}\"\n  my: \"{}\"\n  lite: \"sqlite:{}\"\n", *pg_url,
                                          *my_url, dir_.file("lite.db")));
  }

  void TearDown() override {
    if (pg_) pg_->execute_script(fmt::format("DROP SCHEMA IF EXISTS xk_{} CASCADE", s_));
    if (my_)
      for (const char* t : {"keys", "names"}) my_->execute_script(fmt::format("DROP TABLE IF EXISTS {}_{}", t, s_));
  }

  test::CommandResult weir(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", config_, "query"});
    return run_weir(args);
  }

  // sum(k) over the rows id = 20 i, i = 1 … 1000: what the joins below must sum.
  static std::int64_t expected_sum() {
    std::int64_t sum = 0;
    for (int i = 1; i <= 1000; ++i) sum += (i * 20) % 97;
    return sum;
  }

  test::TempDir dir_;
  std::string s_, config_;
  std::unique_ptr<db::Connection> pg_, my_, lite_;
};

TEST_F(QueryJoinKeys, AThousandKeysReachTheRemoteTableInBatchesNotOneQueryEach) {
  std::string big = fmt::format("pg.xk_{}.big", s_);
  for (std::string keys : {fmt::format("my.keys_{}", s_), std::string("lite.keys"), std::string("local.keys")}) {
    SCOPED_TRACE(keys);
    auto r = weir({fmt::format("SELECT count(*) AS n, sum(b.k) AS s FROM {} m JOIN {} b ON b.id = m.v", keys, big), "-f",
                   "csv", "--stats"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, fmt::format("n,s\n1000,{}\n", expected_sum()));
    // The first batch asks for 100 keys; one row per key lets the next ask for the other 900.
    EXPECT_EQ(fetched(r.err, big).rows, 1000u) << r.err;
    EXPECT_EQ(fetched(r.err, big).queries, 2u) << r.err;
    EXPECT_EQ(fetched(r.err, keys).queries, 1u) << r.err;
  }
}

TEST_F(QueryJoinKeys, ExplainShowsTheKeysSentAsOneArrayParameter) {
  auto r = weir({fmt::format("SELECT count(*) AS n FROM my.keys_{0} m JOIN pg.xk_{0}.big b ON b.id = m.v", s_),
                 "--explain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("pg: SELECT \"id\" FROM \"xk_{}\".\"big\" WHERE \"id\" = ANY($1)\n  sent 2 times; "
                                   "parameters ('[20,40,",
                                   s_)),
            std::string::npos)
      << r.out;
}

TEST_F(QueryJoinKeys, BatchedRowsGoToTheKeysSqliteMatches) {
  my_->execute_script(fmt::format(
      "CREATE TABLE names_{} (id INT, name VARCHAR(10), price DECIMAL(10,2)) DEFAULT CHARSET=utf8mb4 "
      "COLLATE=utf8mb4_general_ci",
      s_));
  my_->execute_script(fmt::format("INSERT INTO names_{} VALUES (1, 'abc', 1.50), (2, 'ABC', 2.00), (3, 'b', NULL), "
                                  "(4, 'a ', 7.25), (5, NULL, 1.5), (6, 'abc', 3.10)",
                                  s_));
  pg_->execute_script(fmt::format(
      "CREATE TABLE xk_{0}.words (note int, w text, p numeric(10,3)); INSERT INTO xk_{0}.words VALUES "
      "(1, 'abc', 1.500), (2, 'B', NULL), (3, 'a', 7.250), (4, NULL, 9), (5, 'abc', 2), (6, 'zz', 3.1)",
      s_));
  // LEFT JOIN: the words are the outer loop, each looked up in MariaDB by name, in one batch.
  auto text = weir({fmt::format("SELECT w.note, n.id FROM pg.xk_{0}.words w LEFT JOIN my.names_{0} n ON n.name = w.w "
                                "ORDER BY w.note, n.id",
                                s_),
                    "-f", "csv", "--stats"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, "note,id\n1,1\n1,6\n2,\n3,\n4,\n5,1\n5,6\n6,\n") << "byte order, no case folding, no padding";
  EXPECT_EQ(fetched(text.err, fmt::format("my.names_{}", s_)).queries, 1u) << text.err;
  // Decimals of another scale are one key: 1.500 = 1.50 = 1.5, 7.250 = 7.25, 2 = 2.00, 3.1 = 3.10.
  auto money = weir({fmt::format("SELECT w.note, n.id FROM pg.xk_{0}.words w JOIN my.names_{0} n ON n.price = w.p "
                                 "ORDER BY w.note, n.id",
                                 s_),
                     "-f", "csv", "--stats"});
  ASSERT_EQ(money.exit_code, 0) << money.err;
  EXPECT_EQ(money.out, "note,id\n1,1\n1,5\n3,4\n5,2\n6,6\n") << money.err;
  EXPECT_EQ(fetched(money.err, fmt::format("my.names_{}", s_)).queries, 1u) << money.err;
}

}  // namespace
}  // namespace weir
