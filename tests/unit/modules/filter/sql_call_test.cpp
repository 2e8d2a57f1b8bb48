// The sql_call filter on SQLite files: merges, when:, chained queries, batching, the cache,
// on_error and configuration errors. The same behaviour on PostgreSQL and MariaDB is in
// tests/integration/sql_call_test.cpp.
#include <gtest/gtest.h>

#include "core/field_path.hpp"
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

class SqlCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db::ConnectionConfig c;
    c.name = "crm";
    c.url = Url::parse("sqlite:" + dir_.file("crm.db"));
    connections_.emplace("crm", c);
    admin_ = db::connect(c);
    admin_->execute_script(
        "CREATE TABLE regions(id INTEGER PRIMARY KEY, label TEXT);"
        "INSERT INTO regions VALUES (1, 'North'), (2, 'South');"
        "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, tier TEXT, region_id INTEGER,"
        "  code TEXT COLLATE NOCASE);"
        "INSERT INTO customers VALUES (1, 'Ada', 'gold', 1, 'ADA'), (2, 'Bob', 'silver', 2, 'BOB'),"
        "  (3, 'Cy', NULL, NULL, 'CY');"
        "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER, amount INTEGER);"
        "INSERT INTO orders VALUES (10, 1, 5), (11, 1, 7), (12, 2, 1);");
  }

  std::unique_ptr<pipeline::Filter> filter(const std::string& yaml) {
    auto f = test::make_filter("sql_call", yaml, connections_);
    f->open(pipeline::RunOptions{});
    return f;
  }

  // Orders 100…104 for customers 1, 2, 1, NULL and 99.
  static Batch orders() {
    return test::make_batch({test::column("order_id", Type::int64), test::column("customer_id", Type::int64)},
                            {{Value(100), Value(1)}, {Value(101), Value(2)}, {Value(102), Value(1)},
                             {Value(103), Value()}, {Value(104), Value(99)}});
  }

  Batch run(pipeline::Filter& f, const Batch& in) {
    Batch out;
    f.process(in, out, dead_);
    return out;
  }

  static std::string config_error(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      return e.what();
    }
    return "(no error)";
  }

  test::TempDir dir_;
  db::Connections connections_;
  std::unique_ptr<db::Connection> admin_;
  test::DeadLetters dead_;
};

const char* kByCustomer = R"(
connection: crm
queries:
  - sql: "SELECT name AS customer_name, tier FROM customers WHERE id = {{record.customer_id}}"
)";

TEST_F(SqlCallTest, ColumnsMergeAddsTheFirstRowsColumns) {
  auto f = filter(kByCustomer);
  Batch out = run(*f, orders());
  ASSERT_EQ(out.rows(), 5u);
  ASSERT_EQ(out.width(), 4u);
  EXPECT_EQ(out.schema()[2].name, "customer_name");
  EXPECT_EQ(out.schema()[3].name, "tier");
  EXPECT_EQ(column_of(out, "order_id"), (Strings{"100", "101", "102", "103", "104"}));
  EXPECT_EQ(column_of(out, "customer_name"), (Strings{"Ada", "Bob", "Ada", "NULL", "NULL"}));
  EXPECT_EQ(column_of(out, "tier"), (Strings{"gold", "silver", "gold", "NULL", "NULL"}));
  EXPECT_TRUE(dead_.letters.empty());
}

TEST_F(SqlCallTest, NestedMergeAddsOneJsonObject) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT name, tier FROM customers WHERE id = {{record.customer_id}}"
    merge: { nested: customer }
)");
  Batch out = run(*f, orders());
  ASSERT_EQ(out.width(), 3u);
  EXPECT_EQ(out.schema()[2].type, Type::json);
  EXPECT_EQ(column_of(out, "customer"), (Strings{R"({"name":"Ada","tier":"gold"})", R"({"name":"Bob","tier":"silver"})",
                                                 R"({"name":"Ada","tier":"gold"})", "NULL", "NULL"}));
}

TEST_F(SqlCallTest, RowsMergeAddsEveryRowAsAnArray) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT id, amount FROM orders WHERE customer_id = {{record.customer_id}}"
    merge: { rows: past_orders }
)");
  Batch out = run(*f, orders());
  EXPECT_EQ(column_of(out, "past_orders"),
            (Strings{R"([{"id":10,"amount":5},{"id":11,"amount":7}])", R"([{"id":12,"amount":1}])",
                     R"([{"id":10,"amount":5},{"id":11,"amount":7}])", "[]", "[]"}));
}

TEST_F(SqlCallTest, RecordsNotMatchingWhenPassWithNulls) {
  auto f = filter(R"(
connection: crm
when: "record.order_id != 101 and record.customer_id != null"
queries:
  - sql: "SELECT name AS customer_name FROM customers WHERE id = {{record.customer_id}}"
)");
  Batch out = run(*f, orders());
  ASSERT_EQ(out.rows(), 5u);
  EXPECT_EQ(column_of(out, "customer_name"), (Strings{"Ada", "NULL", "Ada", "NULL", "NULL"}));
  auto stats = sql_call_stats(*f);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].keys, 2u) << "customers 1 and 99 only";
}

TEST_F(SqlCallTest, LaterQueriesReadWhatEarlierOnesMerged) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT name AS customer_name, region_id FROM customers WHERE id = {{record.customer_id}}"
  - sql: "SELECT label AS region FROM regions WHERE id = {{record.region_id}}"
  - sql: "SELECT id, tier FROM customers WHERE id = {{record.customer_id}}"
    merge: { nested: customer }
  - sql: "SELECT upper({{record.customer.tier}}) AS loud_tier"
)");
  Batch out = run(*f, orders());
  EXPECT_EQ(column_of(out, "region"), (Strings{"North", "South", "North", "NULL", "NULL"}));
  EXPECT_EQ(column_of(out, "loud_tier"), (Strings{"GOLD", "SILVER", "GOLD", "NULL", "NULL"}));
}

TEST_F(SqlCallTest, EachJsonCellIsParsedOnceForWhenAndEveryQuery) {
  auto f = filter(R"(
connection: crm
when: "record.doc.customer_id != null and record.doc.skip != true"
queries:
  - sql: "SELECT name AS customer_name FROM customers WHERE id = {{record.doc.customer_id}}"
  - sql: "SELECT label AS region FROM regions WHERE id = {{record.doc.region_id}} AND {{record.doc.customer_id}} > 0"
)");
  Batch in = test::make_batch({test::column("doc", Type::json)},
                              {{Value(Json{R"({"customer_id":1,"region_id":2})"})},
                               {Value(Json{R"({"customer_id":2,"region_id":1})"})},
                               {Value(Json{R"({"customer_id":1,"region_id":1,"skip":true})"})}});
  std::uint64_t before = JsonCells::parses_on_this_thread();
  Batch out = run(*f, in);
  EXPECT_EQ(JsonCells::parses_on_this_thread() - before, 3u) << "twelve reads of three cells, three parses";
  EXPECT_EQ(column_of(out, "customer_name"), (Strings{"Ada", "Bob", "NULL"}));
  EXPECT_EQ(column_of(out, "region"), (Strings{"South", "North", "NULL"}));
  before = JsonCells::parses_on_this_thread();
  run(*f, in);
  EXPECT_EQ(JsonCells::parses_on_this_thread() - before, 3u) << "the next batch parses its own cells";
}

TEST_F(SqlCallTest, BatchedAndPerKeyLookupsAgree) {
  const std::string query = R"(
connection: crm
queries:
  - sql: "SELECT name, tier FROM customers WHERE id = {{record.customer_id}}"
    batch: BATCH
  - sql: "SELECT id AS first_order, amount FROM orders WHERE customer_id = {{record.customer_id}}"
    batch: BATCH
)";
  auto with = [&](const char* batch) {
    std::string yaml = query;
    for (std::size_t at; (at = yaml.find("BATCH")) != std::string::npos;) yaml.replace(at, 5, batch);
    return filter(yaml);
  };
  auto batched = with("true");
  auto single = with("false");
  Batch a = run(*batched, orders()), b = run(*single, orders());
  ASSERT_EQ(a.rows(), b.rows());
  for (const char* column : {"name", "tier", "first_order", "amount"})
    EXPECT_EQ(column_of(a, column), column_of(b, column)) << column;
  auto bs = sql_call_stats(*batched), ss = sql_call_stats(*single);
  EXPECT_EQ(bs[0].queries, 1u) << "customers 1, 2 and 99 in one query; the NULL key needs none";
  EXPECT_EQ(bs[0].batched_queries, 1u);
  EXPECT_EQ(ss[0].queries, 4u) << "one per distinct key, NULL included";
  EXPECT_EQ(ss[0].batched_queries, 0u);
}

TEST_F(SqlCallTest, ManyKeysGoInChunksOf1024) {
  admin_->execute_script(
      "CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT);"
      "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 3000) INSERT INTO big SELECT x, 'v' || x FROM s;");
  std::vector<std::vector<Value>> rows;
  for (int i = 1; i <= 2500; ++i) rows.push_back({Value(i % 1500 + 1)});
  Batch in = test::make_batch({test::column("k", Type::int64)}, rows);
  auto f = filter("connection: crm\nqueries: [{ sql: \"SELECT v FROM big WHERE id = {{record.k}}\" }]\n");
  Batch out = run(*f, in);
  ASSERT_EQ(out.rows(), 2500u);
  for (std::size_t r = 0; r < out.rows(); ++r) ASSERT_EQ(cell(out, r, "v"), "v" + cell(out, r, "k"));
  EXPECT_EQ(sql_call_stats(*f)[0].queries, 2u) << "1500 distinct keys: 1024 + 476";
}

TEST_F(SqlCallTest, TheCacheAnswersRepeatedKeys) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT name FROM customers WHERE id = {{record.customer_id}}"
    cache: { ttl: 1h, max_entries: 100 }
)");
  Batch first = run(*f, orders());
  admin_->execute("UPDATE customers SET name = 'Changed'");
  Batch second = run(*f, orders());
  EXPECT_EQ(column_of(second, "name"), column_of(first, "name")) << "served from memory, not the table";
  auto stats = sql_call_stats(*f)[0];
  EXPECT_EQ(stats.queries, 1u);
  EXPECT_EQ(stats.cache.hits, 4u) << "keys 1, 2, NULL and 99 the second time";
  EXPECT_EQ(stats.cache.misses, 4u);
}

TEST_F(SqlCallTest, WithoutACacheEveryBatchAsksTheDatabase) {
  auto f = filter(kByCustomer);
  run(*f, orders());
  admin_->execute("UPDATE customers SET name = 'Changed' WHERE id = 1");
  EXPECT_EQ(cell(run(*f, orders()), 0, "customer_name"), "Changed");
}

// A lookup that fails for some records: SQLite refuses to read malformed JSON.
const char* kJsonLookup = R"(
connection: crm
queries:
  - sql: "SELECT json_extract({{record.payload}}, '$.tier') AS tier"
    on_error: MODE
)";

Batch payloads() {
  return test::make_batch({test::column("id", Type::int64), test::column("payload", Type::text)},
                          {{Value(1), Value(R"({"tier":"gold"})")}, {Value(2), Value("not json")},
                           {Value(3), Value(R"({"tier":"bronze"})")}});
}

std::string with_mode(const char* mode) {
  std::string yaml = kJsonLookup;
  return yaml.replace(yaml.find("MODE"), 4, mode);
}

TEST_F(SqlCallTest, OnErrorFailStopsWithTheQueryPath) {
  auto f = filter(with_mode("fail"));
  try {
    run(*f, payloads());
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("pipelines.p.filters[0].sql_call.queries[0]"), std::string::npos) << what;
    EXPECT_NE(what.find("malformed JSON"), std::string::npos) << what;
  }
}

TEST_F(SqlCallTest, OnErrorSkipDropsTheRecord) {
  Batch out = run(*filter(with_mode("skip")), payloads());
  EXPECT_EQ(column_of(out, "id"), (Strings{"1", "3"}));
  EXPECT_EQ(column_of(out, "tier"), (Strings{"gold", "bronze"}));
  EXPECT_TRUE(dead_.letters.empty());
}

TEST_F(SqlCallTest, OnErrorNullKeepsTheRecord) {
  for (const char* spelling : {"null", "\"null\"", "~"}) {
    Batch out = run(*filter(with_mode(spelling)), payloads());
    EXPECT_EQ(column_of(out, "id"), (Strings{"1", "2", "3"})) << spelling;
    EXPECT_EQ(column_of(out, "tier"), (Strings{"gold", "NULL", "bronze"})) << spelling;
  }
}

TEST_F(SqlCallTest, OnErrorDeadLetterSendsTheRecordWithWhy) {
  Batch out = run(*filter(with_mode("dead_letter")), payloads());
  EXPECT_EQ(column_of(out, "id"), (Strings{"1", "3"}));
  ASSERT_EQ(dead_.letters.size(), 1u);
  const pipeline::DeadLetter& letter = dead_.letters[0];
  EXPECT_EQ(letter.stage, "pipelines.p.filters[0].sql_call.queries[0]");
  EXPECT_NE(letter.message.find("malformed JSON"), std::string::npos) << letter.message;
  EXPECT_EQ(letter.record_json, R"({"id":2,"payload":"not json"})");
}

// A change stream's rows keep what they are through a lookup: op, before image, cells the
// source did not send, the source table, and transaction ends — also when the row that ended
// a transaction is skipped.
TEST_F(SqlCallTest, ChangesKeepTheirOpsUnsentCellsAndTransactionEnds) {
  Batch in(std::make_shared<const Schema>(
      std::vector<Column>{test::column("id", Type::int64), test::column("payload", Type::text)},
      SourceTable{"public", "events"}));
  auto row = in.append_change(ChangeOp::insert);
  row[0] = Value(1), row[1] = Value(R"({"tier":"gold"})");
  row = in.append_change(ChangeOp::update);
  row[0] = Value(3), row[1] = Value(R"({"tier":"bronze"})");
  in.set_before(1)[0] = Value(3);
  row = in.append_change(ChangeOp::update);  // its lookup fails: skipped
  row[0] = Value(2), row[1] = Value("not json");
  in.end_transaction();
  row = in.append_change(ChangeOp::remove);
  row[0] = Value(4), row[1] = Value(R"({"tier":"gold"})");
  in.mark_unsent(3, 1);
  in.end_transaction();

  Batch out = run(*filter(with_mode("skip")), in);
  EXPECT_EQ(column_of(out, "id"), (Strings{"1", "3", "4"}));
  EXPECT_EQ(column_of(out, "tier"), (Strings{"gold", "bronze", "gold"}));
  ASSERT_TRUE(out.has_changes());
  EXPECT_EQ(out.op(0), ChangeOp::insert);
  EXPECT_EQ(out.op(1), ChangeOp::update);
  EXPECT_EQ(out.op(2), ChangeOp::remove);
  EXPECT_EQ(out.before(1)[0].as_int(), 3);
  EXPECT_TRUE(out.before(0).empty());
  EXPECT_FALSE(out.ends_transaction(0));
  EXPECT_TRUE(out.ends_transaction(1)) << "the skipped row ended the first transaction";
  EXPECT_TRUE(out.ends_transaction(2));
  EXPECT_FALSE(out.sent(2, out.schema().index_of("payload")));
  EXPECT_TRUE(out.sent(2, out.schema().index_of("tier")));
  EXPECT_EQ(out.schema().source(), (SourceTable{"public", "events"}));
}

TEST_F(SqlCallTest, ValuesAreBoundNotSpliced) {
  auto f = filter(R"(
connection: crm
queries:
  - sql: "SELECT tier FROM customers WHERE name = {{record.name}}"
)");
  Batch in = test::make_batch({test::column("name", Type::text)}, {{Value("'; DROP TABLE customers; --")}, {Value("Ada")}});
  Batch out = run(*f, in);
  EXPECT_EQ(column_of(out, "tier"), (Strings{"NULL", "gold"}));
  ASSERT_TRUE(admin_->describe_table(db::TableRef{"", "customers"}));
}

TEST_F(SqlCallTest, KeysTheDatabaseComparesLooselyFallBackToOneByOne) {
  // `code` is COLLATE NOCASE: the batched rows come back as 'ADA' for the key 'ada'.
  const char* yaml = R"(
connection: crm
queries:
  - sql: "SELECT name FROM customers WHERE code = {{record.code}}"
)";
  Batch in = test::make_batch({test::column("code", Type::text)}, {{Value("ada")}, {Value("BOB")}, {Value("zed")}});
  auto f = filter(yaml);
  EXPECT_EQ(column_of(run(*f, in), "name"), (Strings{"Ada", "Bob", "NULL"}));
  EXPECT_EQ(column_of(run(*f, in), "name"), (Strings{"Ada", "Bob", "NULL"}));
  auto stats = sql_call_stats(*f)[0];
  EXPECT_EQ(stats.batched_queries, 1u) << "batching stops after the first surprise";
}

TEST_F(SqlCallTest, TheInputSchemaMayChangeBetweenBatches) {
  auto f = filter(kByCustomer);
  EXPECT_EQ(cell(run(*f, orders()), 0, "customer_name"), "Ada");
  Batch other = test::make_batch({test::column("customer_id", Type::int64), test::column("note", Type::text)}, {{Value(2), Value("x")}});
  Batch out = run(*f, other);
  EXPECT_EQ(out.schema()[1].name, "note");
  EXPECT_EQ(cell(out, 0, "customer_name"), "Bob");
  EXPECT_EQ(run(*f, Batch(other.schema_ptr())).rows(), 0u);
}

TEST_F(SqlCallTest, ConfigurationErrorsNameTheirPath) {
  auto make = [&](const std::string& yaml) { return config_error([&] { test::make_filter("sql_call", yaml, connections_); }); };
  const std::string path = "pipelines.p.filters[0].sql_call";
  EXPECT_NE(make("connection: crm\nwhen: \"record.x = 1\"\nqueries: [{sql: \"SELECT 1\"}]\n")
                .find(path + ".when: condition `record.x = 1`: `=` compares nothing"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT {{record.x\"}]\n")
                .find(path + ".queries[0].sql: SQL template"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: []\n").find(path + ".queries: needs at least one query"), std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", merge: {nested: a, rows: b}}]\n")
                .find(path + ".queries[0].merge: give exactly one of `nested` and `rows`"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", merge: flat}]\n")
                .find("expected `columns`, `{ nested: field }` or `{ rows: field }`"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", merge: {nested: \"a b\"}}]\n")
                .find("`a b` is not a field name"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", cache: {max_entries: 0}}]\n")
                .find(path + ".queries[0].cache.max_entries: must be at least 1 and at most 100000000 (got 0)"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", cache: {ttl: 0s}}]\n").find("must be longer than 0"),
            std::string::npos);
  EXPECT_NE(make("connection: crn\nqueries: [{sql: \"SELECT 1\"}]\n").find("did you mean `crm`"), std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", on_eror: skip}]\n")
                .find(path + ".queries[0].on_eror: unknown option `on_eror` for queries item (did you mean `on_error`?)"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", merge: {nested: a}}, {sql: \"SELECT 2\", merge: {rows: a}}]\n")
                .find("field `a` is already added by " + path + ".queries[0]"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", stale_for: 10m}]\n")
                .find(path + ".queries[0].stale_for: needs `cache` or `preload`"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT a FROM t WHERE b > {{record.x}}\", preload: {refresh: 1m}}]\n")
                .find(path + ".queries[0].preload: needs a query of the form SELECT … FROM … WHERE column = "
                             "{{record.field}}; this one the template is not compared with `=`"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT a FROM t WHERE b = {{record.x}}\", preload: {refresh: 1m}, "
                 "cache: {ttl: 1m}}]\n")
                .find(path + ".queries[0].preload: give `preload` or `cache`, not both"),
            std::string::npos);
  EXPECT_NE(make("connection: crm\nqueries: [{sql: \"SELECT 1\", cache: {negative_ttl: 0s}}]\n")
                .find(path + ".queries[0].cache.negative_ttl: must be longer than 0"),
            std::string::npos);
}

TEST_F(SqlCallTest, FieldProblemsSurfaceAtTheFirstBatch) {
  auto missing = filter("connection: crm\nqueries: [{sql: \"SELECT 1 AS one WHERE {{record.custmer_id}} = 1\"}]\n");
  std::string error = config_error([&] { run(*missing, orders()); });
  EXPECT_NE(error.find("queries[0].sql"), std::string::npos) << error;
  EXPECT_NE(error.find("did you mean `customer_id`"), std::string::npos) << error;

  auto clash = filter("connection: crm\nqueries: [{sql: \"SELECT id AS order_id FROM orders WHERE id = {{record.order_id}}\"}]\n");
  error = config_error([&] { run(*clash, orders()); });
  EXPECT_NE(error.find("the lookup adds field `order_id`, which the record already has"), std::string::npos) << error;

  auto twice = filter("connection: crm\nqueries: [{sql: \"SELECT c.id, r.id FROM customers c JOIN regions r ON r.id = c.region_id WHERE c.id = {{record.customer_id}}\"}]\n");
  error = config_error([&] { run(*twice, orders()); });
  EXPECT_NE(error.find("the lookup adds field `id`, which the record already has"), std::string::npos) << error;

  auto bad_when = filter("connection: crm\nwhen: \"record.nope == 1\"\nqueries: [{sql: \"SELECT 1 AS one\"}]\n");
  error = config_error([&] { run(*bad_when, orders()); });
  EXPECT_NE(error.find(".when: condition `record.nope == 1` reads record.nope"), std::string::npos) << error;
}

TEST_F(SqlCallTest, BadSqlFailsAtOpen) {
  auto f = test::make_filter("sql_call", "connection: crm\nqueries: [{sql: \"SELECT nope FROM nowhere WHERE id = {{record.id}}\"}]\n",
                             connections_);
  try {
    f->open(pipeline::RunOptions{});
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::syntax) << e.what();
    EXPECT_NE(std::string(e.what()).find("queries[0]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace weir::modules
