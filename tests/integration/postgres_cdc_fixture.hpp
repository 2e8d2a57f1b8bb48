// The fixture of the postgres_cdc integration tests (postgres_cdc_test.cpp,
// postgres_cdc_stop_test.cpp): a real PostgreSQL from the harness, a slot, publication and
// pipeline file per test, and the canonical text of each change as weir's jsonl and as
// wal2json (an independent decoder, through pg_recvlogical) report it.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "support/replication_slots.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::cdc_test {

using namespace std::chrono_literals;

// The non-empty lines of `text`.
std::vector<std::string> lines_of(const std::string& text);
// One canonical text per change: wal2json format 2 (include-xids, include-timestamp,
// include-type-oids) and weir's jsonl, comparable line for line.
std::vector<std::string> canonical_oracle(const std::string& output);
std::vector<std::string> canonical_weir(const std::string& output);

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
    for (const std::string& slot : {slot_, oracle_slot_}) test::drop_replication_slot(*db_, slot);
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

  // `streamed`: the server streams the transaction in chunks (logical_decoding_work_mem 64kB).
  void stop_inside_large_transaction_applied(bool sqlite, bool streamed = false);

  db::ConnectionConfig config_;
  std::unique_ptr<db::Connection> db_;
  std::string s_, slot_, oracle_slot_, pipeline_;
  std::vector<std::string> tables_, roles_;
  test::TempDir dir_;
};

// The workload of the agreement test: multi-row transactions over two tables, key and non-key
// updates, deletes, NULLs, unicode (4-byte too), 30-digit numerics, jsonb, arrays, bytea, an unchanged
// TOASTed value, REPLICA IDENTITY FULL, a TRUNCATE and a 1,000-row transaction.
inline void insert_transactions(db::Connection& db, const std::string& t, int transactions, int rows, int from = 1) {
  for (int i = 0; i < transactions; ++i, from += rows)
    db.execute(fmt::format("INSERT INTO {} SELECT g, 'row ' || g FROM generate_series({}, {}) g", t, from, from + rows - 1));
}

inline bool lsn_at_most(db::Connection& db, const std::string& a, const std::string& b) {
  return test::scalar(db, fmt::format("SELECT '{}'::pg_lsn <= '{}'::pg_lsn", a, b)) == "true";
}

using test::eventually;

// The highest "read N" of weir's progress lines (--progress) so far.
}  // namespace weir::cdc_test
