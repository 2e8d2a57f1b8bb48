// PostgreSQL's COPY paths against the harness server: bulk inserts through binary COPY (and
// the text COPY they fall back to), large upserts through a staged COPY and one merge, reads
// through COPY (query) TO STDOUT (FORMAT binary), compared value by value with single-row
// mode, and the writer's state after failures.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir {
namespace {

using Rows = std::vector<std::vector<Value>>;

class PostgresCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
    db::ConnectionConfig config;
    config.url = Url::parse(*url);
    conn_ = db::connect(config);
    suffix_ = test::unique_suffix();
  }
  void TearDown() override {
    if (!conn_) return;
    if (conn_->in_transaction()) conn_->rollback();
    for (const std::string& ddl : cleanup_) conn_->execute_script(ddl);
  }

  // CREATE TABLE weir_<prefix>_<suffix> (columns); dropped in TearDown.
  std::string table(std::string_view prefix, std::string_view columns) {
    std::string name = fmt::format("weir_{}_{}", prefix, suffix_);
    conn_->execute_script(fmt::format("CREATE TABLE {} ({})", name, columns));
    cleanup_.insert(cleanup_.begin(), "DROP TABLE IF EXISTS " + name);
    return name;
  }
  std::unique_ptr<db::BulkWriter> writer(const std::string& t, std::vector<std::string> columns,
                                         db::WriteMode mode = db::WriteMode::insert,
                                         std::vector<std::string> key = {}) {
    return conn_->bulk_writer({db::TableRef{"", t}, std::move(columns), mode, std::move(key)});
  }
  // The stages this session has made.
  std::vector<std::string> stages() {
    std::vector<std::string> names;
    for (const auto& row : read("SELECT relname::text FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND "
                                "relname LIKE 'weir\\_stage\\_%'"))
      names.push_back(row.at(0).to_text());
    return names;
  }
  static Batch batch(std::size_t width, const Rows& data) {
    std::vector<Column> columns;
    for (std::size_t c = 0; c < width; ++c) columns.push_back(Column{fmt::format("c{}", c), Type::null, "", true});
    Batch b(std::make_shared<const Schema>(std::move(columns)));
    for (const auto& row : data) b.append_row(row);
    return b;
  }
  Rows read(const std::string& sql, std::vector<Value> params = {}) {
    auto cursor = conn_->query(sql, params);
    Rows out;
    Batch b;
    while (cursor->next(b, 3))
      for (std::size_t r = 0; r < b.rows(); ++r) out.emplace_back(b.row(r).begin(), b.row(r).end());
    return out;
  }
  // The same rows read through COPY (no parameters) and through single-row mode (one
  // parameter, which COPY cannot take); they must agree value for value.
  Rows read_both_ways(const std::string& t, const std::string& columns) {
    Rows copied = read(fmt::format("SELECT {} FROM {} ORDER BY 1", columns, t));
    Rows single = read(fmt::format("SELECT {} FROM {} WHERE $1 ORDER BY 1", columns, t), {Value(true)});
    EXPECT_EQ(copied, single) << "COPY and single-row reads differ";
    return copied;
  }
  std::int64_t count(const std::string& t) { return read("SELECT count(*) FROM " + t).at(0).at(0).as_int(); }

  std::unique_ptr<db::Connection> conn_;
  std::string suffix_;
  std::vector<std::string> cleanup_;
};

std::int64_t micros(int y, unsigned mo, unsigned d, int h, int mi, int s, int us) {
  return ((std::int64_t{days_from_civil(y, mo, d)} * 24 + h) * 3600 + mi * 60 + s) * 1'000'000 + us;
}

TEST_F(PostgresCopy, EveryColumnTypeRoundTripsThroughBinaryCopy) {
  conn_->execute_script(fmt::format("CREATE DOMAIN weir_positive_{} AS integer CHECK (VALUE > 0)", suffix_));
  cleanup_.push_back(fmt::format("DROP DOMAIN weir_positive_{}", suffix_));
  std::string t = table("types", fmt::format(
      "id bigint PRIMARY KEY, i2 smallint, i4 integer, f4 real, f8 double precision, n numeric, n2 numeric(12,2), "
      "tx text, vc varchar(10), ch char(5), by bytea, b boolean, d date, tm time, ts timestamp, tz timestamptz, "
      "iv interval, u uuid, j json, jb jsonb, ai integer[], at text[], dom weir_positive_{}", suffix_));
  std::vector<std::string> cols{"id", "i2", "i4", "f4", "f8", "n", "n2", "tx", "vc", "ch", "by", "b",
                                "d", "tm", "ts", "tz", "iv", "u", "j", "jb", "ai", "at", "dom"};
  Uuid u = parse_uuid("550e8400-e29b-41d4-a716-446655440000").value();
  Array grid{{Value(Array{{Value("a,b"), Value()}}), Value(Array{{Value("\"q\""), Value("")}})}};
  std::vector<Value> full{Value(1), Value(-32768), Value(2147483647), Value(0.1), Value(-1e-300),
                          Value(Decimal{"-123456789012345678901234567890.000000001"}), Value(Decimal{"12.3"}),
                          Value("tab\tnew\nline \\ Ñ"), Value("short"), Value("ab"), Value(Bytes{std::string("\0\\\xff", 3)}),
                          Value(false), Value(Date{days_from_civil(1999, 12, 31)}), Value(Time{micros(1970, 1, 1, 23, 59, 59, 999999)}),
                          Value(Timestamp{micros(1969, 7, 20, 20, 17, 40, 500000)}),
                          Value(TimestampTz{micros(2024, 2, 29, 12, 0, 0, 1)}), Value(Interval{-14, 3, -1'500'000}), Value(u),
                          Value(Json{R"({"b": 1, "a": [true, null]})"}), Value(Json{R"({"b": 1, "a": [true, null]})"}),
                          Value(Array{{Value(1), Value(), Value(-3)}}), Value(grid), Value(7)};
  std::vector<Value> nulls(cols.size());
  nulls[0] = Value(2);
  std::vector<Value> empty{Value(3), Value(0), Value(0), Value(0.0), Value(0.0), Value(Decimal{"0.000"}), Value(Decimal{"0"}),
                           Value(""), Value(""), Value(""), Value(Bytes{}), Value(true), Value(Date{0}), Value(Time{0}),
                           Value(Timestamp{0}), Value(TimestampTz{0}), Value(Interval{}), Value(Uuid{}), Value(Json{"[]"}),
                           Value(Json{"{}"}), Value(Array{}), Value(Array{}), Value(1)};
  auto w = writer(t, cols);
  w->write(batch(cols.size(), {full, nulls, empty}));
  EXPECT_EQ(w->finish(), (db::WriteCounts{.inserted = 3}));

  // What the server made of them: char(5) pads, numeric(12,2) fills its scale (a value it would
  // round is weir's data error: column_rounding_test.cpp), jsonb normalises.
  std::vector<Value> want_full = full;
  want_full[6] = Value(Decimal{"12.30"});
  want_full[9] = Value("ab   ");
  want_full[19] = Value(Json{R"({"a": [true, null], "b": 1})"});
  std::vector<Value> want_empty = empty;
  want_empty[6] = Value(Decimal{"0.00"});
  want_empty[9] = Value("     ");
  Rows got = read_both_ways(t, fmt::format("{}", fmt::join(cols, ", ")));
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t c = 0; c < cols.size(); ++c) {
    EXPECT_EQ(got[0][c], want_full[c]) << cols[c];
    EXPECT_EQ(got[1][c], nulls[c]) << cols[c];
    EXPECT_EQ(got[2][c], want_empty[c]) << cols[c];
  }
}

TEST_F(PostgresCopy, ReadsAgreeWithSingleRowModeOnTheServersOwnValues) {
  // Values only the server writes: infinities, BC and five-digit years, NaN, lower bounds.
  std::string t = table("server", "id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, n numeric, f4 real, "
                                  "f8 float8, c \"char\", nm name, a int[], iv interval");
  conn_->execute_script("INSERT INTO " + t + " VALUES "
      "(1, 'infinity', '-infinity', 'infinity', 'NaN', 'Infinity', '-Infinity', 'x', 'nm', '[0:1]={1,2}', '-1 year -2 days 3 hours'),"
      "(2, '0044-03-15 BC', '0044-03-15 12:00:00.25 BC', '10000-01-01 00:00:00.5+00', '-0.000', '3.4e38', '-0', '\\377', '', '{{1,2},{3,4}}', '1.5 seconds'),"
      "(3, '0001-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00', 'Infinity', '1e-37', '1e308', '', 'n', '{}', '0'),"
      // The last and first timestamps: the last is within 10^15 µs of the int64 maximum.
      "(4, '4714-11-24 BC', '294276-12-31 23:59:59.999999', '4714-11-24 00:00:00+00 BC', '0', '0', '0', '', 'n', '{}', '0')");
  Rows got = read_both_ways(t, "*");
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[3][1], Value("4714-11-24 BC"));
  EXPECT_EQ(got[3][2], Value("294276-12-31 23:59:59.999999"));
  EXPECT_EQ(got[3][3], Value("4714-11-24 00:00:00+00 BC"));
  EXPECT_EQ(got[1][1], Value("0044-03-15 BC"));
  EXPECT_EQ(got[1][3], Value("10000-01-01 00:00:00.5+00"));
  EXPECT_EQ(got[1][4], Value(Decimal{"0.000"}));
  EXPECT_EQ(got[0][4], Value(Decimal{"NaN"}));
}

TEST_F(PostgresCopy, ValuesOfOtherTypesConvertExactly) {
  std::string t = table("conv", "id int PRIMARY KEY, i integer, n numeric(12,2), f real, tx text, jb jsonb, d date, "
                                "tz timestamptz, b bytea");
  std::vector<std::string> cols{"id", "i", "n", "f", "tx", "jb", "d", "tz", "b"};
  auto w = writer(t, cols);
  // Row 1 converts in binary COPY; row 2 holds text only the server can convert (text COPY).
  w->write(batch(cols.size(), {{Value(1), Value(5), Value(2.5), Value(3), Value(7), Value(Array{{Value(1), Value("x")}}),
                                Value(Date{0}), Value(TimestampTz{0}), Value(Bytes{"\\x"})}}));
  w->write(batch(cols.size(), {{Value(2), Value(" 42 "), Value("0.25"), Value("1e3"), Value(Decimal{"1.50"}),
                                Value(R"({"k": "v"})"), Value("2024-05-01"), Value("2024-05-01 10:00:00+02"),
                                Value("\\x4142")}}));
  Rows got = read_both_ways(t, "*");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::vector<Value>{Value(1), Value(5), Value(Decimal{"2.50"}), Value(3.0), Value("7"),
                                         Value(Json{R"([1, "x"])"}), Value(Date{0}), Value(TimestampTz{0}), Value(Bytes{"\\x"})}));
  EXPECT_EQ(got[1], (std::vector<Value>{Value(2), Value(42), Value(Decimal{"0.25"}), Value(1000.0), Value("1.50"),
                                         Value(Json{R"({"k": "v"})"}), Value(Date{days_from_civil(2024, 5, 1)}),
                                         Value(TimestampTz{micros(2024, 5, 1, 8, 0, 0, 0)}), Value(Bytes{"AB"})}));
}

// The error names the column, and the writer and connection carry on after ROLLBACK TO
// SAVEPOINT — what sql_write's bisect does with a failing batch.
TEST_F(PostgresCopy, FailedBatchesNameTheColumnAndLeaveTheWriterUsable) {
  std::string t = table("reuse", "id int PRIMARY KEY, qty integer CHECK (qty >= 0), amount numeric(4,2)");
  std::vector<std::string> cols{"id", "qty", "amount"};
  auto w = writer(t, cols);
  conn_->begin();
  w->write(batch(3, {{Value(1), Value(1), Value(Decimal{"1.00"})}}));
  Rows big;  // several COPY chunks, failing at the last row
  for (int i = 100; i < 60'100; ++i) big.push_back({Value(i), Value(i), Value(Decimal{"0.5"})});
  struct Case {
    const char* what;
    Rows rows;
    ErrorKind kind;
    const char* text;
  };
  Rows unique = big;
  unique.push_back({Value(1), Value(1), Value()});
  Rows check = big;
  check.push_back({Value(2), Value(-1), Value()});
  std::vector<Case> cases{
      {"out of range for integer (weir's check)", {{Value(2), Value(3'000'000'000LL), Value()}}, ErrorKind::data, "qty"},
      {"not a decimal (weir's check)", {{Value(2), Value(1), Value(Decimal{"1,5"})}}, ErrorKind::data, "amount"},
      {"text that is no integer (the server's)", {{Value(2), Value("abc"), Value()}}, ErrorKind::data, "qty"},
      {"numeric(4,2) overflow (the server's)", {{Value(2), Value(1), Value(Decimal{"123.45"})}}, ErrorKind::data, "amount"},
      {"duplicate key after 60000 rows", unique, ErrorKind::unique, "line 60001"},
      {"check constraint after 60000 rows", check, ErrorKind::check, "line 60001"},
  };
  for (const Case& c : cases) {
    conn_->savepoint("batch");
    try {
      w->write(batch(3, c.rows));
      ADD_FAILURE() << c.what << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), c.kind) << c.what << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.text), std::string::npos) << c.what << ": " << e.what();
    }
    conn_->rollback_to_savepoint("batch");
    EXPECT_EQ(count(t), 1) << "after " << c.what;
  }
  w->write(batch(3, {{Value(2), Value(2), Value(Decimal{"2.50"})}}));
  w->write(batch(3, big));
  conn_->commit();
  EXPECT_EQ(count(t), 60'002);
  EXPECT_EQ(w->finish(), (db::WriteCounts{.inserted = 60'002})) << "failed batches count nothing";
}

TEST_F(PostgresCopy, AFailedBatchOutsideATransactionStoresNothing) {
  std::string t = table("auto", "id int PRIMARY KEY");
  auto w = writer(t, {"id"});
  EXPECT_THROW(w->write(batch(1, {{Value(1)}, {Value(1)}})), Error);
  EXPECT_THROW(w->write(batch(1, {{Value(1)}, {Value(1LL << 40)}})), Error);
  EXPECT_FALSE(conn_->in_transaction());
  w->write(batch(1, {{Value(1)}, {Value(2)}}));
  EXPECT_EQ(count(t), 2);
}

TEST_F(PostgresCopy, TablesWithTypesWithoutACodecUseTextCopy) {
  conn_->execute_script(fmt::format("CREATE TYPE weir_mood_{} AS ENUM ('sad', 'ok')", suffix_));
  cleanup_.push_back(fmt::format("DROP TYPE weir_mood_{}", suffix_));
  std::string t = table("enum", fmt::format("id int PRIMARY KEY, mood weir_mood_{}, addr inet", suffix_));
  auto w = writer(t, {"id", "mood", "addr"});
  w->write(batch(3, {{Value(1), Value("ok"), Value("10.0.0.1")}, {Value(2), Value(), Value()}}));
  Rows got = read_both_ways(t, "id, mood, addr");
  EXPECT_EQ(got, (Rows{{Value(1), Value("ok"), Value("10.0.0.1")}, {Value(2), Value(), Value()}}));
}

TEST_F(PostgresCopy, QueriesWithCommentsAndSemicolonsRead) {
  std::string t = table("sql", "id int PRIMARY KEY, note text");
  conn_->execute_script("INSERT INTO " + t + " VALUES (1, 'a;b'), (2, '-- not a comment')");
  Rows want{{Value(1), Value("a;b")}, {Value(2), Value("-- not a comment")}};
  EXPECT_EQ(read("-- notes\nSELECT id, note FROM " + t + " ORDER BY id; -- trailing"), want);
  EXPECT_EQ(read("SELECT id, note /* the text */ FROM " + t + " ORDER BY id;;"), want);
  EXPECT_EQ(read("WITH x AS (SELECT * FROM " + t + ") SELECT * FROM x ORDER BY 1"), want);
}

TEST_F(PostgresCopy, AbandonedCopyCursorInsideATransactionKeepsItUsable) {
  std::string t = table("abandon", "id int PRIMARY KEY");
  conn_->execute_script("INSERT INTO " + t + " SELECT generate_series(1, 5000)");
  conn_->begin();
  {
    auto cursor = conn_->query("SELECT id FROM " + t + " ORDER BY id");
    Batch b;
    ASSERT_TRUE(cursor->next(b, 10));
    EXPECT_EQ(b.at(9, 0), Value(10));
  }
  EXPECT_EQ(conn_->execute("DELETE FROM " + t + " WHERE id > 10"), 4990u);
  conn_->commit();
  EXPECT_EQ(count(t), 10);
}

// A batch where keys repeat far apart and rows vary in width: were the stage's physical order
// taken for the batch's, a short late row placed in an earlier page's free space would win.
TEST_F(PostgresCopy, LargeUpsertsGoThroughAStageAndTheLastRowOfAKeyWins) {
  conn_->execute_script(fmt::format("CREATE TYPE weir_tone_{} AS ENUM ('low', 'high')", suffix_));
  cleanup_.push_back(fmt::format("DROP TYPE weir_tone_{}", suffix_));
  std::string t = table("stage", fmt::format("id int PRIMARY KEY, note text, tone weir_tone_{}", suffix_));
  conn_->execute_script("INSERT INTO " + t + " SELECT g, 'stale', 'low' FROM generate_series(0, 999) g");
  Rows rows;
  std::map<int, Rows::value_type> last;
  for (int r = 0; r < 6000; ++r) {
    int id = (r * 7919) % 1500;  // ids 0..1499: a third new, each four times in the batch
    Rows::value_type row{Value(id), Value(std::string(static_cast<std::size_t>(r * 37 % 700), 'x') + std::to_string(r)),
                         Value(r % 3 ? "high" : "low")};
    rows.push_back(row);
    last[id] = row;
  }
  auto small = writer(t, {"id", "note", "tone"}, db::WriteMode::upsert, {"id"});
  small->write(batch(3, {{Value(0), Value("small"), Value("high")}}));
  EXPECT_EQ(stages().size(), 0u) << "a small batch goes one statement per row";

  auto w = writer(t, {"id", "note", "tone"}, db::WriteMode::upsert, {"id"});
  conn_->begin();
  w->write(batch(3, rows));  // the enum has no binary codec: text COPY into the stage
  EXPECT_EQ(stages().size(), 1u);
  conn_->commit();
  EXPECT_EQ(stages().size(), 0u) << "the stage ends with the transaction";
  Rows want;
  for (auto& [id, row] : last) want.push_back(row);
  EXPECT_EQ(read("SELECT id, note, tone::text FROM " + t + " ORDER BY id"), want);
  EXPECT_EQ(w->finish(), (db::WriteCounts{.inserted = 500, .updated = 5500}))
      << "a new key's first row inserts, every other row updates";
}

TEST_F(PostgresCopy, FailedStagedMergesLeaveTheWriterUsable) {
  std::string parent = table("parent", "id int PRIMARY KEY");
  conn_->execute_script("INSERT INTO " + parent + " SELECT generate_series(1, 10)");
  std::string t = table("child", "id int PRIMARY KEY, parent int REFERENCES " + parent + "(id), qty int");
  Rows good, bad;
  for (int i = 1; i <= 6000; ++i) good.push_back({Value(i), Value(1 + i % 10), Value(i)});
  bad = good;
  bad[1234][1] = Value(99);
  for (db::WriteMode mode : {db::WriteMode::upsert, db::WriteMode::update}) {
    auto w = writer(t, {"id", "parent", "qty"}, mode, {"id"});
    conn_->begin();
    conn_->savepoint("batch");
    try {
      w->write(batch(3, bad));
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::foreign_key) << e.what();
      EXPECT_NE(std::string(e.what()).find("through a stage"), std::string::npos) << e.what();
    }
    conn_->rollback_to_savepoint("batch");
    w->write(batch(3, good));
    conn_->commit();
    EXPECT_EQ(count(t), 6000);
  }
  // Outside a transaction a staged write commits alone, and a failed one stores nothing.
  auto remove = writer(t, {"id"}, db::WriteMode::remove, {"id"});
  Rows ids;
  for (int i = 1; i <= 5500; ++i) ids.push_back({Value(i)});
  remove->write(batch(1, ids));
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_EQ(count(t), 500);
  auto upsert = writer(t, {"id", "parent", "qty"}, db::WriteMode::upsert, {"id"});
  EXPECT_THROW(upsert->write(batch(3, bad)), Error);
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_EQ(count(t), 500);
}

// Where the role may not create temporary tables, large upserts still write (one statement
// per row); bulk_merge=copy, asked for explicitly, says why it cannot.
TEST_F(PostgresCopy, WithoutTheTempPrivilegeLargeUpsertsUseStatements) {
  const std::string db = "weir_notemp_" + suffix_, role = "weir_notemp_" + suffix_;
  conn_->execute_script(fmt::format("CREATE ROLE {} LOGIN PASSWORD 'notemp-pw'", role));
  cleanup_.push_back("DROP ROLE IF EXISTS " + role);
  conn_->execute_script(fmt::format("CREATE DATABASE {} OWNER {}", db, role));
  cleanup_.insert(cleanup_.begin(), fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", db));
  conn_->execute_script(fmt::format("REVOKE TEMP ON DATABASE {} FROM PUBLIC, {}", db, role));
  db::ConnectionConfig config;
  config.url = Url::parse(*test::server_url("WEIR_TEST_PG_URL"));
  config.url.user = role;
  config.url.password = "notemp-pw";
  config.url.database = db;
  auto restricted = db::connect(config);
  restricted->execute_script("CREATE TABLE t (id int PRIMARY KEY, qty int)");
  Rows rows;
  for (int i = 0; i < 3000; ++i) rows.push_back({Value(i), Value(i)});
  const db::WriteSpec spec{db::TableRef{"", "t"}, {"id", "qty"}, db::WriteMode::upsert, {"id"}};
  restricted->bulk_writer(spec)->write(batch(2, rows));
  EXPECT_EQ(test::scalar(*restricted, "SELECT count(*) FROM t"), "3000");

  config.url.set_option("bulk_merge", "copy");
  auto forced = db::connect(config);
  try {
    forced->bulk_writer(spec)->write(batch(2, rows));
    ADD_FAILURE() << "staged without the TEMP privilege";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("temporary tables"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("through a stage"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(forced->in_transaction());
}

TEST_F(PostgresCopy, AnUnknownBulkMergeIsAConfigErrorWithoutThePassword) {
  db::ConnectionConfig config;
  config.url = Url::parse(*test::server_url("WEIR_TEST_PG_URL"));
  config.url.password = "canary-pw-7731";
  config.url.set_option("bulk_merge", "fast");
  try {
    db::connect(config);
    ADD_FAILURE() << "bulk_merge=fast accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("option `bulk_merge`: `fast` is not one of: auto, copy, statements"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("canary-pw-7731"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace weir
