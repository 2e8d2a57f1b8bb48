// Conformance: ping, cancel, execute's row counts, scripts; and checks of the contexts
// themselves (well formed, skip lists naming real tests).
#include <atomic>
#include <cctype>
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "conformance/conformance_test.hpp"
#include "support/test_support.hpp"

namespace weir::conformance {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

WEIR_CONFORMANCE_SUITE(ConformanceConnection);

TEST_P(ConformanceConnection, Ping) {
  EXPECT_NO_THROW(conn().ping());
  EXPECT_NO_THROW(conn().ping());
}

TEST_P(ConformanceConnection, CancelInterruptsALongQuery) {
  if (!ctx().caps.can_cancel) GTEST_SKIP() << ctx().name << " cannot cancel (capability can_cancel=false)";
  std::atomic<bool> done{false};
  std::optional<Error> error;
  std::string other_exception;
  Clock::time_point finished_at;
  std::thread worker([&] {
    try {
      auto cursor = conn().query(ctx().long_running_query);
      Batch batch;
      while (cursor->next(batch, 100)) {
      }
    } catch (const Error& e) {
      error = e;
    } catch (const std::exception& e) {
      other_exception = e.what();
    }
    finished_at = Clock::now();
    done = true;
  });
  std::this_thread::sleep_for(300ms);  // let the statement start
  const bool ended_early = done;  // no ASSERT before join(): the thread must be joined
  const auto first_cancel = Clock::now();
  // Repeated, in case the first call raced the statement's start; bounded either way.
  while (!done && Clock::now() - first_cancel < 10s) {
    conn().cancel();
    std::this_thread::sleep_for(20ms);
  }
  worker.join();  // if cancel() never worked, this waits for the query to finish on its own
  EXPECT_FALSE(ended_early) << "the long query ended by itself within 300 ms";
  EXPECT_LT(finished_at - first_cancel, 5s) << "cancel() took effect within a few seconds";
  EXPECT_TRUE(other_exception.empty()) << other_exception;
  ASSERT_TRUE(error) << "the cancelled query finished without an error";
  EXPECT_EQ(error->kind(), ErrorKind::cancelled) << error->what();
  // The connection is usable afterwards.
  EXPECT_NO_THROW(conn().ping());
  EXPECT_EQ(scalar("SELECT 1"), Value(1));
}

TEST_P(ConformanceConnection, CancelWhileIdleDoesNotAffectTheNextStatement) {
  conn().cancel();
  EXPECT_EQ(scalar("SELECT 1"), Value(1));
  conn().cancel();
  std::string t = create_table("idle", q("id") + " INTEGER");
  EXPECT_EQ(conn().execute(fmt::format("INSERT INTO {} VALUES (1)", q(t))), 1u);
}

TEST_P(ConformanceConnection, ExecuteReturnsRowCounts) {
  std::string t = create_table("cnt", q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("qty") + " INTEGER");
  EXPECT_EQ(conn().execute(fmt::format("INSERT INTO {} ({}, {}) VALUES (1, 0), (2, 0), (3, 0)", q(t), q("id"), q("qty"))),
            3u);
  EXPECT_EQ(conn().execute(fmt::format("UPDATE {} SET {} = {} + 1 WHERE {} >= 2", q(t), q("qty"), q("qty"), q("id"))),
            2u);
  EXPECT_EQ(conn().execute(fmt::format("UPDATE {} SET {} = 5 WHERE {} > 100", q(t), q("qty"), q("id"))), 0u);
  EXPECT_EQ(conn().execute(fmt::format("DELETE FROM {} WHERE {} = {}", q(t), q("id"), p(1)), std::vector{Value(1)}), 1u);
  EXPECT_EQ(conn().execute(fmt::format("DELETE FROM {}", q(t))), 2u);
}

TEST_P(ConformanceConnection, ExecuteOfDdlReportsZeroRows) {
  std::string t = create_table("ddl", q("id") + " INTEGER");
  ASSERT_EQ(conn().execute(fmt::format("INSERT INTO {} VALUES (1), (2), (3)", q(t))), 3u);
  std::string other = ctx().unique_table_name("ddl2");
  drop_later(other);
  EXPECT_EQ(conn().execute(fmt::format("CREATE TABLE {} ({} INTEGER)", q(other), q("id"))), 0u)
      << "CREATE TABLE changes no rows";
  EXPECT_EQ(conn().execute("DROP TABLE " + q(other)), 0u) << "DROP TABLE changes no rows";
}

TEST_P(ConformanceConnection, ExecuteScriptRunsEveryStatement) {
  std::string t = ctx().unique_table_name("script");
  drop_later(t);
  conn().execute_script(fmt::format(
      "CREATE TABLE {0} ({1} INTEGER NOT NULL PRIMARY KEY, {2} VARCHAR(20));\n"
      "INSERT INTO {0} ({1}, {2}) VALUES (1, 'a; b');\n"
      "-- a comment; with a semicolon\n"
      "INSERT INTO {0} ({1}, {2}) VALUES (2, 'c');\n",
      q(t), q("id"), q("name")));
  EXPECT_EQ(count_rows(t), 2);
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {} WHERE {} = 1", q("name"), q(t), q("id"))), Value("a; b"));
}

TEST_P(ConformanceConnection, FailingScriptStopsAtTheError) {
  std::string t = create_table("script", q("id") + " INTEGER NOT NULL PRIMARY KEY");
  auto e = error_from([&] {
    conn().execute_script(fmt::format("INSERT INTO {0} VALUES (1); INSERT INTO {0} VALUES (1); INSERT INTO {0} VALUES (3);",
                                      q(t)));
  });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::unique) << e->what();
  EXPECT_EQ(scalar(fmt::format("SELECT COUNT(*) FROM {} WHERE {} = 3", q(t), q("id"))), Value(0))
      << "statements after the failing one do not run";
}

// ----- the contexts themselves --------------------------------------------------------------

TEST(Conformance, ContextsAreWellFormed) {
  std::set<std::string> names;
  for (const DriverContext& c : all_contexts()) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate context name";
    EXPECT_FALSE(c.name.empty());
    for (char ch : c.name) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') << c.name;
    ASSERT_TRUE(c.make_config);
    EXPECT_FALSE(c.supported_types.empty());
    std::set<Type> types(c.supported_types.begin(), c.supported_types.end());
    EXPECT_EQ(types.size(), c.supported_types.size()) << "a type listed twice";
    EXPECT_FALSE(types.count(Type::null)) << "null is not a storable type";
    for (const char* scenario : {"unique", "not_null", "foreign_key", "check", "unknown_table", "unknown_column",
                                 "unknown_target_column", "bad_sql"})
      EXPECT_FALSE(c.server_text.count(scenario) == 0 || c.server_text.at(scenario).empty()) << scenario;
    if (c.caps.can_cancel) {
      EXPECT_FALSE(c.long_running_query.empty());
    }
    EXPECT_FALSE(c.default_schema.empty());
    for (const auto& [test, reason] : c.skip) EXPECT_FALSE(reason.empty()) << test << " is skipped without a reason";
    auto connection = c.connect();
    EXPECT_NO_THROW(connection->ping());
    EXPECT_NE(c.unique_table_name(), c.unique_table_name());
  }
  EXPECT_FALSE(all_contexts().empty());
}

// A server context whose URL is unset does not run at all: outside CI that is a skip naming
// the contexts; under CI=true (where the harness must provide every server) a failure.
TEST(Conformance, EveryContextIsPresent) {
  std::string absent;
  for (const AbsentContext& a : absent_contexts())
    absent += fmt::format("{}{} ({})", absent.empty() ? "" : ", ", a.name, a.reason);
  if (absent.empty()) return;
  if (test::running_under_ci()) FAIL() << "conformance contexts absent under CI=true: " << absent;
  GTEST_SKIP() << "conformance contexts absent: " << absent << "; run through tests/harness/with-servers.sh";
}

TEST(Conformance, SkipListsNameTests) {
  std::set<std::string> tests;
  const auto& unit = *::testing::UnitTest::GetInstance();
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const auto& suite = *unit.GetTestSuite(s);
    std::string suite_name = suite.name();
    suite_name = suite_name.substr(suite_name.find('/') + 1);
    for (int i = 0; i < suite.total_test_count(); ++i) {
      std::string test = suite.GetTestInfo(i)->name();
      tests.insert(suite_name + "." + test.substr(0, test.find('/')));
    }
  }
  for (const DriverContext& c : all_contexts())
    for (const auto& [test, reason] : c.skip)
      EXPECT_TRUE(tests.count(test)) << c.name << " skips `" << test << "`, which is no test (renamed?)";
}

}  // namespace
}  // namespace weir::conformance
