// "Streaming cursor (constant memory on a 10M-row table)": a 10,000,000-row SQLite table read
// through weir's cursor in batches of 1000 into one reused Batch, with resident memory
// measured from the first batch to the last.
//
// SQLite's own page cache and memory map are bounded by configuration, not by the table, but
// they count towards resident memory (the driver's defaults allow 64 MiB of cache and 256 MiB
// of map, about the size of this table's file). So the 32 MB bound is checked with both pinned
// small — then only weir's cursor could make memory grow — and a second test checks that with
// the defaults growth stays within what they allow.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "support/test_support.hpp"
#include "weir/batch.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kRows = 10'000'000;
constexpr std::size_t kBatchRows = 1000;
constexpr std::size_t kMaxGrowth = 32u << 20;  // bytes of resident memory

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

db::ConnectionConfig sqlite(const std::string& path, const std::string& options) {
  return db::ConnectionConfig{.name = "big", .url = Url::parse("sqlite:" + path + options), .init_script = {}};
}

std::int64_t pragma(db::Connection& c, const char* name) {
  auto cursor = c.query(fmt::format("PRAGMA {}", name));
  Batch batch;
  if (!cursor->next(batch, 1)) return 0;
  return batch.at(0, 0).as_int();
}

struct StreamResult {
  std::int64_t rows = 0;
  std::int64_t id_sum = 0;
  std::int64_t first_out_of_order = 0;  // the first id that was not the previous + 1; 0: none
  std::size_t oversized_batches = 0;
  std::size_t calls = 0;
  std::size_t rss_after_first = 0;
  std::size_t rss_peak = 0;
  double seconds = 0;
  bool ended_cleanly = false;  // the final next() left the batch empty and stays false

  std::size_t growth() const { return rss_peak > rss_after_first ? rss_peak - rss_after_first : 0; }
};

// Streams the whole table through one reused Batch, spot-checking the other columns.
StreamResult stream(db::Connection& reader) {
  StreamResult s;
  const auto start = Clock::now();
  auto cursor = reader.query("SELECT id, name, amount FROM big ORDER BY id");
  EXPECT_EQ(cursor->schema()->size(), 3u);
  Batch batch;  // reused for every call: the cursor refills its cells in place
  std::int64_t next_id = 1;
  std::string expected_name;
  while (cursor->next(batch, kBatchRows)) {
    ++s.calls;
    if (batch.rows() > kBatchRows) ++s.oversized_batches;
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      const std::int64_t id = batch.at(r, 0).as_int();
      if (id != next_id && s.first_out_of_order == 0) s.first_out_of_order = id;
      next_id = id + 1;
      s.id_sum += id;
      if (id % 1'000'000 == 1) {
        expected_name = fmt::format("name-{}", id);
        EXPECT_EQ(batch.at(r, 1).as_text(), expected_name);
        EXPECT_EQ(batch.at(r, 2).as_double(), static_cast<double>(id) * 0.25);
      }
    }
    s.rows += static_cast<std::int64_t>(batch.rows());
    if (s.calls == 1) s.rss_after_first = s.rss_peak = test::resident_bytes();
    else if (s.calls % 500 == 0) s.rss_peak = std::max(s.rss_peak, test::resident_bytes());
  }
  s.rss_peak = std::max(s.rss_peak, test::resident_bytes());
  s.ended_cleanly = batch.empty() && !cursor->next(batch, kBatchRows);
  s.seconds = seconds_since(start);
  return s;
}

void expect_complete(const StreamResult& s) {
  EXPECT_EQ(s.rows, kRows);
  EXPECT_EQ(s.id_sum, kRows * (kRows + 1) / 2);
  EXPECT_EQ(s.first_out_of_order, 0) << "rows arrive in id order";
  EXPECT_EQ(s.oversized_batches, 0u) << "no batch holds more than " << kBatchRows << " rows";
  EXPECT_EQ(s.calls, static_cast<std::size_t>(kRows) / kBatchRows);
  EXPECT_TRUE(s.ended_cleanly) << "the final next() returns false with an empty batch, and stays false";
}

std::string describe(const StreamResult& s) {
  return fmt::format("streamed {} rows in {:.1f} s ({:.1f} M rows/s); RSS after the first batch {} MiB, peak {} MiB "
                     "(growth {} KiB)",
                     s.rows, s.seconds, static_cast<double>(s.rows) / s.seconds / 1e6, s.rss_after_first >> 20,
                     s.rss_peak >> 20, s.growth() >> 10);
}

class SqliteStreaming : public ::testing::Test {
 protected:
  // The 10M-row file is made once for the suite: one INSERT … SELECT from a recursive CTE,
  // so the rows never pass through weir; no journal and no fsync, it is only a fixture.
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    path_ = dir_->file("big.db");
    const auto start = Clock::now();
    auto writer = db::connect(sqlite(path_, "?journal_mode=off&synchronous=off"));
    writer->execute("CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, amount REAL)");
    inserted_ = writer->execute(fmt::format(
        "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {}) "
        "INSERT INTO big (id, name, amount) SELECT x, 'name-' || x, x * 0.25 FROM seq",
        kRows));
    std::cout << fmt::format("[ STREAMING] created {} rows in {:.1f} s", inserted_, seconds_since(start)) << std::endl;
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override { ASSERT_EQ(inserted_, static_cast<std::uint64_t>(kRows)) << "the fixture table is incomplete"; }

  static std::unique_ptr<test::TempDir> dir_;
  static std::string path_;
  static std::uint64_t inserted_;
};

std::unique_ptr<test::TempDir> SqliteStreaming::dir_;
std::string SqliteStreaming::path_;
std::uint64_t SqliteStreaming::inserted_ = 0;

TEST_F(SqliteStreaming, TenMillionRowsStreamInConstantMemory) {
  auto reader = db::connect(sqlite(path_, "?mode=ro"));
  reader->execute("PRAGMA cache_size = -2000");  // SQLite's own default: 2 MiB
  reader->execute("PRAGMA mmap_size = 0");
  ASSERT_EQ(pragma(*reader, "mmap_size"), 0);

  StreamResult s = stream(*reader);
  expect_complete(s);
  EXPECT_LT(s.growth(), kMaxGrowth) << "resident memory grew by " << (s.growth() >> 20) << " MiB: " << describe(s);
  std::cout << "[ STREAMING] caches pinned: " << describe(s) << std::endl;
  RecordProperty("stream_seconds", fmt::format("{:.2f}", s.seconds));
  RecordProperty("rss_growth_bytes", std::to_string(s.growth()));
}

TEST_F(SqliteStreaming, DefaultCachesBoundResidentMemory) {
  auto reader = db::connect(sqlite(path_, "?mode=ro"));
  const std::int64_t cache_kib = -pragma(*reader, "cache_size");  // negative: KiB
  const std::int64_t mmap_bytes = pragma(*reader, "mmap_size");
  const std::size_t allowed = kMaxGrowth + static_cast<std::size_t>(std::max<std::int64_t>(cache_kib, 0) << 10) +
                              static_cast<std::size_t>(mmap_bytes);

  StreamResult s = stream(*reader);
  expect_complete(s);
  EXPECT_LT(s.growth(), allowed) << "cache " << cache_kib << " KiB + map " << (mmap_bytes >> 20) << " MiB + 32 MiB; "
                                 << describe(s);
  std::cout << fmt::format("[ STREAMING] driver defaults (cache {} MiB, mmap {} MiB): ", cache_kib >> 10,
                           mmap_bytes >> 20)
            << describe(s) << std::endl;
}

}  // namespace
}  // namespace weir
