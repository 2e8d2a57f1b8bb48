// postgres_cdc → jsonl on a real PostgreSQL: what weir streams agrees with an independent
// decoder (pg_recvlogical with wal2json reading a slot made at the same WAL position), a
// restart resumes from the committed checkpoint with nothing lost or doubled (the slot not
// confirmed past what the output committed), and a server or role that cannot replicate, a slot
// that cannot resume, a missing table or a non-PostgreSQL connection stop with one line.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// ---- one canonical text per change, from either decoder ----------------------------------

constexpr unsigned kBytea = 17, kJson = 114, kJsonb = 3802, kTimestamptz = 1184;

// "2026-12-06 08:00:00.1234+00" (PostgreSQL's text, session in UTC) → "2026-12-06T08:00:00.123400Z".
std::string iso_utc(std::string text) {
  EXPECT_TRUE(text.ends_with("+00")) << text;
  text.resize(text.size() - 3);
  text[10] = 'T';
  std::size_t dot = text.find('.');
  if (dot == std::string::npos) text += ".000000";
  else text.append(6 - (text.size() - dot - 1), '0');
  return text + "Z";
}

std::string hex_of_base64(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  unsigned bits = 0, buffer = 0;
  for (char c : text) {
    if (c == '=') break;
    buffer = buffer << 6 | static_cast<unsigned>(kAlphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

// A JSON array as PostgreSQL's array literal (the elements the workload uses).
std::string array_literal(const json& array) {
  std::string out = "{";
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (i) out += ',';
    const json& item = array[i];
    if (item.is_null()) out += "NULL";
    else if (!item.is_string()) out += item.dump();
    else if (item.get<std::string>().find_first_of(" ,\"{}\\") != std::string::npos) out += item.dump();
    else out += item.get<std::string>();
  }
  return out + "}";
}

std::string weir_value(const json& value, unsigned oid) {
  if (value.is_null()) return "NULL";
  if (oid == kBytea) return hex_of_base64(value.get<std::string>());
  if (oid == kJson || oid == kJsonb) return value.dump();
  if (value.is_array()) return array_literal(value);
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string oracle_value(const json& value, unsigned oid) {
  if (value.is_null()) return "NULL";
  std::string text = value.get<std::string>();  // numbers were made strings before parsing
  if (oid == kJson || oid == kJsonb) return json::parse(text).dump();
  if (oid == kTimestamptz) return iso_utc(text);
  return text;
}

// wal2json prints numeric values as bare JSON numbers, which a parser would round: each
// `"value":<number>` becomes a string with the same digits.
std::string numbers_as_strings(const std::string& line) {
  std::string out;
  const std::string key = "\"value\":";
  std::size_t pos = 0;
  for (std::size_t at; (at = line.find(key, pos)) != std::string::npos;) {
    at += key.size();
    out.append(line, pos, at - pos);
    std::size_t end = at;
    while (end < line.size() && std::strchr("-+.0123456789eE", line[end])) ++end;
    if (end > at) out += "\"" + line.substr(at, end - at) + "\"";
    pos = end;
  }
  return out + line.substr(pos);
}

std::string oracle_op(const std::string& action) {
  return action == "I" ? "insert" : action == "U" ? "update" : action == "D" ? "delete" : "truncate";
}

// wal2json format 2 (include-xids, include-timestamp, include-type-oids), one line per action.
std::vector<std::string> canonical_oracle(const std::string& output) {
  std::vector<std::string> changes;
  for (const std::string& raw : lines_of(output)) {
    json line = json::parse(numbers_as_strings(raw));
    std::string action = line["action"];
    if (action == "B" || action == "C" || action == "M") continue;
    std::string text = fmt::format("{}|{}|{}|{}.{}|after:", line["xid"].dump(), iso_utc(line["timestamp"]),
                                   oracle_op(action), line["schema"].get<std::string>(), line["table"].get<std::string>());
    auto columns = [&](const char* field) {
      std::string out;
      if (!line.contains(field)) return out;
      for (const json& c : line[field])
        out += fmt::format("{}={};", c["name"].get<std::string>(), oracle_value(c["value"], c["typeoid"].get<unsigned>()));
      return out;
    };
    changes.push_back(text + columns("columns") + "|before:" + columns("identity"));
  }
  return changes;
}

std::vector<std::string> canonical_weir(const std::string& output) {
  std::vector<std::string> changes;
  for (const std::string& raw : lines_of(output)) {
    json line = json::parse(raw);
    const json& source = line["source"];
    std::map<std::string, unsigned> oids;
    for (const json& c : line["columns"]) oids[c["name"]] = c["oid"];
    auto object = [&](const json& values) {
      std::string out;
      if (values.is_null()) return out;
      for (const json& c : line["columns"])  // in the table's column order, as wal2json prints
        if (values.contains(c["name"].get<std::string>()))
          out += fmt::format("{}={};", c["name"].get<std::string>(), weir_value(values[c["name"].get<std::string>()], c["oid"]));
      return out;
    };
    changes.push_back(fmt::format("{}|{}|{}|{}.{}|after:{}|before:{}", source["txid"].get<std::uint64_t>(),
                                  source["commit_time"].get<std::string>(), line["op"].get<std::string>(),
                                  source["schema"].get<std::string>(), source["table"].get<std::string>(),
                                  object(line["after"]), object(line["before"])));
  }
  return changes;
}

// ---- the fixture ------------------------------------------------------------------------------

class PostgresCdcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
    config_.url = Url::parse(*url);
    db_ = db::connect(config_);
    s_ = test::unique_suffix();
    slot_ = "weir_cdc_" + s_;
    oracle_slot_ = "w2j_" + s_;
    pipeline_ = "cdc_" + s_;
  }

  void TearDown() override {
    if (!db_) return;
    for (const std::string& slot : {slot_, oracle_slot_}) {
      for (int i = 0; i < 50; ++i) {  // a walsender just stopped may still hold it
        try {
          db_->execute(fmt::format("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                                   "WHERE slot_name = '{}'", slot));
          break;
        } catch (const Error&) {
          std::this_thread::sleep_for(100ms);
        }
      }
    }
    db_->execute(fmt::format("DROP PUBLICATION IF EXISTS {}", slot_));
    for (const std::string& t : tables_) db_->execute("DROP TABLE IF EXISTS " + t);
    for (const std::string& role : roles_) db_->execute("DROP ROLE IF EXISTS " + role);
    try {
      db_->execute("DELETE FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "'");
    } catch (const Error&) {
    }
  }

  std::string table(const std::string& name, const std::string& columns) {
    std::string t = name + "_" + s_;
    tables_.push_back(t);
    db_->execute(fmt::format("CREATE TABLE {} ({})", t, columns));
    return t;
  }

  // The pipeline file: `tables` streamed into out.jsonl (or the `output_module` given, with a
  // connection `dst` to `dst_url`), the state in the same database.
  std::string pipeline_file(const std::vector<std::string>& tables, const std::string& connection = "\"${WEIR_TEST_PG_URL}\"",
                            const std::string& output = "out.jsonl", const std::string& output_module = "",
                            const std::string& dst_url = "") {
    std::string list;
    for (const std::string& t : tables) list += (list.empty() ? "" : ", ") + ("public." + t);
    std::string file = dir_.file("cdc.yaml");
    test::write_file(file, fmt::format("connections:\n  pg: {}\n  state_db: \"${{WEIR_TEST_PG_URL}}\"\n"
                                       "pipelines:\n  {}:\n    input:\n      postgres_cdc:\n        connection: pg\n"
                                       "        slot: {}\n        publication: {}\n        tables: [{}]\n"
                                       "    output:\n      {}\n    state: {{ connection: state_db }}\n",
                                       connection, pipeline_, slot_, slot_, list,
                                       output_module.empty() ? fmt::format("jsonl: {{ path: \"{}\" }}", output) : output_module));
    if (!dst_url.empty()) {
      std::string text = test::read_file(file);
      text.insert(text.find("pipelines:"), "  dst: " + dst_url + "\n");
      test::write_file(file, text);
    }
    return file;
  }

  test::CommandResult run_once(const std::string& file) { return test::run_weir({"run", file, "--once"}, dir_.path()); }
  std::string out() { return test::read_file(dir_.file("out.jsonl")); }

  // What wal2json decodes from its own slot, up to the WAL's end now.
  std::string oracle(const std::vector<std::string>& tables) {
    std::string end = test::scalar(*db_, "SELECT pg_current_wal_lsn()::text");
    std::string add_tables;
    for (const std::string& t : tables) add_tables += (add_tables.empty() ? "public." : ",public.") + t;
    auto r = test::run_program(
        {std::string(std::getenv("WEIR_TEST_PG_BIN")) + "/pg_recvlogical", "-h", "127.0.0.1", "-p",
         std::getenv("WEIR_TEST_PG_PORT"), "-U", "weir", "-d", "weir_test", "--slot", oracle_slot_, "--start",
         "--endpos", end, "--no-loop", "-o", "format-version=2", "-o", "include-xids=1", "-o", "include-timestamp=1",
         "-o", "include-type-oids=1", "-o", "add-tables=" + add_tables, "-f", "-"},
        {}, {std::string("PGPASSWORD=") + std::getenv("WEIR_TEST_PG_PASSWORD"), "PGTZ=UTC"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  void create_oracle_slot() {
    db_->execute(fmt::format("SELECT pg_create_logical_replication_slot('{}', 'wal2json')", oracle_slot_));
  }
  std::string confirmed_flush() {
    return test::scalar(*db_, fmt::format("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{}'", slot_));
  }
  std::string saved_position() {
    return test::scalar(*db_, "SELECT position FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "'");
  }

  void stop_inside_large_transaction_applied(bool sqlite);

  db::ConnectionConfig config_;
  std::unique_ptr<db::Connection> db_;
  std::string s_, slot_, oracle_slot_, pipeline_;
  std::vector<std::string> tables_, roles_;
  test::TempDir dir_;
};

// The workload of the agreement test: multi-row transactions over two tables, key and non-key
// updates, deletes, NULLs, unicode, 30-digit numerics, jsonb, arrays, bytea, an unchanged
// TOASTed value, REPLICA IDENTITY FULL, a TRUNCATE and a 1,000-row transaction.
void run_workload(db::Connection& db, const std::string& items, const std::string& notes, const std::string& full,
                  const std::string& other) {
  db.execute_script(fmt::format(R"(
BEGIN;
INSERT INTO {0} VALUES (1, 123456789012345678901234567890.123456789, 'héllo ☃ 日本', '{{"a":[1,2],"b":{{"c":null}}}}',
  '{{1,2,NULL}}', '{{a,"b c",ü}}', '2026-12-06 10:00:00.123456+02', '\x00ff10', NULL),
  (2, -0.000000000000000000000000000001, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO {1} VALUES ('x', 1);
INSERT INTO {3} VALUES (1);
INSERT INTO {0} VALUES (3, 1e-5, 'third', '[]', '{{}}', '{{}}', '1999-12-31 23:59:59.999999+00', '', NULL);
COMMIT;
UPDATE {0} SET id = 4 WHERE id = 2;
UPDATE {0} SET note = 'changed' WHERE id = 1;
BEGIN;
DELETE FROM {0} WHERE id = 3;
UPDATE {1} SET v = 2;
INSERT INTO {2} VALUES (1, 'a');
UPDATE {2} SET b = 'b';
DELETE FROM {2};
COMMIT;
INSERT INTO {0} (id, big) SELECT 10, string_agg(md5(i::text), '') FROM generate_series(1, 2000) i;
UPDATE {0} SET note = 'the big text is not sent again' WHERE id = 10;
TRUNCATE {1};
INSERT INTO {0} (id, n) SELECT g, g * 1.5 FROM generate_series(100, 1099) g;
)",
                                items, notes, full, other));
}

TEST_F(PostgresCdcTest, JsonlAgreesWithWal2jsonOnTheSameWal) {
  std::string items = table("items", "id bigint PRIMARY KEY, n numeric, note text, doc jsonb, tags int[], "
                                     "words text[], at timestamptz, data bytea, big text");
  std::string notes = table("notes", "k text PRIMARY KEY, v int");
  std::string full = table("fullid", "a int, b text");
  std::string other = table("other", "x int");
  db_->execute(fmt::format("ALTER TABLE {} REPLICA IDENTITY FULL", full));
  db_->execute(fmt::format("ALTER TABLE {} ALTER COLUMN big SET STORAGE EXTERNAL", items));  // kept out of line
  std::string file = pipeline_file({items, notes, full});
  auto first = run_once(file);  // creates the publication and the slot
  ASSERT_EQ(first.exit_code, 0) << first.err;
  create_oracle_slot();
  run_workload(*db_, items, notes, full, other);

  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> ours = canonical_weir(out());
  std::vector<std::string> theirs = canonical_oracle(oracle({items, notes, full}));
  ASSERT_EQ(theirs.size(), 1014u);
  ASSERT_EQ(ours.size(), theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i) ASSERT_EQ(ours[i], theirs[i]) << "change " << i;

  // One line pinned whole, its position's varying parts aside.
  std::vector<std::string> lines = lines_of(out());
  json first_line = json::parse(lines[0]);
  EXPECT_EQ(first_line["source"]["index"], 0);
  EXPECT_EQ(first_line["source"]["lsn"], json::parse(lines[3])["source"]["lsn"]);  // same transaction
  first_line["source"].erase("lsn");
  first_line["source"].erase("txid");
  first_line["source"].erase("commit_time");
  EXPECT_EQ(first_line.dump(),
            R"({"after":{"at":"2026-12-06T08:00:00.123456Z","big":null,"data":"AP8Q","doc":{"a":[1,2],"b":{"c":null}},)"
            R"("id":1,"n":"123456789012345678901234567890.123456789","note":"héllo ☃ 日本","tags":[1,2,null],)"
            R"("words":["a","b c","ü"]},"before":null,"columns":[{"key":true,"name":"id","oid":20,"type":"int8"},)"
            R"({"key":false,"name":"n","oid":1700,"type":"numeric"},{"key":false,"name":"note","oid":25,"type":"text"},)"
            R"({"key":false,"name":"doc","oid":3802,"type":"jsonb"},{"key":false,"name":"tags","oid":1007,"type":"_int4"},)"
            R"({"key":false,"name":"words","oid":1009,"type":"_text"},{"key":false,"name":"at","oid":1184,"type":"timestamptz"},)"
            R"({"key":false,"name":"data","oid":17,"type":"bytea"},{"key":false,"name":"big","oid":25,"type":"text"}],)"
            R"("op":"insert","source":{"index":0,"schema":"public","table":")" + items + R"("},"unchanged":[]})");
  json toast_update = json::parse(lines[12]);
  EXPECT_EQ(toast_update["op"], "update");
  EXPECT_EQ(toast_update["unchanged"], json::parse(R"(["big"])"));
  EXPECT_FALSE(toast_update["after"].contains("big"));
}

// Each of `transactions` transactions inserts `rows` rows into `t`, ids following on from `from`.
void insert_transactions(db::Connection& db, const std::string& t, int transactions, int rows, int from = 1) {
  for (int i = 0; i < transactions; ++i, from += rows)
    db.execute(fmt::format("INSERT INTO {} SELECT g, 'row ' || g FROM generate_series({}, {}) g", t, from, from + rows - 1));
}

bool lsn_at_most(db::Connection& db, const std::string& a, const std::string& b) {
  return test::scalar(db, fmt::format("SELECT '{}'::pg_lsn <= '{}'::pg_lsn", a, b)) == "true";
}

// Waits up to `limit` for `done`.
template <class Done>
bool eventually(Done done, std::chrono::seconds limit = 30s) {
  for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(50ms))
    if (done()) return true;
  return done();
}

// The highest "read N" of weir's progress lines (--progress) so far.
std::uint64_t rows_read(const std::string& err) {
  std::uint64_t most = 0;
  for (std::size_t at = 0; (at = err.find(": read ", at)) != std::string::npos;) {
    at += 7;
    most = std::max<std::uint64_t>(most, std::strtoull(err.c_str() + at, nullptr, 10));
  }
  return most;
}

// A stop inside a 200,000-row source transaction, made certain by holding the output: weir
// reads into the transaction, its output is blocked by a lock the test holds (`hold` takes
// it, `release` lets it go), SIGTERM comes, and only once weir said it is stopping is the
// lock released. The output then finishes the few batches already queued, far from the
// transaction's end. Returns the LSN before the big transaction.
std::string stop_inside_large_transaction(db::Connection& db, const std::string& t,
                                          const std::string& file, const test::TempDir& dir,
                                          const std::function<void()>& hold, const std::function<void()>& release,
                                          std::string& err) {
  db.execute(fmt::format("INSERT INTO {} SELECT g, 'row ' || g FROM generate_series(1, 10) g", t));
  std::string before_big = test::scalar(db, "SELECT pg_current_wal_lsn()::text");
  db.execute(fmt::format("INSERT INTO {} SELECT g, 'row ' || g FROM generate_series(11, 200010) g", t));
  for (int i = 0; i < 3; ++i)
    db.execute(fmt::format("INSERT INTO {0} SELECT g, 'row ' || g FROM generate_series({1}, {1} + 9) g", t,
                           200'011 + 10 * i));
  hold();
  test::Background weir({"run", file, "--progress", "100ms"}, dir.path());
  // Into the big transaction: more read than the 10 rows before it.
  EXPECT_TRUE(eventually([&] { return rows_read(weir.err()) >= 10'010; })) << weir.err();
  weir.signal(SIGTERM);
  EXPECT_TRUE(eventually([&] { return weir.err().find("weir: stopping") != std::string::npos; })) << weir.err();
  release();
  EXPECT_EQ(weir.wait(), 143) << weir.err();
  err = weir.err();
  return before_big;
}

// jsonl has no transactions: it commits batch by batch inside the source transaction, and the
// stop saves the position of its last line; the restart goes on from the next change.
TEST_F(PostgresCdcTest, AStopInsideALargeTransactionResumesAtItsNextChangeNothingLostOrDoubled) {
  std::string t = table("big", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({t});
  ASSERT_EQ(run_once(file).exit_code, 0);
  ASSERT_NE(saved_position(), "");
  create_oracle_slot();
  // Holding the pipeline's checkpoint row holds the output at its first commit.
  auto holder = db::connect(config_);
  std::string err;
  std::string before_big = stop_inside_large_transaction(
      *db_, t, file, dir_,
      [&] {
        holder->execute("BEGIN");
        holder->execute("SELECT 1 FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "' FOR UPDATE");
      },
      [&] { holder->execute("ROLLBACK"); }, err);

  std::string position = saved_position();
  std::size_t delivered = lines_of(out()).size();
  ASSERT_GT(delivered, 10u) << err;
  ASSERT_LT(delivered, 100'000u) << "the stop came long after the output was released: " << err;
  EXPECT_EQ(position.find("end_lsn"), std::string::npos) << "saved mid-transaction: " << position;
  EXPECT_NE(position.find(fmt::format("\"index\":{}", delivered - 10 - 1)), std::string::npos) << position;
  // The server sent more of the transaction than the output committed: the slot stays
  // before the cut transaction, never past it.
  EXPECT_TRUE(lsn_at_most(*db_, confirmed_flush(), before_big)) << confirmed_flush() << " passed " << before_big;

  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> ours = canonical_weir(out());
  std::vector<std::string> theirs = canonical_oracle(oracle({t}));
  ASSERT_EQ(theirs.size(), 200'040u);
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs);
}

// sql_apply commits a source transaction whole: the stop rolls back what it wrote of the big
// one, the slot is not confirmed past the transaction before it, and the restart applies it
// again from its start — every row once.
void PostgresCdcTest::stop_inside_large_transaction_applied(bool sqlite) {
  std::string t = table("bigsrc", "id bigint PRIMARY KEY, v text");
  std::string target = sqlite ? "bigdst" : table("bigdst", "id bigint PRIMARY KEY, v text");
  std::string target_url = sqlite ? "\"sqlite:dst.db?busy_timeout=600000\"" : "\"${WEIR_TEST_PG_URL}\"";
  std::unique_ptr<db::Connection> dst = db::connect(config_);
  if (sqlite) {
    db::ConnectionConfig config;
    config.url = Url::parse("sqlite:" + dir_.file("dst.db"));
    dst = db::connect(config);
    dst->execute("CREATE TABLE bigdst (id bigint PRIMARY KEY, v text)");
  }
  std::string file = pipeline_file({t}, "\"${WEIR_TEST_PG_URL}\"", "",
                                   fmt::format("sql_apply: {{ connection: dst, tables: {{ public.{}: {} }} }}", t, target),
                                   target_url);
  ASSERT_EQ(run_once(file).exit_code, 0);
  // A lock on the target holds the output at its first write.
  auto holder = sqlite ? nullptr : db::connect(config_);
  auto hold = [&] {
    if (sqlite) {
      dst->execute("BEGIN IMMEDIATE");
    } else {
      holder->execute("BEGIN");
      holder->execute(fmt::format("LOCK TABLE {} IN SHARE MODE", target));
    }
  };
  auto release = [&] { (sqlite ? *dst : *holder).execute("ROLLBACK"); };
  std::string err;
  std::string before_big = stop_inside_large_transaction(*db_, t, file, dir_, hold, release, err);

  EXPECT_NE(err.find("the input stopped inside a source transaction; its "), std::string::npos) << err;
  EXPECT_EQ(test::scalar(*dst, fmt::format("SELECT count(*) FROM {} WHERE id > 10", target)), "0");
  EXPECT_TRUE(lsn_at_most(*db_, confirmed_flush(), before_big)) << confirmed_flush() << " passed " << before_big;
  std::string position = saved_position();
  EXPECT_TRUE(position.empty() || position.find("end_lsn") != std::string::npos) << position;

  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string summary = "SELECT count(*) || ' ' || sum(id) || ' ' || min(v) || ' ' || max(v) FROM ";
  EXPECT_EQ(test::scalar(*dst, summary + target), test::scalar(*db_, summary + t));
  EXPECT_EQ(test::scalar(*dst, "SELECT count(*) FROM " + target), "200040");
}

TEST_F(PostgresCdcTest, AStopInsideALargeTransactionAppliedToPostgresRollsItBackAndTheRestartAppliesItOnce) {
  stop_inside_large_transaction_applied(false);
}

TEST_F(PostgresCdcTest, AStopInsideALargeTransactionAppliedToSqliteRollsItBackAndTheRestartAppliesItOnce) {
  stop_inside_large_transaction_applied(true);
}

TEST_F(PostgresCdcTest, AKilledRunLosesNothingAndRepeatsOnlyWhatFollowedItsLastCheckpoint) {
  std::string t = table("killed", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({t});
  ASSERT_EQ(run_once(file).exit_code, 0);
  create_oracle_slot();
  insert_transactions(*db_, t, 40, 2'000);
  {
    test::Background weir({"run", file}, dir_.path());
    ASSERT_TRUE(eventually([&] { return lines_of(out()).size() >= 10'000; })) << weir.err();
    weir.signal(SIGKILL);
    weir.wait();
  }
  std::size_t before_restart = lines_of(out()).size();
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A file has no transactions: lines written after the last saved checkpoint come again.
  std::vector<std::string> ours, theirs = canonical_oracle(oracle({t}));
  std::set<std::string> seen;
  for (const std::string& change : canonical_weir(out()))
    if (seen.insert(change).second) ours.push_back(change);
  ASSERT_EQ(theirs.size(), 80'000u);
  EXPECT_TRUE(ours == theirs);
  EXPECT_LE(canonical_weir(out()).size() - ours.size(), before_restart);
}

// ---- a server restarting, an idle database -----------------------------------------------------

// Adds `lines` (YAML, 8 spaces deep) to the postgres_cdc section of `file`.
void add_input_options(const std::string& file, const std::string& lines) {
  std::string text = test::read_file(file);
  text.insert(text.find("    output:"), lines);
  test::write_file(file, text);
}

// The server restarts while weir streams: it connects again by itself and goes on from where
// it was, in the same run: every change once, none lost, none twice.
TEST_F(PostgresCdcTest, AServerRestartMidStreamIsRiddenOutNothingLostOrDoubled) {
  auto restart = test::postgres_restart();
  if (!restart) GTEST_SKIP() << "the harness did not say how to restart its PostgreSQL";
  std::string t = table("restarted", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({t});
  add_input_options(file, "        retry: { max_time: 60s }\n");
  // The state elsewhere: a server shutting down waits for weir to confirm all it sent, which
  // weir does only once the output committed and the checkpoint is saved.
  std::string text = test::read_file(file);
  text.replace(text.find("state_db: \"${WEIR_TEST_PG_URL}\""), 31, "state_db: \"sqlite:state.db\"");
  test::write_file(file, text);
  ASSERT_EQ(run_once(file).exit_code, 0);
  create_oracle_slot();
  insert_transactions(*db_, t, 30, 2'000);
  test::Background weir({"run", file}, dir_.path());
  ASSERT_TRUE(eventually([&] { return lines_of(out()).size() >= 4'000; })) << weir.err();
  (*restart)();
  db_ = db::connect(config_);
  insert_transactions(*db_, t, 5, 100, 60'001);
  EXPECT_TRUE(eventually([&] { return lines_of(out()).size() >= 60'500; }, 60s)) << weir.err();
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 143) << weir.err();
  EXPECT_NE(weir.err().find("connecting again"), std::string::npos) << weir.err();
  std::vector<std::string> ours = canonical_weir(out()), theirs = canonical_oracle(oracle({t}));
  ASSERT_EQ(theirs.size(), 60'500u);
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs);
}

// `heartbeat` runs its statement while the captured tables are idle; by default a WAL message
// (pg_logical_emit_message), which moves the slot on past where WAL stood when weir started.
TEST_F(PostgresCdcTest, AHeartbeatRunsItsQueryAndMovesAnIdleSlotOn) {
  std::string t = table("idle", "id bigint PRIMARY KEY");
  std::string beats = table("beats", "at timestamptz");
  std::string file = pipeline_file({t});
  ASSERT_EQ(run_once(file).exit_code, 0);
  {
    add_input_options(file, fmt::format("        heartbeat: 200ms\n        heartbeat_query: \"INSERT INTO {} VALUES (now())\"\n", beats));
    test::Background weir({"run", file}, dir_.path());
    EXPECT_TRUE(eventually([&] { return std::stoi(test::scalar(*db_, "SELECT count(*) FROM " + beats)) >= 3; }))
        << weir.err();
    weir.signal(SIGTERM);
    weir.wait();
  }
  std::string text = test::read_file(file);
  text.erase(text.find("        heartbeat_query:"), text.find("    output:") - text.find("        heartbeat_query:"));
  test::write_file(file, text);
  std::string started = test::scalar(*db_, "SELECT pg_current_wal_lsn()::text");
  test::Background weir({"run", file}, dir_.path());
  EXPECT_TRUE(eventually([&] { return !lsn_at_most(*db_, confirmed_flush(), started); })) << confirmed_flush();
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 143) << weir.err();
}

// ---- what stops with one line -----------------------------------------------------------------

TEST_F(PostgresCdcTest, ANonPostgresConnectionIsAConfigurationError) {
  std::string file = pipeline_file({"t"}, "\"sqlite:other.db\"");
  auto r = test::run_weir({"validate", file}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pipelines." + pipeline_ + ".input.postgres_cdc.connection: connection `pg` is a sqlite:// "
                       "database; postgres_cdc reads PostgreSQL's logical replication and needs a postgres:// connection"),
            std::string::npos)
      << r.err;
}

TEST_F(PostgresCdcTest, ARoleWithoutReplicationIsToldHowToGrantIt) {
  std::string t = table("norepl", "id int PRIMARY KEY");
  std::string role = "weir_norepl_" + s_;
  const std::string canary = "canary_" + s_ + "_pw";
  db_->execute(fmt::format("CREATE ROLE {} LOGIN PASSWORD '{}'", role, canary));
  roles_.push_back(role);
  std::string file = pipeline_file({t}, fmt::format("{{ url: \"postgres://{}@127.0.0.1:${{WEIR_TEST_PG_PORT}}/weir_test\", "
                                                     "password: {{ env: NOREPL_PW }} }}", role));
  auto r = test::run_weir({"run", file, "--once"}, dir_.path(), {"NOREPL_PW=" + canary});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(fmt::format("role `{}` on ", role)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(fmt::format("may not replicate: ALTER ROLE {} REPLICATION", role)), std::string::npos) << r.err;
  EXPECT_EQ((r.out + r.err).find(canary), std::string::npos);
}

TEST_F(PostgresCdcTest, AMissingTableIsNamed) {
  std::string file = pipeline_file({"nope_" + s_});
  auto r = run_once(file);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(fmt::format("pipelines.{}.input.postgres_cdc.tables: table `public.nope_{}` does not exist",
                                   pipeline_, s_)),
            std::string::npos)
      << r.err;
}

TEST_F(PostgresCdcTest, ASlotThatCannotResumeWhereTheStateSaysStopsNamingItAndTheRecovery) {
  std::string t = table("lost", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({t});
  ASSERT_EQ(run_once(file).exit_code, 0);
  insert_transactions(*db_, t, 1, 10);
  ASSERT_EQ(run_once(file).exit_code, 0);
  ASSERT_NE(saved_position(), "");

  insert_transactions(*db_, t, 1, 10, 11);  // changes the saved position has not seen …
  db_->execute(fmt::format("SELECT pg_replication_slot_advance('{}', pg_current_wal_lsn())", slot_));  // … skipped
  auto moved = run_once(file);
  EXPECT_EQ(moved.exit_code, 2) << moved.err;
  EXPECT_NE(moved.err.find(fmt::format("replication slot `{}` has moved on to ", slot_)), std::string::npos) << moved.err;
  EXPECT_NE(moved.err.find("Run again with --reset"), std::string::npos) << moved.err;

  db_->execute(fmt::format("SELECT pg_drop_replication_slot('{}')", slot_));
  auto missing = run_once(file);
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find(fmt::format("replication slot `{}` does not exist, but the saved position says changes "
                                         "up to ", slot_)),
            std::string::npos)
      << missing.err;
  EXPECT_EQ(lines_of(out()).size(), 10u);  // nothing read from a slot that cannot resume
  EXPECT_EQ(test::scalar(*db_, fmt::format("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}'", slot_)),
            "0");  // and no silent new slot "from now"
}

}  // namespace
}  // namespace weir
