// Sessions creating weir's own tables at the same moment (pipelines starting together on a new
// state store, a sync's writers): every one of them goes on. PostgreSQL answers the loser of a
// race between two CREATE TABLE IF NOT EXISTS with a unique violation in its catalog
// (pg_type_typname_nsp_index), which db::create_if_missing takes for "made meanwhile".
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <string>
#include <thread>
#include <vector>

#include "db/common/sql_writer.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

class ConcurrentCreate : public ::testing::TestWithParam<const char*> {};

TEST_P(ConcurrentCreate, EverySessionCreatingOneTableAtOnceGoesOn) {
  auto url = test::server_url(GetParam());
  if (!url) GTEST_SKIP() << "no server in " << GetParam();
  db::ConnectionConfig config;
  config.url = Url::parse(*url);
  constexpr int kSessions = 4;
  constexpr int kRounds = 15;
  std::vector<std::unique_ptr<db::Connection>> sessions;
  for (int i = 0; i < kSessions; ++i) sessions.push_back(db::connect(config));
  const std::string table = "race_" + test::unique_suffix();
  const std::string quoted = sessions[0]->dialect().quote_identifier(table);
  const std::string create = fmt::format("CREATE TABLE IF NOT EXISTS {} (id BIGINT NOT NULL PRIMARY KEY)", quoted);
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex failure_mutex;
  for (int round = 0; round < kRounds; ++round) {
    sessions[0]->execute("DROP TABLE IF EXISTS " + quoted);
    std::barrier start(kSessions);
    std::vector<std::jthread> threads;
    for (int i = 0; i < kSessions; ++i)
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        try {
          db::create_if_missing(*sessions[i], create);
        } catch (const Error& e) {
          std::lock_guard lock(failure_mutex);
          if (failures++ == 0) first_failure = e.what();
        }
      });
  }
  EXPECT_EQ(failures.load(), 0) << first_failure;
  sessions[0]->execute(fmt::format("INSERT INTO {} VALUES (1)", quoted));
  sessions[0]->execute("DROP TABLE " + quoted);
}

INSTANTIATE_TEST_SUITE_P(Servers, ConcurrentCreate, ::testing::Values("WEIR_TEST_PG_URL", "WEIR_TEST_MYSQL_URL"),
                         [](const auto& info) {
                           return std::string(info.param) == "WEIR_TEST_PG_URL" ? "Postgres" : "Mariadb";
                         });

}  // namespace
}  // namespace weir
