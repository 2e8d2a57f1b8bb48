// `weir cdc status` and `weir cdc drop` on a real PostgreSQL, jsonl writing changes to stdout,
// and the server configurations postgres_cdc refuses with one line: wal_level below logical (a
// second throwaway server started by the test), a MariaDB connection, a table the user's
// publication does not publish.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>

#include "support/replication_slots.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using nlohmann::json;

using test::eventually;

class CdcAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
    db::ConnectionConfig config;
    config.url = Url::parse(*url);
    db_ = db::connect(config);
    s_ = test::unique_suffix();
  }

  void TearDown() override {
    if (!db_) return;
    for (const std::string& slot : slots_) test::drop_replication_slot(*db_, slot);
    for (const std::string& p : publications_) db_->execute("DROP PUBLICATION IF EXISTS " + p);
    for (const std::string& t : tables_) db_->execute("DROP TABLE IF EXISTS " + t);
  }

  std::string table(const std::string& name) {
    std::string t = name + "_" + s_;
    tables_.push_back(t);
    db_->execute(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, v text)", t));
    return t;
  }
  std::string slot(const std::string& name) {
    slots_.push_back(name + "_" + s_);
    publications_.push_back(name + "_" + s_);
    return slots_.back();
  }

  // A publication of `t` the user made, not weir.
  std::string own_publication(const std::string& name, const std::string& t) {
    publications_.push_back(name + "_" + s_);
    db_->execute(fmt::format("CREATE PUBLICATION {} FOR TABLE {}", publications_.back(), t));
    return publications_.back();
  }

  // One postgres_cdc pipeline block: `name` reads `t` from slot `slot` through `publication`.
  static std::string pipeline(const std::string& name, const std::string& slot, const std::string& publication,
                              const std::string& t, const std::string& output = "{ path: out.jsonl }") {
    return fmt::format("  {}:\n    input:\n      postgres_cdc: {{ connection: pg, slot: {}, publication: {}, "
                       "tables: [public.{}] }}\n    output:\n      jsonl: {}\n",
                       name, slot, publication, t, output);
  }
  std::string file(const std::string& pipelines, const std::string& connection = "\"${WEIR_TEST_PG_URL}\"") {
    std::string path = dir_.file("cdc.yaml");
    test::write_file(path, fmt::format("connections:\n  pg: {}\npipelines:\n{}", connection, pipelines));
    return path;
  }
  test::CommandResult weir(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    return test::run_weir(args, dir_.path(), env);
  }
  json status(const std::string& f, const std::string& name) {
    auto r = weir({"cdc", "status", f, "--pipeline", name, "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json all = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(all.is_array() && all.size() == 1) << r.out;
    return all.is_array() && !all.empty() ? all[0] : json::object();
  }
  std::string count(const std::string& catalog, const std::string& column, const std::string& name) {
    return test::scalar(*db_, fmt::format("SELECT count(*) FROM {} WHERE {} = '{}'", catalog, column, name));
  }
  bool slot_active(const std::string& slot) {
    return test::scalar(*db_, fmt::format("SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = '{}'",
                                          slot)) == "1";
  }
  std::string wal_lsn() { return test::scalar(*db_, "SELECT pg_current_wal_lsn()::text"); }

  std::unique_ptr<db::Connection> db_;
  std::string s_;
  std::vector<std::string> tables_, slots_, publications_;
  test::TempDir dir_;
};

// ---- weir cdc status ---------------------------------------------------------------------------

TEST_F(CdcAdminTest, StatusShowsNoLagOnceDrainedAndTheWalWrittenSinceAfterwards) {
  std::string t = table("status"), s = slot("weir_status");
  std::string f = file(pipeline("feed", s, s, t));
  json before = status(f, "feed");  // nothing on the server yet
  EXPECT_EQ(before["slot_exists"], false);
  EXPECT_TRUE(before["lag_bytes"].is_null());
  EXPECT_EQ(before["publication_exists"], false);
  EXPECT_TRUE(before["last_seen_lsn"].is_null());

  ASSERT_EQ(weir({"run", "--once", f}).exit_code, 0);  // creates publication and slot
  db_->execute(fmt::format("INSERT INTO {} SELECT g, 'row' FROM generate_series(1, 100) g", t));
  // Drained: a run reads up to the WAL's end. Other sessions of the server (autovacuum, other
  // tests) may write WAL after it, so a few drains may be needed before one ends with nothing after.
  json drained;
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto r = weir({"run", "--once", f});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    drained = status(f, "feed");
    if (drained["lag_bytes"] == 0) break;
  }
  EXPECT_EQ(drained["lag_bytes"], 0) << drained.dump();
  EXPECT_EQ(drained["slot"], s);
  EXPECT_EQ(drained["slot_exists"], true);
  EXPECT_EQ(drained["active"], false);
  EXPECT_TRUE(drained["active_pid"].is_null());
  EXPECT_EQ(drained["wal_status"], "reserved");
  EXPECT_EQ(drained["confirmed_flush_lsn"], test::scalar(*db_, fmt::format("SELECT confirmed_flush_lsn::text FROM "
                                                                          "pg_replication_slots WHERE slot_name = '{}'",
                                                                          s)));
  EXPECT_GE(drained["retained_wal_bytes"].get<std::int64_t>(), 0);
  EXPECT_EQ(drained["publication"], s);
  EXPECT_EQ(drained["publication_exists"], true);
  EXPECT_EQ(drained["publication_by_weir"], true);
  // The checkpoint: the end of the 100-row transaction (index 99 of its commit LSN), or, when a
  // later drain saw only other WAL, the keepalive position it reached (index 0, after it).
  EXPECT_EQ(drained["last_seen_complete"], true);
  ASSERT_TRUE(drained["last_seen_lsn"].is_string()) << drained.dump();
  std::string out = test::read_file(dir_.file("out.jsonl"));
  json last_change = json::parse(out.substr(out.rfind('\n', out.size() - 2) + 1));
  ASSERT_EQ(last_change["source"]["index"], 99);
  if (drained["last_seen_index"] == 99) EXPECT_EQ(drained["last_seen_lsn"], last_change["source"]["lsn"]);
  else EXPECT_EQ(drained["last_seen_index"], 0) << drained.dump();
  EXPECT_EQ(test::scalar(*db_, fmt::format("SELECT '{}'::pg_lsn <= '{}'::pg_lsn",
                                           drained["last_seen_lsn"].get<std::string>(),
                                           drained["confirmed_flush_lsn"].get<std::string>())),
            "true");
  EXPECT_TRUE(std::regex_match(drained["last_saved_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00)")))
      << drained.dump();
  EXPECT_NE(drained["database"].get<std::string>().find("/weir_test"), std::string::npos);

  // 20,000 rows written since: the slot holds at least the WAL they took.
  std::string from = wal_lsn();
  db_->execute(fmt::format("INSERT INTO {} SELECT g, repeat('x', 100) FROM generate_series(101, 20100) g", t));
  std::int64_t written = std::stoll(test::scalar(*db_, fmt::format("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{}')", from)));
  json behind = status(f, "feed");
  EXPECT_GE(behind["lag_bytes"].get<std::int64_t>(), written) << behind.dump();
  EXPECT_GT(written, 2'000'000);
  EXPECT_GE(behind["retained_wal_bytes"].get<std::int64_t>(), behind["lag_bytes"].get<std::int64_t>());
  EXPECT_EQ(behind["confirmed_flush_lsn"], drained["confirmed_flush_lsn"]);

  // The table form: a header naming the columns, one row, the count.
  auto table_form = weir({"cdc", "status", f});
  ASSERT_EQ(table_form.exit_code, 0) << table_form.err;
  EXPECT_EQ(table_form.out.rfind("pipeline", 0), 0u) << table_form.out;
  EXPECT_NE(table_form.out.find("lag_bytes"), std::string::npos);
  EXPECT_NE(table_form.out.find(s), std::string::npos);
  EXPECT_NE(table_form.out.find("(1 row)"), std::string::npos) << table_form.out;
}

TEST_F(CdcAdminTest, StatusWhileStreamingShowsTheSlotActive) {
  std::string t = table("active"), s = slot("weir_active");
  std::string f = file(pipeline("feed", s, s, t));
  test::Background run({"run", f}, dir_.path());
  // The slot is active for a moment while it is created too, and inactive again until
  // streaming starts on it: ask weir until the stream holds it.
  json streaming;
  ASSERT_TRUE(eventually([&] {
    if (!slot_active(s)) return false;
    streaming = status(f, "feed");
    return streaming["active"] == true;
  })) << run.err() << streaming.dump();
  EXPECT_TRUE(streaming["active_pid"].is_number_integer()) << streaming.dump();
  run.signal(SIGTERM);
  run.wait();
}

// ---- weir cdc drop ------------------------------------------------------------------------------

TEST_F(CdcAdminTest, DropRemovesThePipelinesSlotAndWeirsPublicationOnly) {
  std::string t = table("drop"), ours = slot("weir_ours"), theirs = slot("weir_theirs");
  std::string users_publication = own_publication("users_pub", t);
  std::string f = file(pipeline("ours", ours, ours, t) + pipeline("theirs", theirs, users_publication, t,
                                                                   "{ path: theirs.jsonl }") +
                       "  polled:\n    input:\n      sql_poll: { connection: pg, query: \"SELECT 1 AS x\" }\n"
                       "    output:\n      jsonl: { path: polled.jsonl }\n");
  ASSERT_EQ(weir({"run", "--once", f, "--pipeline", "ours", "--pipeline", "theirs"}).exit_code, 0);
  ASSERT_EQ(count("pg_replication_slots", "slot_name", ours), "1");
  ASSERT_EQ(count("pg_publication", "pubname", ours), "1");

  auto dropped = weir({"cdc", "drop", f, "--pipeline", "ours"});
  EXPECT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_NE(dropped.out.find(fmt::format("pipeline ours: dropped replication slot `{}` on connection `pg`", ours)),
            std::string::npos)
      << dropped.out;
  EXPECT_NE(dropped.out.find(fmt::format("pipeline ours: dropped publication `{}`\n", ours)), std::string::npos);
  EXPECT_EQ(count("pg_replication_slots", "slot_name", ours), "0");
  EXPECT_EQ(count("pg_publication", "pubname", ours), "0");
  EXPECT_EQ(count("pg_replication_slots", "slot_name", theirs), "1");  // the other pipeline's stays

  auto kept = weir({"cdc", "drop", f, "--pipeline", "theirs"});
  EXPECT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(count("pg_replication_slots", "slot_name", theirs), "0");
  EXPECT_EQ(count("pg_publication", "pubname", users_publication), "1");  // the user's own
  EXPECT_NE(kept.out.find(fmt::format("pipeline theirs: publication `{}` was not created by weir (it lacks weir's "
                                      "comment): kept",
                                      users_publication)),
            std::string::npos)
      << kept.out;

  auto again = weir({"cdc", "drop", f, "--pipeline", "ours"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find(fmt::format("pipeline ours: replication slot `{}` does not exist on", ours)),
            std::string::npos)
      << again.out;

  auto unknown = weir({"cdc", "drop", f, "--pipeline", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no pipeline named `nope`"), std::string::npos) << unknown.err;
  auto not_cdc = weir({"cdc", "drop", f, "--pipeline", "polled"});
  EXPECT_EQ(not_cdc.exit_code, 2);
  EXPECT_NE(not_cdc.err.find("pipeline `polled` has no postgres_cdc input"), std::string::npos) << not_cdc.err;
  EXPECT_EQ(weir({"cdc", "drop", f}).exit_code, 2);  // --pipeline is required
}

TEST_F(CdcAdminTest, DropRefusesWhileTheSlotIsReadNamingIt) {
  std::string t = table("busy"), s = slot("weir_busy");
  std::string f = file(pipeline("feed", s, s, t));
  test::Background run({"run", f}, dir_.path());
  ASSERT_TRUE(eventually([&] { return slot_active(s); }))
      << run.err();
  auto refused = weir({"cdc", "drop", f, "--pipeline", "feed"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find(fmt::format("replication slot `{}` on connection `pg`", s)), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("is active (read by process "), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("stop the pipeline reading it first; nothing was dropped"), std::string::npos);
  EXPECT_EQ(count("pg_replication_slots", "slot_name", s), "1");
  EXPECT_EQ(count("pg_publication", "pubname", s), "1");
  run.signal(SIGTERM);
  run.wait();
  ASSERT_TRUE(eventually([&] { return weir({"cdc", "drop", f, "--pipeline", "feed"}).exit_code == 0; }));
  EXPECT_EQ(count("pg_replication_slots", "slot_name", s), "0");
  EXPECT_EQ(count("pg_publication", "pubname", s), "0");
}

// ---- jsonl to standard output --------------------------------------------------------------------

TEST_F(CdcAdminTest, JsonlToStdoutGetsOnlyTheChangesTheSummaryGoesToStderr) {
  std::string t = table("stdout"), s = slot("weir_stdout");
  std::string f = file(pipeline("feed", s, s, t, "{ path: \"-\" }"));
  auto first = weir({"run", "--once", "--progress", "100ms", f});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "");
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'one'), (2, 'two')", t));
  db_->execute(fmt::format("UPDATE {} SET v = 'uno' WHERE id = 1", t));

  auto r = weir({"run", "--once", "--progress", "100ms", f});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  for (std::size_t at = 0, end; at < r.out.size(); at = end + 1) {
    end = r.out.find('\n', at);
    ASSERT_NE(end, std::string::npos) << "the last line is unfinished: " << r.out;
    lines.push_back(r.out.substr(at, end - at));
  }
  ASSERT_EQ(lines.size(), 3u) << r.out;
  std::vector<std::string> seen;
  for (const std::string& line : lines) {
    json change = json::parse(line);
    seen.push_back(change["op"].get<std::string>() + " " + change["after"].dump() + " " + change["before"].dump());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{R"(insert {"id":1,"v":"one"} null)", R"(insert {"id":2,"v":"two"} null)",
                                            R"(update {"id":1,"v":"uno"} {"id":1})"}));
  EXPECT_NE(r.err.find("pipeline feed: read 3 rows, wrote 3 rows"), std::string::npos) << r.err;
}

// ---- configurations refused with one line ---------------------------------------------------------

TEST_F(CdcAdminTest, ATableTheUsersPublicationDoesNotPublishIsNamedWithTheFix) {
  std::string t = table("covered"), missing = table("uncovered"), s = slot("weir_cover");
  std::string users_publication = own_publication("users_cover", t);
  std::string f = file(pipeline("feed", s, users_publication, missing));
  auto r = weir({"run", "--once", f});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(fmt::format("pipelines.feed.input.postgres_cdc.tables: table `public.{}` is not in publication "
                                   "`{}`, so its changes would never be sent: ALTER PUBLICATION \"{}\" ADD TABLE "
                                   "\"public\".\"{}\", or name another publication",
                                   missing, users_publication, users_publication, missing)),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count("pg_replication_slots", "slot_name", s), "0");  // stopped before making the slot
}

TEST_F(CdcAdminTest, AMariadbConnectionIsAConfigurationError) {
  const std::string canary = "canary_" + s_ + "_pw";
  std::string f = file(pipeline("feed", "weir_x", "weir_x", "t"),
                       "{ url: \"mysql://weir@127.0.0.1:3306/weir_test\", password: { env: CANARY_PW } }");
  auto r = weir({"run", "--once", f}, {"CANARY_PW=" + canary});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("pipelines.feed.input.postgres_cdc.connection: connection `pg` is a mysql:// database; "
                       "postgres_cdc reads PostgreSQL's logical replication and needs a postgres:// connection"),
            std::string::npos)
      << r.err;
  EXPECT_EQ((r.out + r.err).find(canary), std::string::npos);
}

// A second PostgreSQL 15, started by the test with wal_level = replica (the harness's runs with
// logical, and changing it would need a restart under every other test).
class ReplicaServer {
 public:
  ReplicaServer(const std::string& bin, const std::filesystem::path& dir) : bin_(bin), dir_(dir) {
    std::filesystem::create_directories(dir_);
    owner_ = geteuid() == 0 ? std::vector<std::string>{"runuser", "-u", "postgres", "--"} : std::vector<std::string>{};
    if (geteuid() == 0 && test::run_program({"chown", "postgres", dir_.string()}).exit_code != 0) return;
    auto init = as_owner({bin_ + "/initdb", "-D", (dir_ / "data").string(), "-A", "trust", "-U", "postgres", "--no-sync"});
    if (init.exit_code != 0) {
      why_ = "initdb failed: " + init.err;
      return;
    }
    std::mt19937 random(std::random_device{}());
    for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
      port_ = std::to_string(std::uniform_int_distribution<int>(20000, 60999)(random));
      auto start = as_owner({bin_ + "/pg_ctl", "-D", (dir_ / "data").string(), "-l", (dir_ / "log").string(), "-w",
                             "-o", fmt::format("-p {} -k {} -c listen_addresses=127.0.0.1 -c wal_level=replica", port_,
                                               dir_.string()),
                             "start"});
      running_ = start.exit_code == 0;
      if (!running_) why_ = "pg_ctl start failed: " + start.err + test::read_file((dir_ / "log").string());
    }
  }
  ~ReplicaServer() {
    if (running_) as_owner({bin_ + "/pg_ctl", "-D", (dir_ / "data").string(), "-m", "immediate", "-w", "stop"});
  }
  bool running() const { return running_; }
  const std::string& why() const { return why_; }
  const std::string& port() const { return port_; }

 private:
  test::CommandResult as_owner(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), owner_.begin(), owner_.end());
    return test::run_program(argv, "/");
  }
  std::string bin_;
  std::filesystem::path dir_;
  std::vector<std::string> owner_;
  std::string port_, why_;
  bool running_ = false;
};

TEST_F(CdcAdminTest, AServerWithoutLogicalWalIsToldToSetWalLevel) {
  const char* bin = std::getenv("WEIR_TEST_PG_BIN");
  if (!bin) GTEST_SKIP() << "needs WEIR_TEST_PG_BIN (the harness's PostgreSQL binaries) to start a second server";
  ReplicaServer server(bin, dir_.path() / "replica");
  if (!server.running()) GTEST_SKIP() << "could not start a second PostgreSQL: " << server.why();
  const std::string canary = "canary_" + s_ + "_pw";
  std::string f = file(pipeline("feed", "weir_x", "weir_x", "t"),
                       fmt::format("{{ url: \"postgres://postgres@127.0.0.1:{}/postgres\", password: {{ env: CANARY_PW }} }}",
                                   server.port()));
  auto r = weir({"run", "--once", f}, {"CANARY_PW=" + canary});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(fmt::format("connection `pg` (postgres://postgres:***@127.0.0.1:{}/postgres) runs with "
                                   "wal_level = replica; change data capture needs wal_level = logical (set it in "
                                   "postgresql.conf and restart the server)",
                                   server.port())),
            std::string::npos)
      << r.err;
  EXPECT_EQ((r.out + r.err).find(canary), std::string::npos);
}

}  // namespace
}  // namespace weir
