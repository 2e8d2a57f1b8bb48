// Unchanged TOASTed values end to end: PostgreSQL rows holding a 1 MB text and a 1 MB jsonb,
// then UPDATEs of only an integer column under REPLICA IDENTITY DEFAULT, FULL and USING INDEX.
// PostgreSQL does not send the large values again; postgres_cdc → sql_apply must leave them as
// they are in a PostgreSQL, MariaDB and SQLite target (never NULL, never a placeholder), and
// postgres_cdc → jsonl must list them in "unchanged".
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/replication_slots.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using nlohmann::json;

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file in the test's directory
  const char* columns;       // the target table's columns
};

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

const Target kSqlite{"Sqlite", nullptr, "id bigint PRIMARY KEY, n integer, big text, doc text"};
const Target kPostgres{"Postgres", "WEIR_TEST_PG_URL", "id bigint PRIMARY KEY, n integer, big text, doc jsonb"};
const Target kMariadb{"Mariadb", "WEIR_TEST_MYSQL_URL", "id bigint PRIMARY KEY, n int, big longtext, doc longtext"};

// The replica identities tested, one source table each.
const std::vector<std::string> kIdentities{"default", "full", "index"};

class CdcToast : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(source_url, "WEIR_TEST_PG_URL");
    db::ConnectionConfig config;
    config.url = Url::parse(*source_url);
    source_ = db::connect(config);
    auto opened = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!opened) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    target_ = std::move(opened->connection);
    target_yaml_ = opened->yaml_url;
    s_ = test::unique_suffix();
    for (const std::string& identity : kIdentities) {
      std::string src = fmt::format("toast_{}_{}", identity, s_), dst = fmt::format("dst_{}_{}", identity, s_);
      sources_.push_back(src);
      targets_.push_back(dst);
      // The key of USING INDEX is a unique index, not a primary key.
      source_->execute(fmt::format("CREATE TABLE {} (id bigint {}, n integer, big text, doc jsonb)", src,
                                   identity == "index" ? "NOT NULL" : "PRIMARY KEY"));
      if (identity == "full") source_->execute(fmt::format("ALTER TABLE {} REPLICA IDENTITY FULL", src));
      if (identity == "index") {
        source_->execute(fmt::format("CREATE UNIQUE INDEX {0}_id ON {0} (id)", src));
        source_->execute(fmt::format("ALTER TABLE {0} REPLICA IDENTITY USING INDEX {0}_id", src));
      }
      target_->execute(fmt::format("CREATE TABLE {} ({})", dst, GetParam().columns));
    }
    publication_ = "toast_pub_" + s_;
    source_->execute(fmt::format("CREATE PUBLICATION {} FOR TABLE {}, {}, {}", publication_, sources_[0], sources_[1],
                                 sources_[2]));
  }

  void TearDown() override {
    if (!source_) return;
    for (const std::string& slot : {"toast_apply_" + s_, "toast_jsonl_" + s_})
      test::drop_replication_slot(*source_, slot);
    source_->execute("DROP PUBLICATION IF EXISTS " + publication_);
    for (const std::string& t : sources_) source_->execute("DROP TABLE IF EXISTS " + t);
    if (target_)
      for (const std::string& t : targets_) target_->execute("DROP TABLE IF EXISTS " + t);
  }

  // Two pipelines reading the same publication through slots of their own: one applies the
  // changes to the target, the other writes them as jsonl.
  std::string file() {
    std::string tables, map;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      tables += fmt::format("{}public.{}", i ? ", " : "", sources_[i]);
      map += fmt::format("{}public.{}: {}", i ? ", " : "", sources_[i], targets_[i]);
    }
    // A file name of this run's own: the checkpoint kept in the target is keyed by it, and a
    // server reused by an earlier run of this test holds that run's.
    std::string path = dir_.file(fmt::format("toast_{}.yaml", s_));
    test::write_file(
        path, fmt::format("connections:\n  pg: \"${{WEIR_TEST_PG_URL}}\"\n  dst: {}\npipelines:\n"
                          "  apply:\n    input:\n      postgres_cdc: {{ connection: pg, slot: toast_apply_{}, "
                          "publication: {}, tables: [{}] }}\n"
                          "    output:\n      sql_apply: {{ connection: dst, tables: {{ {} }} }}\n"
                          "    state: {{ connection: dst }}\n"
                          "  changes:\n    input:\n      postgres_cdc: {{ connection: pg, slot: toast_jsonl_{}, "
                          "publication: {}, tables: [{}] }}\n"
                          "    output:\n      jsonl: {{ path: changes.jsonl }}\n",
                          target_yaml_, s_, publication_, tables, map, s_, publication_, tables));
    return path;
  }
  void run_once(const std::string& path) {
    auto r = test::run_weir({"run", "--once", path}, dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string target_value(std::size_t table, const std::string& column) {
    return test::scalar(*target_, fmt::format("SELECT {} FROM {} WHERE id = 1", column, targets_[table]));
  }

  test::TempDir dir_;
  std::unique_ptr<db::Connection> source_, target_;
  std::string target_yaml_, s_, publication_;
  std::vector<std::string> sources_, targets_;
};

TEST_P(CdcToast, UpdatesOfAnotherColumnKeepTheLargeValuesByteForByte) {
  std::string path = file();
  ASSERT_NO_FATAL_FAILURE(run_once(path));  // creates the slots
  for (const std::string& t : sources_)
    source_->execute_script(fmt::format(
        "INSERT INTO {0} SELECT 1, 0, string_agg(md5(i::text), ''), jsonb_build_object('k', string_agg(md5((-i)::text), ''), "
        "'n', 1.50, 'a', jsonb_build_array(1, 'é')) FROM generate_series(1, 32768) i;"
        "INSERT INTO {0} VALUES (2, 0, 'small', '{{\"s\": 1}}')",
        t));
  // The values are stored out of line, in the table's TOAST relation, not in the updated row.
  for (const std::string& t : sources_)
    EXPECT_EQ(test::scalar(*source_, fmt::format("SELECT pg_relation_size(reltoastrelid) > 2000000 FROM pg_class "
                                                 "WHERE oid = '{}'::regclass",
                                                 t)),
              "true")
        << t;
  ASSERT_NO_FATAL_FAILURE(run_once(path));
  const std::string big = test::scalar(*source_, fmt::format("SELECT big FROM {} WHERE id = 1", sources_[0]));
  ASSERT_EQ(big.size(), 1048576u);
  std::vector<std::string> docs;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    ASSERT_TRUE(target_value(i, "big") == big) << targets_[i] << ": the inserted value differs";
    docs.push_back(target_value(i, "doc"));
    EXPECT_GT(docs.back().size(), 1'000'000u) << targets_[i];
    EXPECT_EQ(json::parse(docs.back())["k"].get<std::string>().size(), 1048576u) << targets_[i];
  }

  for (const std::string& t : sources_) {
    source_->execute(fmt::format("UPDATE {} SET n = n + 1 WHERE id = 1", t));
    source_->execute(fmt::format("UPDATE {} SET n = n + 1", t));  // with the small row, in one transaction
  }
  ASSERT_NO_FATAL_FAILURE(run_once(path));
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    SCOPED_TRACE(kIdentities[i]);
    EXPECT_EQ(target_value(i, "n"), "2");
    EXPECT_TRUE(target_value(i, "big") == big) << targets_[i] << ": the unchanged text was rewritten";
    EXPECT_TRUE(target_value(i, "doc") == docs[i]) << targets_[i] << ": the unchanged jsonb was rewritten";
    EXPECT_EQ(test::scalar(*target_, fmt::format("SELECT n FROM {} WHERE id = 2", targets_[i])), "1");
  }

  // jsonl: every update of row 1 names the two values it did not get.
  std::istringstream lines(test::read_file(dir_.file("changes.jsonl")));
  std::map<std::string, std::vector<std::string>> updates;  // table → "unchanged | after's keys" of row 1
  for (std::string line; std::getline(lines, line);) {
    json change = json::parse(line);
    if (change["op"] != "update" || change["after"]["id"] != 1) continue;
    std::string keys;
    for (auto& [key, value] : change["after"].items()) keys += key + " ";
    updates[change["source"]["table"]].push_back(change["unchanged"].dump() + " | " + keys);
  }
  for (const std::string& t : sources_)
    EXPECT_EQ(updates[t], (std::vector<std::string>{R"(["big","doc"] | id n )", R"(["big","doc"] | id n )"})) << t;
}

INSTANTIATE_TEST_SUITE_P(Targets, CdcToast, ::testing::Values(kSqlite, kPostgres, kMariadb),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
