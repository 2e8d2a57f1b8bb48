// sql_call's lookups against a thousand keys and a database that goes away: how many queries
// 100,000 records cost cold and warm (the lookup layer's own count of statements run, and on
// the servers the server's own count), keys
// with no row remembered for their own ttl, a preloaded table joined in memory, and rows
// served stale while the server is stopped — then on_error once they are older than stale_for —
// and, through `weir run`, said so in its progress lines.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <optional>
#include <thread>

#include "modules/filter/sql_call.hpp"
#include "support/filter_support.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::modules {
namespace {

using namespace std::chrono_literals;
using test::cell;

struct Backend {
  const char* name;
  const char* url_variable;  // nullptr: an SQLite file
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

const Backend kBackends[] = {{"Postgres", "WEIR_TEST_PG_URL"}, {"Mariadb", "WEIR_TEST_MYSQL_URL"}, {"Sqlite", nullptr}};

constexpr int kKeys = 1000, kWithRows = 900, kRecords = 100'000, kBatch = 500;

// The key of record i: every key 1…1000 a hundred times, in a scattered order.
int key_of(int i) { return (i * 7919) % kKeys + 1; }

class SqlCallResilience : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db::ConnectionConfig c;
    c.name = "crm";
    if (GetParam().url_variable) {
      auto url = test::server_url(GetParam().url_variable);
      if (!url) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
      c.url = Url::parse(*url);
    } else {
      c.url = Url::parse("sqlite:" + dir_.file("crm.db"));
    }
    config_ = c;
    connections_.emplace("crm", c);
    table_ = "lookup_keys_" + test::unique_suffix();
    auto admin = db::connect(config_);
    admin->execute_script("CREATE TABLE " + table_ + " (id BIGINT PRIMARY KEY, name VARCHAR(20))");
    std::string insert = "INSERT INTO " + table_ + " VALUES ";
    for (int id = 1; id <= kWithRows; ++id) insert += (id > 1 ? ", (" : "(") + std::to_string(id) + ", 'c" + std::to_string(id) + "')";
    admin->execute_script(insert);
  }

  void TearDown() override {
    if (!table_.empty() && running_) db::connect(config_)->execute_script("DROP TABLE " + table_);
  }

  std::unique_ptr<pipeline::Filter> filter(const std::string& options) {
    auto f = test::make_filter("sql_call", "connection: crm\nqueries:\n  - sql: \"SELECT name FROM " + table_ +
                                               " WHERE id = {{record.k}}\"\n" + options,
                               connections_);
    f->open(pipeline::RunOptions{});
    return f;
  }

  // Records first…last-1 (their `k` is key_of(i)).
  static Batch records(int first, int last) {
    std::vector<std::vector<Value>> rows;
    for (int i = first; i < last; ++i) rows.push_back({Value(i), Value(key_of(i))});
    return test::make_batch({test::column("n", Type::int64), test::column("k", Type::int64)}, rows);
  }

  // Every record through `f` in batches of 500; each name checked against its key.
  void pass(pipeline::Filter& f) {
    for (int first = 0; first < kRecords; first += kBatch) {
      Batch in = records(first, first + kBatch), out;
      f.process(in, out, dead_);
      ASSERT_EQ(out.rows(), in.rows());
      for (std::size_t r = 0; r < out.rows(); ++r) {
        int k = key_of(first + static_cast<int>(r));
        ASSERT_EQ(cell(out, r, "name"), k <= kWithRows ? "c" + std::to_string(k) : "NULL") << "record " << first + r;
      }
    }
  }

  std::string name_of(pipeline::Filter& f, int key) {
    Batch in = test::make_batch({test::column("k", Type::int64)}, {{Value(key)}}), out;
    f.process(in, out, dead_);
    return out.rows() ? cell(out, 0, "name") : "(dead letter)";
  }

  static std::uint64_t queries(const pipeline::Filter& f) { return sql_call_stats(f)[0].queries; }

  test::TempDir dir_;
  db::ConnectionConfig config_;
  db::Connections connections_;
  std::string table_;
  bool running_ = true;
  test::DeadLetters dead_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SqlCallResilience, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(SqlCallResilience, AThousandKeysCostAFewQueriesColdAndNoneWarm) {
  auto f = filter("    cache: { ttl: 10m, max_entries: 10000 }\n");
  pass(*f);
  const std::uint64_t cold = queries(*f);
  EXPECT_GE(cold, 1u);
  EXPECT_LE(cold, 200u) << "at most one query per batch of 500";
  pass(*f);
  EXPECT_EQ(queries(*f), cold) << "warm: every key, with rows or without, answered from memory";
  EXPECT_TRUE(dead_.letters.empty());
}

TEST_P(SqlCallResilience, APreloadedTableIsOneQuery) {
  auto f = filter("    preload: { refresh: 10m }\n");
  pass(*f);
  EXPECT_EQ(queries(*f), 1u);
  pass(*f);
  EXPECT_EQ(queries(*f), 1u) << "not due for a refresh";
  EXPECT_EQ(sql_call_stats(*f)[0].preloads, 1u);
}

TEST_P(SqlCallResilience, APreloadIsRefreshed) {
  auto f = filter("    preload: { refresh: 2s }\n");
  EXPECT_EQ(name_of(*f, 950), "NULL");
  db::connect(config_)->execute_script("INSERT INTO " + table_ + " VALUES (950, 'c950')");
  EXPECT_EQ(name_of(*f, 950), "NULL") << "the rows read at first";
  std::this_thread::sleep_for(2100ms);
  EXPECT_EQ(name_of(*f, 950), "c950");
  EXPECT_EQ(queries(*f), 2u);
}

// A key without a row is asked again after negative_ttl; a key with one only after ttl.
TEST_P(SqlCallResilience, KeysWithoutRowsHaveTheirOwnTtl) {
  auto f = filter("    cache: { ttl: 10m, negative_ttl: 200ms }\n");
  EXPECT_EQ(name_of(*f, 1), "c1");
  EXPECT_EQ(name_of(*f, 950), "NULL");
  db::connect(config_)->execute_script("INSERT INTO " + table_ + " VALUES (950, 'c950'); UPDATE " + table_ +
                                       " SET name = 'renamed' WHERE id = 1");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(name_of(*f, 950), "c950");
  EXPECT_EQ(name_of(*f, 1), "c1") << "still within its ttl";
  EXPECT_EQ(queries(*f), 3u);
}

// The queries counted by the server itself, not by weir: on PostgreSQL a function the lookup's
// SQL calls in an uncorrelated subquery, which the server runs once per statement executed (a
// one-time filter); on MariaDB its general log, every statement it received naming the table.
class SqlCallCountedByServer : public SqlCallResilience {
 protected:
  bool postgres() const { return std::string(GetParam().name) == "Postgres"; }

  // The lookup's SQL condition that counts (PostgreSQL), after the setup it needs.
  std::string start_counting() {
    auto admin = db::connect(config_);
    if (postgres()) {
      admin->execute_script(fmt::format(
          "CREATE TABLE {0}_queries (n BIGINT NOT NULL); INSERT INTO {0}_queries VALUES (0); "
          "CREATE FUNCTION {0}_counted() RETURNS boolean LANGUAGE plpgsql VOLATILE AS "
          "$$ BEGIN UPDATE {0}_queries SET n = n + 1; RETURN true; END $$",
          table_));
      return fmt::format(" AND (SELECT {}_counted())", table_);
    }
    admin->execute_script("SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 'ON'");
    logging_ = true;
    return "";
  }

  std::uint64_t counted() {
    auto admin = db::connect(config_);
    // The pattern is built in the query, so that the query itself, logged too, does not match.
    std::string n = postgres() ? test::scalar(*admin, "SELECT n FROM " + table_ + "_queries")
                               : test::scalar(*admin, "SELECT count(*) FROM mysql.general_log WHERE command_type IN "
                                                      "('Query', 'Execute') AND argument LIKE CONCAT('%FROM ', '" +
                                                          table_ + "', ' WHERE%')");
    return std::stoull(n);
  }

  void TearDown() override {
    if (logging_) db::connect(config_)->execute_script("SET GLOBAL general_log = 'OFF'; TRUNCATE mysql.general_log");
    if (postgres() && !table_.empty())
      db::connect(config_)->execute_script(
          fmt::format("DROP FUNCTION IF EXISTS {0}_counted(); DROP TABLE IF EXISTS {0}_queries", table_));
    SqlCallResilience::TearDown();
  }

  bool logging_ = false;
};

INSTANTIATE_TEST_SUITE_P(Servers, SqlCallCountedByServer,
                         ::testing::ValuesIn(std::begin(kBackends), std::begin(kBackends) + 2),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(SqlCallCountedByServer, AThousandKeysCostAtMost200QueriesColdAndNoneWarm) {
  const std::string counting = start_counting();
  auto f = test::make_filter("sql_call", "connection: crm\nqueries:\n  - sql: \"SELECT name FROM " + table_ +
                                             " WHERE id = {{record.k}}" + counting +
                                             "\"\n    cache: { ttl: 10m, max_entries: 10000 }\n",
                             connections_);
  f->open(pipeline::RunOptions{});
  const std::uint64_t before = counted();  // opening reads the result's columns once
  pass(*f);
  const std::uint64_t cold = counted() - before;
  EXPECT_GE(cold, 1u);
  EXPECT_LE(cold, 200u) << "at most one query per batch of 500 records";
  EXPECT_EQ(cold, queries(*f)) << "the server saw what weir counted";
  pass(*f);
  EXPECT_EQ(counted() - before, cold) << "warm: no query reached the server";
}

// Only the servers can be stopped.
class SqlCallStale : public SqlCallResilience {
 protected:
  void SetUp() override {
    SqlCallResilience::SetUp();
    if (IsSkipped()) return;
    control_ = std::string(GetParam().name) == "Postgres" ? test::postgres_control() : test::mariadb_control();
    ASSERT_TRUE(control_);
  }

  void TearDown() override {
    if (!running_) start_server();  // a test that stopped early
    SqlCallResilience::TearDown();
  }

  void stop_server() {
    (*control_)("stop");
    running_ = false;
  }
  void start_server() {
    (*control_)("start");
    running_ = true;
  }

  // A project whose pipeline p reads `rec` (n, k) from src.db every second, looks each k up
  // by sql_call (cached 100 ms, served stale for 10 minutes) and writes `enriched` in dst.db;
  // returns its file.
  std::string write_enriching_pipeline() {
    std::string file = dir_.file("p.yaml");
    test::write_file(file, fmt::format(R"(connections:
  src: "sqlite:src.db"
  crm: "${{{}}}"
  dst: "sqlite:dst.db"
pipelines:
  p:
    input:
      sql_poll: {{ connection: src, query: "SELECT n, k FROM rec WHERE {{{{cursor}}}} ORDER BY n",
                   cursor: {{ columns: [n] }}, schedule: "* * * * * *" }}
    filters:
      - sql_call:
          connection: crm
          queries: [{{ sql: "SELECT name FROM {} WHERE id = {{{{record.k}}}}", cache: {{ ttl: 100ms }},
                      stale_for: 10m, on_error: dead_letter }}]
          retry: {{ max_time: 300ms }}
    output: {{ sql_write: {{ connection: dst, table: enriched, create_table: true,
                             batch: {{ rows: 100, interval: 50ms }} }} }}
)",
                                       GetParam().url_variable, table_));
    return file;
  }

  // The names written to `enriched` so far, in order ("c1 c2 NULL"); "" before the table exists.
  std::string enriched() {
    if (!std::filesystem::exists(dir_.file("dst.db"))) return std::string();
    auto dst = test::open_sqlite(dir_.file("dst.db"));
    if (test::scalar(*dst, "SELECT count(*) FROM sqlite_master WHERE name = 'enriched'") != "1") return std::string();
    return test::scalar(*dst, "SELECT COALESCE(group_concat(COALESCE(name, 'NULL'), ' '), '') FROM "
                              "(SELECT name FROM enriched ORDER BY n)");
  }

  // Whether `text` has a line holding `middle` and ending with `end`.
  static bool has_line(const std::string& text, const std::string& middle, const std::string& end) {
    for (std::size_t at = text.find(middle); at != std::string::npos; at = text.find(middle, at + 1)) {
      const std::size_t line_end = std::min(text.find('\n', at), text.size());
      if (line_end - at >= middle.size() + end.size() && text.compare(line_end - end.size(), end.size(), end) == 0)
        return true;
    }
    return false;
  }

  std::optional<test::ServerControl> control_;
};

INSTANTIATE_TEST_SUITE_P(Servers, SqlCallStale, ::testing::ValuesIn(std::begin(kBackends), std::begin(kBackends) + 2),
                         [](const auto& info) { return std::string(info.param.name); });

// The server stopped after keys 1, 2 and 950 (no row) were read: within stale_for they are
// answered with what was read, a key never read gets on_error, and the progress note says
// so; past stale_for every key gets on_error; once the server is back, rows are read afresh.
TEST_P(SqlCallStale, StaleRowsAreServedWithinStaleFor) {
  const std::string options = "    on_error: dead_letter\n    stale_for: 10s\nretry: { max_time: 300ms }\n";
  auto cached = filter("    cache: { ttl: 100ms }\n" + options);
  auto preloaded = filter("    preload: { refresh: 100ms }\n" + options);
  for (auto* f : {cached.get(), preloaded.get()}) {
    EXPECT_EQ(name_of(*f, 1), "c1");
    EXPECT_EQ(name_of(*f, 950), "NULL");
  }
  EXPECT_EQ(name_of(*cached, 2), "c2");
  const auto read_at = std::chrono::steady_clock::now();
  stop_server();
  std::this_thread::sleep_for(200ms);  // past the ttl and the refresh

  for (auto* f : {cached.get(), preloaded.get()}) {
    EXPECT_EQ(name_of(*f, 1), "c1");
    EXPECT_EQ(name_of(*f, 950), "NULL");
    EXPECT_NE(f->progress_note().find("serving stale rows"), std::string::npos) << f->progress_note();
  }
  EXPECT_EQ(name_of(*cached, 2), "c2");
  EXPECT_EQ(name_of(*cached, 3), "(dead letter)") << "never read";
  EXPECT_EQ(name_of(*preloaded, 3), "c3") << "preloaded with the rest";
  EXPECT_EQ(dead_.letters.size(), 1u);
  EXPECT_EQ(sql_call_stats(*cached)[0].stale, 3u);

  std::this_thread::sleep_until(read_at + 10100ms);
  for (auto* f : {cached.get(), preloaded.get()}) EXPECT_EQ(name_of(*f, 1), "(dead letter)") << "past stale_for";
  EXPECT_EQ(dead_.letters.size(), 3u);
  EXPECT_EQ(dead_.letters.back().stage, "pipelines.p.filters[0].sql_call.queries[0]");

  start_server();
  // The pool tries to connect again once its circuit breaker's pause (5 s) is over.
  for (auto* f : {cached.get(), preloaded.get()}) {
    std::string name;
    for (auto until = std::chrono::steady_clock::now() + 15s;
         (name = name_of(*f, 1)) != "c1" && std::chrono::steady_clock::now() < until;)
      std::this_thread::sleep_for(200ms);
    EXPECT_EQ(name, "c1");
    EXPECT_EQ(f->progress_note(), "");
  }
}

// A `weir run` enriching records while the lookup database is stopped: keys read before are
// answered from the cache within stale_for (key 950 as having no row), and the progress lines
// say so for as long as the filter serves stale rows.
TEST_P(SqlCallStale, ARunSaysInItsProgressLinesThatItServesStaleRows) {
  auto source = test::open_sqlite(dir_.file("src.db"));
  source->execute_script("CREATE TABLE rec(n INTEGER PRIMARY KEY, k INTEGER NOT NULL);"
                         "INSERT INTO rec VALUES (1, 1), (2, 2), (3, 950)");
  test::Background weir({"run", "--progress", "200ms", write_enriching_pipeline()}, dir_.path().string());
  auto wait_for = [&](const std::string& names) {
    for (auto until = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < until && weir.running(); std::this_thread::sleep_for(50ms))
      if (enriched() == names) return true;
    return false;
  };
  ASSERT_TRUE(wait_for("c1 c2 NULL")) << weir.err();

  stop_server();
  source->execute_script("INSERT INTO rec VALUES (4, 1), (5, 2), (6, 950)");
  ASSERT_TRUE(wait_for("c1 c2 NULL c1 c2 NULL")) << "served stale: " << weir.err();
  // The progress line printed while the filter serves stale rows (its rate and lag vary).
  const std::string progress = " info pipeline p: read 6, wrote 6, rejected 0, ";
  const std::string note = " s; pipelines.p.filters[0].sql_call.queries[0].sql: serving stale rows (3 so far), "
                           "the lookup database cannot be reached";
  for (auto until = std::chrono::steady_clock::now() + 5s;
       !has_line(weir.err(), progress, note) && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(100ms);
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 0) << weir.err();
  start_server();
  EXPECT_TRUE(has_line(weir.err(), progress, note))
      << "a progress line `..." << progress << "N rows/s, lag N" << note << "` in:\n" << weir.err();
  EXPECT_NE(weir.err().find(" warning pipelines.p.filters[0].sql_call.queries[0].sql: the lookup database cannot be "
                            "reached; serving rows read up to 600 s ago (stale_for), asking for up to 1 s per batch, "
                            "until it answers: "),
            std::string::npos)
      << weir.err();
  EXPECT_NE(weir.out().find("pipeline p: read 6 rows, wrote 6 rows in"), std::string::npos) << weir.out();
}

}  // namespace
}  // namespace weir::modules
