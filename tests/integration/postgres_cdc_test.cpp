// postgres_cdc → jsonl on a real PostgreSQL: what weir streams agrees with an independent
// decoder (pg_recvlogical with wal2json reading a slot made at the same WAL position), a
// restart resumes from the committed checkpoint with nothing lost or doubled (the slot not
// confirmed past what the output committed), and a server or role that cannot replicate, a slot
// that cannot resume, a missing table or a non-PostgreSQL connection stop with one line.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <set>

#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

using nlohmann::json;

void run_workload(db::Connection& db, const std::string& items, const std::string& notes, const std::string& full,
                  const std::string& other) {
  db.execute_script(fmt::format(R"(
BEGIN;
INSERT INTO {0} VALUES (1, 123456789012345678901234567890.123456789, 'héllo ☃ 日本', '{{"a":[1,2],"b":{{"c":null}}}}',
  '{{1,2,NULL}}', '{{a,"b c",ü}}', '2026-12-06 10:00:00.123456+02', '\x00ff10', NULL),
  (2, -0.000000000000000000000000000001, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO {1} VALUES ('x', 1);
INSERT INTO {3} VALUES (1);
INSERT INTO {0} VALUES (3, 1e-5, 'third 😀 𝄞', '["🎉", {{"k": "𐍈"}}]', '{{}}', '{{😀,"a 𝄞"}}', '1999-12-31 23:59:59.999999+00', '', NULL);
COMMIT;
UPDATE {0} SET id = 4 WHERE id = 2;
UPDATE {0} SET note = 'changed 🙂' WHERE id = 1;
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
  // Characters outside the Basic Multilingual Plane (4 UTF-8 bytes) in text, jsonb and arrays.
  EXPECT_NE(ours[3].find("note=third 😀 𝄞;doc=[\"🎉\",{\"k\":\"𐍈\"}];tags={};words={😀,\"a 𝄞\"};"), std::string::npos)
      << ours[3];

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
  // The walsender of the run that just ended may hold the slot a moment longer.
  auto released = [&] {
    return test::scalar(*db_, fmt::format("SELECT active FROM pg_replication_slots WHERE slot_name = '{}'", slot_)) ==
           "false";
  };
  ASSERT_TRUE(eventually(released));
  db_->execute(fmt::format("SELECT pg_replication_slot_advance('{}', pg_current_wal_lsn())", slot_));  // … skipped
  auto moved = run_once(file);
  EXPECT_EQ(moved.exit_code, 2) << moved.err;
  EXPECT_NE(moved.err.find(fmt::format("replication slot `{}` has moved on to ", slot_)), std::string::npos) << moved.err;
  EXPECT_NE(moved.err.find("Run again with --reset"), std::string::npos) << moved.err;

  ASSERT_TRUE(eventually(released));
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
}  // namespace weir::cdc_test
