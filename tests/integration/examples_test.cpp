// Every file in examples/ runs as its comments say, from a fresh copy: with no server, except
// cdc.yaml, which reads the harness's PostgreSQL (its own test below).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "support/test_support.hpp"

namespace weir {
namespace {

namespace fs = std::filesystem;
using test::run_weir;

class Examples : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(fs::path(WEIR_SOURCE_DIR) / "examples", dir_.path(), fs::copy_options::recursive);
    for (const auto& entry : fs::directory_iterator(dir_.path() / "data"))
      if (entry.path().extension() == ".db") fs::remove(entry.path());
    fs::remove_all(dir_.path() / ".weir");
  }
  std::string scalar(const std::string& db, const std::string& sql) {
    auto r = run_weir({"query", "sqlite:" + dir_.file(db), sql, "-f", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string line = r.out.substr(r.out.find('\n') + 1);
    return line.substr(0, line.find_first_of("\r\n"));
  }
  test::TempDir dir_;
};

TEST_F(Examples, EveryExampleValidatesAgainstItsDatabasesAndRunsOnce) {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    if (entry.path().extension() != ".yaml" || entry.path().filename() == "cdc.yaml") continue;
    ++seen;
    auto r = run_weir({"run", "--once", "--progress", "0s", entry.path().string()});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << ": " << r.err;
    r = run_weir({"validate", "--check-sql", entry.path().string()});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << ": " << r.err;
  }
  EXPECT_GE(seen, 2);
}

TEST_F(Examples, IncrementalDeliversEachInvoiceOnceAndSetsAsideTheRejected) {
  auto r = run_weir({"run", "--once", dir_.file("incremental.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read 412 rows, wrote 408 rows, 4 to dead letters"), std::string::npos) << r.out;
  r = run_weir({"run", "--once", dir_.file("incremental.yaml")});
  EXPECT_NE(r.out.find("read 0 rows, wrote 0 rows"), std::string::npos) << r.out;
  EXPECT_EQ(scalar("data/invoices.db", "SELECT count(*) FROM invoices"), "408");
  EXPECT_EQ(scalar("data/invoices.db", "SELECT count(*) || ' ' || min(error_kind) FROM invoices_rejected"),
            "4 check");
  EXPECT_EQ(scalar("data/invoices.db", "SELECT count(*) FROM invoices_rejected WHERE record LIKE '%\"total\":\"2%'"),
            "4");
  EXPECT_NE(scalar("data/invoices.db", "SELECT position FROM weir_state WHERE pipeline = 'incremental.yaml#invoices'")
                .find("412"),
            std::string::npos)
      << "the checkpoint lives in the warehouse, committed with the rows";
}

TEST_F(Examples, EnrichLooksUpCustomersAndTheirAgents) {
  auto r = run_weir({"run", "--once", dir_.file("enrich.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read 412 rows, wrote 412 rows"), std::string::npos) << r.out;
  EXPECT_EQ(scalar("data/warehouse.db",
                   "SELECT customer || '|' || country || '|' || json_extract(agent, '$.last_name') "
                   "FROM invoices_enriched WHERE invoice_id = 1"),
            "Leonie Köhler|Germany|Johnson");
  // The same join done by SQLite itself agrees on every invoice.
  auto joined = test::run_program({"sqlite3", "data/warehouse.db",
                   "ATTACH 'data/chinook.db' AS store; "
                   "SELECT count(*) FROM invoices_enriched e JOIN store.Invoice i ON i.InvoiceId = e.invoice_id "
                   "JOIN store.Customer c ON c.CustomerId = i.CustomerId JOIN store.Employee m "
                   "ON m.EmployeeId = c.SupportRepId WHERE e.customer = c.FirstName || ' ' || c.LastName "
                   "AND json_extract(e.agent, '$.email') = m.Email"},
                                  dir_.path().string());
  EXPECT_EQ(joined.out, "412\n") << joined.err;
}

TEST_F(Examples, CdcMirrorsTheChangesOfAPostgresTableAndWritesThemAsJsonLines) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  const std::vector<std::string> env{"WEIR_CDC_URL=" + *url};
  auto weir = [&](const std::vector<std::string>& args) {
    auto r = run_weir(args, dir_.path().string(), env);
    EXPECT_EQ(r.exit_code, 0) << fmt::format("{}", fmt::join(args, " ")) << ": " << r.err;
    return r;
  };
  // As the comments at the top of the file say.
  weir({"query", *url, "--file", dir_.file("data/cdc_source.sql")});
  weir({"run", "--once", dir_.file("cdc.yaml")});
  weir({"query", *url, "--file", dir_.file("data/cdc_changes.sql")});
  auto r = weir({"run", "--once", dir_.file("cdc.yaml")});
  EXPECT_NE(r.out.find("pipeline mirror: read 6 rows, wrote 6 rows"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pipeline feed: read 6 rows, wrote 6 rows"), std::string::npos) << r.out;
  EXPECT_EQ(scalar("data/cdc_mirror.db", "SELECT group_concat(id || ' ' || customer || ' ' || total, '; ') FROM "
                                         "(SELECT * FROM orders ORDER BY id)"),
            "1 Leonie 13.75; 3 Bjørn 99.99; 4 Helena 0.10; 9 Aiko 5.05");
  std::string changes = test::read_file(dir_.file("data/cdc_changes.jsonl"));
  EXPECT_EQ(std::count(changes.begin(), changes.end(), '\n'), 6) << changes;
  EXPECT_NE(changes.find(R"({"op":"update","before":{"id":1},"after":{"id":1,"customer":"Leonie","total":"13.75",)"),
            std::string::npos)
      << changes;
  EXPECT_NE(weir({"cdc", "status", dir_.file("cdc.yaml")}).out.find("weir_example_feed"), std::string::npos);
  weir({"validate", "--check-sql", dir_.file("cdc.yaml")});
  auto dropped = weir({"cdc", "drop", dir_.file("cdc.yaml"), "--pipeline", "mirror", "--pipeline", "feed"});
  EXPECT_NE(dropped.out.find("pipeline feed: dropped publication `weir_example_feed`"), std::string::npos)
      << dropped.out;
  weir({"query", *url, "DROP TABLE cdc_orders"});
}

}  // namespace
}  // namespace weir
