// The sql_call filter against real PostgreSQL and MariaDB servers (from the harness) and an
// SQLite file, driven directly through the module's make(): every merge kind, batched equal
// to per-record, when:, the cache, each on_error, injection-shaped values, reconnecting.
#include <gtest/gtest.h>


#include "modules/filter/sql_call.hpp"
#include "support/filter_support.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

using test::cell;
using test::column_of;
using Strings = std::vector<std::string>;

struct Backend {
  const char* name;
  const char* url_variable;  // nullptr: an SQLite file
  // A lookup that fails for customer 1 only (two orders for a scalar subquery; SQLite
  // takes the first row instead, so it reads malformed JSON).
  const char* failing_sql;
  // The default collation matches text ignoring case ('ada' = 'ADA'): MariaDB's
  // utf8mb4_unicode_ci does, PostgreSQL's deterministic collations and SQLite's BINARY do not.
  bool text_ignores_case;
};

const Backend kBackends[] = {
    {"Postgres", "WEIR_TEST_PG_URL",
     "SELECT (SELECT o.id FROM ORDERS o WHERE o.customer_id = c.id) AS only_order FROM CUSTOMERS c "
     "WHERE c.id = {{record.customer_id}}",
     false},
    {"Mariadb", "WEIR_TEST_MYSQL_URL",
     "SELECT (SELECT o.id FROM ORDERS o WHERE o.customer_id = c.id) AS only_order FROM CUSTOMERS c "
     "WHERE c.id = {{record.customer_id}}",
     true},
    {"Sqlite", nullptr,
     "SELECT json_extract(c.meta, '$.n') AS only_order FROM CUSTOMERS c WHERE c.id = {{record.customer_id}}",
     false},
    {"Pgbouncer", "WEIR_TEST_PGBOUNCER_URL",  // PostgreSQL through a transaction pooler
     "SELECT (SELECT o.id FROM ORDERS o WHERE o.customer_id = c.id) AS only_order FROM CUSTOMERS c "
     "WHERE c.id = {{record.customer_id}}",
     false},
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class SqlCallTest : public ::testing::TestWithParam<Backend> {
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
    connections_.emplace("crm", c);
    admin_ = db::connect(c);
    std::string suffix = test::unique_suffix();
    customers_ = "customers_" + suffix;
    orders_ = "orders_" + suffix;
    admin_->execute_script(sql(
        "CREATE TABLE CUSTOMERS (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, tier VARCHAR(20), "
        "  region VARCHAR(20), code VARCHAR(20), meta VARCHAR(100));"
        "CREATE TABLE ORDERS (id BIGINT PRIMARY KEY, customer_id BIGINT, amount BIGINT);"));
    admin_->execute_script(sql(
        "INSERT INTO CUSTOMERS VALUES (1, 'Ada', 'gold', 'North', 'ADA', 'not json'), "
        "  (2, 'Bob', 'silver', 'South', 'BOB', '{\"n\": 2}'), (3, 'Cy', NULL, NULL, 'CY', '{}');"
        "INSERT INTO ORDERS VALUES (10, 1, 5), (11, 1, 7), (12, 2, 1);"));
  }

  void TearDown() override {
    if (!admin_) return;
    if (big_table_) admin_->execute_script(sql("DROP TABLE ORDERS_big;"));
    admin_->execute_script(sql("DROP TABLE ORDERS; DROP TABLE CUSTOMERS;"));
  }

  // `text` with CUSTOMERS and ORDERS replaced by this test's table names.
  std::string sql(std::string text) const {
    for (const auto& [from, to] : {std::pair{std::string("CUSTOMERS"), customers_}, std::pair{std::string("ORDERS"), orders_}})
      for (std::size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
    return text;
  }

  std::unique_ptr<pipeline::Filter> filter(const std::string& yaml) {
    auto f = test::make_filter("sql_call", sql(yaml), connections_);
    f->open(pipeline::RunOptions{});
    return f;
  }

  // Orders 100…105 for customers 1, 2, 1, NULL, 99 and 3.
  static Batch orders() {
    return test::make_batch({test::column("order_id", Type::int64), test::column("customer_id", Type::int64)},
                            {{Value(100), Value(1)}, {Value(101), Value(2)}, {Value(102), Value(1)},
                             {Value(103), Value()}, {Value(104), Value(99)}, {Value(105), Value(3)}});
  }

  Batch run(pipeline::Filter& f, const Batch& in) {
    Batch out;
    f.process(in, out, dead_);
    return out;
  }

  test::TempDir dir_;
  db::Connections connections_;
  std::unique_ptr<db::Connection> admin_;
  std::string customers_, orders_;
  bool big_table_ = false;
  test::DeadLetters dead_;
};

TEST_P(SqlCallTest, ColumnsMerge) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT name AS customer_name, tier FROM CUSTOMERS WHERE id = {{record.customer_id}}"
)");
  Batch out = run(*f, orders());
  ASSERT_EQ(out.width(), 4u);
  EXPECT_EQ(column_of(out, "customer_name"), (Strings{"Ada", "Bob", "Ada", "NULL", "NULL", "Cy"}));
  EXPECT_EQ(column_of(out, "tier"), (Strings{"gold", "silver", "gold", "NULL", "NULL", "NULL"}));
  EXPECT_EQ(sql_call_stats(*f)[0].batched_queries, 1u);
}

TEST_P(SqlCallTest, NestedMerge) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT id, name, tier FROM CUSTOMERS WHERE id = {{record.customer_id}}"
    merge: { nested: customer }
  - sql: "SELECT amount AS an_amount FROM ORDERS WHERE id = {{record.customer.id}} + 11"
)");
  Batch out = run(*f, orders());
  EXPECT_EQ(out.schema()[2].type, Type::json);
  EXPECT_EQ(column_of(out, "customer"),
            (Strings{R"({"id":1,"name":"Ada","tier":"gold"})", R"({"id":2,"name":"Bob","tier":"silver"})",
                     R"({"id":1,"name":"Ada","tier":"gold"})", "NULL", "NULL", R"({"id":3,"name":"Cy","tier":null})"}));
  // A nested field is a parameter like any other: customer 1 + 11 is order 12.
  EXPECT_EQ(column_of(out, "an_amount"), (Strings{"1", "NULL", "1", "NULL", "NULL", "NULL"}));
}

TEST_P(SqlCallTest, RowsMerge) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT id, amount FROM ORDERS WHERE customer_id = {{record.customer_id}}"
    merge: { rows: history }
)");
  Batch out = run(*f, orders());
  std::string ada = cell(out, 0, "history");
  EXPECT_TRUE(ada == R"([{"id":10,"amount":5},{"id":11,"amount":7}])" || ada == R"([{"id":11,"amount":7},{"id":10,"amount":5}])")
      << ada;
  EXPECT_EQ(cell(out, 1, "history"), R"([{"id":12,"amount":1}])");
  EXPECT_EQ(cell(out, 2, "history"), ada);
  EXPECT_EQ(cell(out, 3, "history"), "[]");
  EXPECT_EQ(cell(out, 5, "history"), "[]");
}

TEST_P(SqlCallTest, BatchedEqualsPerRecord) {
  admin_->execute_script(sql("CREATE TABLE ORDERS_big (id BIGINT PRIMARY KEY, label VARCHAR(20));"));
  big_table_ = true;
  std::string insert = "INSERT INTO ORDERS_big VALUES ";
  for (int i = 1; i <= 2000; ++i) insert += (i > 1 ? ", (" : "(") + std::to_string(i) + ", 'L" + std::to_string(i) + "')";
  admin_->execute_script(sql(insert));
  std::mt19937 rng(7);
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 3000; ++i) {
    int k = std::uniform_int_distribution<int>(-50, 2100)(rng);
    rows.push_back({Value(i), k < 0 ? Value() : Value(k)});
  }
  Batch in = test::make_batch({test::column("n", Type::int64), test::column("k", Type::int64)}, rows);
  const std::string yaml = "connection: crm\nqueries: [{ sql: \"SELECT label, id * 2 AS twice FROM ORDERS_big WHERE id = {{record.k}}\", batch: B }]\n";
  auto make = [&](const char* b) {
    std::string y = yaml;
    return filter(y.replace(y.find("B }"), 1, b));
  };
  auto batched = make("true");
  auto single = make("false");
  Batch a = run(*batched, in), b = run(*single, in);
  EXPECT_EQ(column_of(a, "label"), column_of(b, "label"));
  EXPECT_EQ(column_of(a, "twice"), column_of(b, "twice"));
  for (std::size_t r = 0; r < a.rows(); ++r) {
    std::string k = cell(in, r, "k");
    bool hit = k != "NULL" && std::stoi(k) >= 1 && std::stoi(k) <= 2000;
    ASSERT_EQ(cell(a, r, "label"), hit ? "L" + k : "NULL") << "row " << r;
  }
  auto bs = sql_call_stats(*batched)[0], ss = sql_call_stats(*single)[0];
  EXPECT_LE(bs.queries, 3u) << "under 2100 distinct keys: three IN queries at most";
  EXPECT_EQ(bs.queries, bs.batched_queries);
  EXPECT_EQ(ss.queries, ss.keys);
  EXPECT_GT(ss.queries, 1000u);
}

TEST_P(SqlCallTest, TextKeysUnderTheServersCollation) {
  // MariaDB's utf8mb4_unicode_ci matches 'ada' to 'ADA'; batching must notice and agree.
  Batch in = test::make_batch({test::column("code", Type::text)},
                              {{Value("ada")}, {Value("BOB")}, {Value("zed")}, {Value("Cy")}});
  const char* yaml = "connection: crm\nqueries: [{ sql: \"SELECT name FROM CUSTOMERS WHERE code = {{record.code}}\", batch: B }]\n";
  auto make = [&](const char* b) {
    std::string y = yaml;
    return filter(y.replace(y.find("B }"), 1, b));
  };
  // The codes are ADA, BOB and CY.
  const Strings expected = GetParam().text_ignores_case ? Strings{"Ada", "Bob", "NULL", "Cy"}
                                                        : Strings{"NULL", "Bob", "NULL", "NULL"};
  auto batched = make("true");
  auto single = make("false");
  for (int pass = 1; pass <= 2; ++pass) {  // on MariaDB the first pass turns batching off for good
    EXPECT_EQ(column_of(run(*batched, in), "name"), expected) << "batched, pass " << pass;
    EXPECT_EQ(column_of(run(*single, in), "name"), expected) << "one query per key, pass " << pass;
  }
}

TEST_P(SqlCallTest, WhenSelectsTheRecordsToLookUp) {
  auto f = filter(R"yaml(
connection: crm
when: "record.customer_id != null and (record.order_id < 102 or record.order_id >= 105)"
queries:
  - sql: "SELECT name FROM CUSTOMERS WHERE id = {{record.customer_id}}"
)yaml");
  Batch out = run(*f, orders());
  EXPECT_EQ(column_of(out, "name"), (Strings{"Ada", "Bob", "NULL", "NULL", "NULL", "Cy"}));
  EXPECT_EQ(sql_call_stats(*f)[0].keys, 3u);
}

TEST_P(SqlCallTest, CacheHits) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT name FROM CUSTOMERS WHERE id = {{record.customer_id}}"
    cache: { ttl: 10m, max_entries: 1000 }
)");
  Batch first = run(*f, orders());
  admin_->execute(sql("UPDATE CUSTOMERS SET name = 'Renamed'"));
  Batch second = run(*f, orders());
  EXPECT_EQ(column_of(second, "name"), column_of(first, "name"));
  auto stats = sql_call_stats(*f)[0];
  EXPECT_EQ(stats.cache.hits, 5u) << "keys 1, 2, NULL, 99, 3";
  EXPECT_EQ(stats.queries, 1u);
}

TEST_P(SqlCallTest, OnErrorModes) {
  const std::string yaml = std::string("connection: crm\nqueries: [{ sql: \"") + GetParam().failing_sql + "\", on_error: MODE }]\n";
  auto with = [&](const char* mode) {
    std::string y = yaml;
    return filter(y.replace(y.find("MODE"), 4, mode));
  };
  EXPECT_THROW(run(*with("fail"), orders()), Error);
  EXPECT_EQ(column_of(run(*with("skip"), orders()), "order_id"), (Strings{"101", "103", "104", "105"}));
  Batch kept = run(*with("null"), orders());
  EXPECT_EQ(column_of(kept, "order_id"), (Strings{"100", "101", "102", "103", "104", "105"}));
  EXPECT_EQ(cell(kept, 0, "only_order"), "NULL");
  EXPECT_NE(cell(kept, 1, "only_order"), "NULL") << "customer 2 has one order";
  EXPECT_TRUE(dead_.letters.empty());
  Batch rest = run(*with("dead_letter"), orders());
  EXPECT_EQ(column_of(rest, "order_id"), (Strings{"101", "103", "104", "105"}));
  ASSERT_EQ(dead_.letters.size(), 2u);
  EXPECT_EQ(dead_.letters[0].record_json, R"({"order_id":100,"customer_id":1})");
  EXPECT_EQ(dead_.letters[1].record_json, R"({"order_id":102,"customer_id":1})");
  EXPECT_EQ(dead_.letters[0].stage, "pipelines.p.filters[0].sql_call.queries[0]");
  EXPECT_FALSE(dead_.letters[0].message.empty());
  const std::string password = connections_.at("crm").url.password;
  if (!password.empty()) {
    EXPECT_EQ(dead_.letters[0].message.find(password), std::string::npos);
  }
}

TEST_P(SqlCallTest, InjectionShapedValuesAreOnlyData) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT tier FROM CUSTOMERS WHERE name = {{record.name}}"
  - sql: "SELECT id AS same FROM CUSTOMERS WHERE name = {{record.name}}"
    batch: false
)");
  Batch in = test::make_batch({test::column("name", Type::text)},
                              {{Value("'; DROP TABLE " + customers_ + "; --")}, {Value("Ada")},
                               {Value("x' OR '1'='1")}});
  Batch out = run(*f, in);
  EXPECT_EQ(column_of(out, "tier"), (Strings{"NULL", "gold", "NULL"}));
  EXPECT_EQ(column_of(out, "same"), (Strings{"NULL", "1", "NULL"}));
  EXPECT_TRUE(admin_->describe_table(db::TableRef{"", customers_})) << "the table is still there";
}

// Only the servers: an SQLite file has no connection to lose.
class SqlCallServerTest : public SqlCallTest {};

TEST_P(SqlCallServerTest, ReconnectsWhenTheConnectionDrops) {
  auto f = filter("connection: crm\nqueries: [{ sql: \"SELECT name FROM CUSTOMERS WHERE id = {{record.customer_id}}\" }]\n");
  EXPECT_EQ(cell(run(*f, orders()), 0, "name"), "Ada");
  if (std::string(GetParam().name) == "Postgres") {
    admin_->execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
  } else {
    auto cursor = admin_->query(
        "SELECT id FROM information_schema.processlist WHERE id <> CONNECTION_ID() AND db = DATABASE()");
    Batch ids;
    std::vector<std::int64_t> victims;
    while (cursor->next(ids, 100))
      for (std::size_t r = 0; r < ids.rows(); ++r) victims.push_back(ids.at(r, 0).as_int());
    cursor.reset();
    for (std::int64_t id : victims) admin_->execute("KILL CONNECTION " + std::to_string(id));
  }
  Batch out = run(*f, orders());
  EXPECT_EQ(column_of(out, "name"), (Strings{"Ada", "Bob", "Ada", "NULL", "NULL", "Cy"}));
  EXPECT_TRUE(dead_.letters.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlCallTest, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(Servers, SqlCallServerTest,
                         ::testing::ValuesIn(std::begin(kBackends), std::begin(kBackends) + 2),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir::modules
