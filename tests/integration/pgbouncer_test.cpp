// PostgreSQL through PgBouncer in transaction mode with its default settings, as the harness
// starts it (WEIR_TEST_PGBOUNCER_URL): PgBouncer refuses startup parameters it does not track
// (`options`), and hands each transaction to any of its server connections, so no named
// prepared statement and no untracked session setting survives from one to the next. The
// driver suite runs through it too (conformance contexts pgbouncer*).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/filter_support.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

class PgBouncer : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PGBOUNCER_URL");
    url_ = *url;
    suffix_ = test::unique_suffix();
  }

  db::ConnectionConfig config(const std::vector<std::pair<std::string, std::string>>& options = {}) const {
    db::ConnectionConfig c;
    c.name = "bouncer";
    c.url = Url::parse(url_);
    for (const auto& [key, value] : options) c.url.set_option(key, value);
    return c;
  }

  std::unique_ptr<db::Connection> connect() const { return db::connect(config()); }

  // The error connecting with `options` gives (none: a failure of the test).
  Error connect_error(const std::vector<std::pair<std::string, std::string>>& options) const {
    try {
      db::connect(config(options));
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "connected through PgBouncer with options it refuses";
    return Error(ErrorKind::internal, "connected");
  }

  std::string url_, suffix_;
  test::TempDir dir_;
};

// The session settings weir reads text by reach the server without the `options` startup
// parameter, which PgBouncer refuses ("unsupported startup parameter: options").
TEST_F(PgBouncer, ConnectsWithItsDefaultSettings) {
  auto c = connect();
  EXPECT_EQ(test::scalar(*c, "SELECT current_setting('TimeZone')"), "UTC");
  EXPECT_EQ(test::scalar(*c, "SELECT current_setting('DateStyle')"), "ISO, MDY");
  EXPECT_EQ(test::scalar(*c, "SELECT current_setting('application_name')"), "weir");
}

// Asked for explicitly, `options` still goes to the server, and PgBouncer's refusal is a
// configuration error that says what to do, not a lost connection to retry.
TEST_F(PgBouncer, RefusedStartupOptionsAreAConfigErrorNamingTheWayOut) {
  for (const auto& option : {std::pair<std::string, std::string>{"options", "-c work_mem=64MB"},
                             std::pair<std::string, std::string>{"query_timeout", "5000"}}) {
    Error e = connect_error({option});
    EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
    EXPECT_FALSE(e.retryable()) << e.what();
    EXPECT_NE(std::string(e.what()).find("unsupported startup parameter: options"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ALTER ROLE"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(Url::parse(url_).password), std::string::npos) << "the password is masked";
  }
}

// A statement runs again while another client holds the server connection it ran on, so
// PgBouncer lends this client another one: a named prepared statement would be missing there
// ("prepared statement "weir_1" does not exist"), and the session's settings must follow it.
TEST_F(PgBouncer, StatementsAndSettingsFollowTheClientToAnotherServerConnection) {
  auto a = connect();
  auto b = connect();
  const std::string sql =
      "SELECT pg_backend_pid() AS pid, date '2024-02-29' + $1::int AS d, interval '1 year 2 mons 3 days 04:05:06.5' "
      "AS i, timestamptz '2024-03-01 12:00:00+05' AS t, current_setting('TimeZone') AS tz";
  auto read = [&](db::Connection& c) {
    auto cursor = c.query(sql, std::vector{Value(1)});
    Batch batch;
    EXPECT_TRUE(cursor->next(batch, 10));
    EXPECT_EQ(batch.rows(), 1u);
    return std::vector<Value>(batch.row(0).begin(), batch.row(0).end());
  };
  std::vector<Value> first = read(*a);
  b->begin();
  b->execute("SELECT 1");  // b now holds the server connection a used last (PgBouncer reuses it first)
  std::vector<Value> second = read(*a);
  b->rollback();
  EXPECT_NE(first[0], second[0]) << "the second run went to another server connection";
  for (const auto& row : {first, second}) {
    EXPECT_EQ(row[1], Value(Date{19783})) << row[1].to_text();  // 2024-03-01
    EXPECT_EQ(row[2], Value(Interval{14, 3, (4 * 3600 + 5 * 60 + 6) * 1'000'000LL + 500'000})) << row[2].to_text();
    EXPECT_EQ(row[3], Value(TimestampTz{(19783LL * 86400 + 7 * 3600) * 1'000'000})) << row[3].to_text();
    EXPECT_EQ(row[4], Value("UTC"));
  }
}

// The same settings on a direct connection whose server (here: the URL's own `options`) says
// otherwise: weir's SETs come after the startup parameters, so dates, instants and intervals
// still read as values, and the session runs in UTC.
TEST(PostgresSession, SettingsHoldAgainstTheServersOwn) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  db::ConnectionConfig config{.name = "pg", .url = Url::parse(*url), .init_script = {}};
  config.url.set_option("options",
                        "-c DateStyle=SQL,DMY -c TimeZone=Asia/Kathmandu -c IntervalStyle=sql_standard "
                        "-c extra_float_digits=-10");
  auto c = db::connect(config);
  auto cursor = c->query(
      "SELECT date '2024-02-29' + $1::int, interval '1 year 2 mons 3 days 04:05:06.5', "
      "timestamptz '2024-03-01 12:00:00+05', 0.1::float8 * 3, current_setting('TimeZone')",
      std::vector{Value(1)});
  Batch batch;
  ASSERT_TRUE(cursor->next(batch, 10));
  EXPECT_EQ(batch.at(0, 0), Value(Date{19783})) << batch.at(0, 0).to_text();
  EXPECT_EQ(batch.at(0, 1), Value(Interval{14, 3, (4 * 3600 + 5 * 60 + 6) * 1'000'000LL + 500'000}))
      << batch.at(0, 1).to_text();
  EXPECT_EQ(batch.at(0, 2), Value(TimestampTz{(19783LL * 86400 + 7 * 3600) * 1'000'000})) << batch.at(0, 2).to_text();
  EXPECT_EQ(batch.at(0, 3), Value(0.30000000000000004)) << batch.at(0, 3).to_text();
  EXPECT_EQ(batch.at(0, 4), Value("UTC"));
}

// query_timeout goes to the server as a startup parameter; when it does not arrive (here the
// URL's `options` overrides it, as a pooler told to ignore `options` would drop it), the
// connection says so instead of running without the timeout.
TEST(PostgresSession, AQueryTimeoutThatDidNotArriveIsAConfigError) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  db::ConnectionConfig config{.name = "pg", .url = Url::parse(*url), .init_script = {}};
  config.url.set_option("query_timeout", "300");
  config.url.set_option("options", "-c statement_timeout=0");
  try {
    db::connect(config);
    ADD_FAILURE() << "connected without the query_timeout";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
    EXPECT_NE(std::string(e.what()).find("query_timeout=300 did not reach the server"), std::string::npos) << e.what();
  }
}

// No pooler keeps a SET of extra_float_digits: a server that lowered it (here through the URL's
// own `options`, with pooler=transaction forced on a direct connection) would round floats read
// from every other server connection, so weir refuses rather than read them rounded. A pooler
// mode weir does not know is a config error too.
TEST(PostgresSession, PoolerSettingIsCheckedAgainstTheServer) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  auto error_for = [&](const std::vector<std::pair<std::string, std::string>>& options) -> std::string {
    db::ConnectionConfig config{.name = "pg", .url = Url::parse(*url), .init_script = {}};
    for (const auto& [key, value] : options) config.url.set_option(key, value);
    try {
      db::connect(config);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
      return e.what();
    }
    return "connected";
  };
  EXPECT_NE(error_for({{"pooler", "transaction"}, {"options", "-c extra_float_digits=0"}})
                .find("extra_float_digits is 0, so floats would be read rounded"),
            std::string::npos);
  EXPECT_EQ(error_for({{"pooler", "none"}, {"options", "-c extra_float_digits=0"}}), "connected");
  EXPECT_NE(error_for({{"pooler", "session"}})
                .find("option `pooler`: `session` is not one of: auto, none, transaction"),
            std::string::npos);
}

// `weir ping` and `weir query` through the pooler: parameters, the COPY path of a query
// without them, a statement changing rows.
TEST_F(PgBouncer, PingAndQueryCommands) {
  auto ping = test::run_weir({"ping", url_});
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  EXPECT_NE(ping.out.find("ok: "), std::string::npos) << ping.out;
  const std::string table = "pgb_cli_" + suffix_;
  auto r =
      test::run_weir({"query", url_, "CREATE TABLE " + table + " (id int PRIMARY KEY, name text, at timestamptz)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_weir({"query", url_, "INSERT INTO " + table + " VALUES ($1, $2, $3)", "-p", "7", "-p", "Zoë 東京", "-p",
                      "2024-01-02T03:04:05Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::vector<std::string>& params : {std::vector<std::string>{}, std::vector<std::string>{"-p", "7"}}) {
    std::vector<std::string> args{"query", "--format", "ndjson", url_,
                                  "SELECT id, name, at FROM " + table + (params.empty() ? "" : " WHERE id = $1")};
    args.insert(args.end(), params.begin(), params.end());
    r = test::run_weir(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "{\"id\":7,\"name\":\"Zoë 東京\",\"at\":\"2024-01-02 03:04:05+00:00\"}\n");
  }
  r = test::run_weir({"query", url_, "DROP TABLE " + table});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// One pool shared by several threads: transactions, parameters and bulk writes interleave
// over fewer server connections than clients.
TEST_F(PgBouncer, PoolSharedByThreads) {
  const std::string table = "pgb_pool_" + suffix_;
  auto admin = connect();
  admin->execute_script("CREATE TABLE " + table + " (thread int, n int, PRIMARY KEY (thread, n))");
  db::PoolOptions options;
  options.max_size = 4;
  auto pool = db::Pool::create(config(), options);
  constexpr int kThreads = 8, kRounds = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int n = 0; n < kRounds; ++n) {
          db::Lease lease = pool->acquire();
          lease->begin();
          lease->execute("INSERT INTO " + table + " VALUES ($1, $2)", std::vector{Value(t), Value(2 * n)});
          db::WriteSpec spec{.table = {"", table}, .columns = {"thread", "n"}, .mode = db::WriteMode::upsert,
                             .key = {"thread", "n"}};
          Batch batch = test::make_batch({test::column("thread", Type::int64), test::column("n", Type::int64)},
                                         {{Value(t), Value(2 * n + 1)}});
          auto writer = lease->bulk_writer(spec);
          writer->write(batch);
          writer->finish();
          std::string mine = test::scalar(*lease, fmt::format("SELECT count(*) FROM {} WHERE thread = {}", table, t));
          if (mine != std::to_string(2 * n + 2)) ++failures;
          lease->commit();
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0) << "a transaction saw another count of its own rows";
  EXPECT_EQ(test::scalar(*admin, "SELECT count(*) || ':' || sum(n) FROM " + table),
            fmt::format("{}:{}", kThreads * kRounds * 2, kThreads * (2 * kRounds - 1) * kRounds));
  admin->execute_script("DROP TABLE " + table);
}

// A pipeline whose every connection goes through the pooler: keyset pages from sql_poll, an
// sql_call lookup, an sql_write upsert with its checkpoint in the target; below the staged
// threshold (one statement per row) and above it (COPY into a stage, one merge).
class PgBouncerPipeline : public PgBouncer, public ::testing::WithParamInterface<int> {};

TEST_P(PgBouncerPipeline, PollLookupUpsertWithStateInTheTarget) {
  const int rows = GetParam();
  const std::string src = "pgb_src_" + suffix_, dst = "pgb_dst_" + suffix_, tiers = "pgb_tiers_" + suffix_;
  auto db = connect();
  db->execute_script(fmt::format(
      "CREATE TABLE {0} (id int PRIMARY KEY, tier_id int, amount numeric(12,2), seen date);"
      "INSERT INTO {0} SELECT g, g % 3, g * 1.25, date '2024-01-01' + g FROM generate_series(1, {3}) g;"
      "CREATE TABLE {1} (id int PRIMARY KEY, name text);"
      "INSERT INTO {1} VALUES (0, 'bronze'), (1, 'silver'), (2, 'gold');"
      "CREATE TABLE {2} (id int PRIMARY KEY, amount numeric(12,2), tier text, seen date);",
      src, tiers, dst, rows));
  const std::string yaml = fmt::format(
      "connections:\n  bouncer: \"${{WEIR_TEST_PGBOUNCER_URL}}\"\n"
      "pipelines:\n  enrich_{0}:\n"
      "    input:\n      sql_poll:\n        connection: bouncer\n"
      "        query: \"SELECT id, tier_id, amount, seen FROM {1} WHERE {{{{cursor}}}} ORDER BY id\"\n"
      "        cursor: {{ columns: [id] }}\n        page_size: {5}\n"
      "    filters:\n      - sql_call:\n          connection: bouncer\n          queries:\n"
      "            - sql: \"SELECT name AS tier FROM {2} WHERE id = {{{{record.tier_id}}}}\"\n"
      "              merge: columns\n"
      "    output:\n      sql_write:\n        connection: bouncer\n        table: {3}\n        mode: upsert\n"
      "        key: [id]\n        columns: {{ id: id, amount: amount, tier: tier, seen: seen }}\n"
      "        batch: {{ rows: {4} }}\n"
      "    state: {{ connection: bouncer }}\n",
      suffix_, src, tiers, dst, rows, rows / 2);
  test::write_file(dir_.file("pipeline.yaml"), yaml);
  if (test::scalar(*db, "SELECT to_regclass('weir_state') IS NOT NULL") == "true")
    db->execute("DELETE FROM weir_state WHERE pipeline = 'pipeline.yaml#enrich_" + suffix_ + "'");
  auto run = [&] {
    return test::run_weir({"--log-level", "debug", "run", "--once", "--progress", "0s", dir_.file("pipeline.yaml")},
                          dir_.path().string());
  };
  auto first = run();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Both pages of a batch are written in its transaction: the second finds the stage made by the
  // first, and the server says so (a notice, logged at debug level).
  EXPECT_EQ(first.err.find("weir_stage_") != std::string::npos, rows >= 2000) << first.err;
  const std::string expected_sum = fmt::format("{:.2f}", rows * (rows + 1) / 2 * 1.25);
  auto summary = [&] {
    return test::scalar(*db, fmt::format("SELECT count(*) || ':' || sum(amount) || ':' || "
                                         "string_agg(DISTINCT tier, ',' ORDER BY tier) || ':' || max(seen) FROM {}",
                                         dst));
  };
  EXPECT_EQ(summary(), fmt::format("{}:{}:bronze,gold,silver:{}", rows, expected_sum,
                                   rows == 500 ? "2025-05-15" : "2030-11-05"));
  EXPECT_EQ(test::scalar(*db, "SELECT id || ' ' || amount || ' ' || tier || ' ' || seen FROM " + dst + " WHERE id = 5"),
            "5 6.25 gold 2024-01-06");
  // The checkpoint is in the target: a second run reads only what changed since.
  db->execute_script(fmt::format("UPDATE {0} SET id = id + 100000, tier_id = 1 WHERE id > {1} - 3", src, rows));
  auto second = run();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(test::scalar(*db, "SELECT count(*) FROM " + dst + " WHERE id > 100000 AND tier = 'silver'"), "3");
  EXPECT_EQ(test::scalar(*db, "SELECT count(*) FROM " + dst), std::to_string(rows + 3));
  // The state is keyed by file and pipeline (`pipeline.yaml#enrich_…`): nothing is left behind.
  db->execute_script(fmt::format("DROP TABLE {}, {}, {}; DELETE FROM weir_state WHERE pipeline = 'pipeline.yaml#enrich_{}'",
                                 src, tiers, dst, suffix_));
}

// Two pages a batch. 250 rows a page: one pipelined statement per row; 1,250: the staged merge.
INSTANTIATE_TEST_SUITE_P(Rows, PgBouncerPipeline, ::testing::Values(500, 2500),
                         [](const auto& info) { return fmt::format("rows_{}", info.param); });

}  // namespace
}  // namespace weir
