// A filter's dead letters commit with the batch of the records they came from — not with
// whichever batch the output happens to commit while the filter is already working ahead.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "pipeline/runner.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::pipeline {
namespace {

// Set once; waited for with a deadline, so a broken run fails instead of hanging.
class Latch {
 public:
  void set() {
    std::lock_guard lock(mutex_);
    set_ = true;
    changed_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool set_ = false;
};

// Passes records on, giving up on the one with id 7 (in the second page of five).
class GiveUpOnSeven final : public Filter {
 public:
  explicit GiveUpOnSeven(Latch& done) : done_(&done) {}
  void open(const RunOptions&) override {}
  void process(const Batch& in, Batch& out, DeadLetterSink& dead) override {
    out.reset(in.schema_ptr());
    bool gave_up = false;
    for (std::size_t r = 0; r < in.rows(); ++r) {
      if (in.at(r, 0).as_int() == 7) {
        dead.add({"pipelines.p.filters[0]", ErrorKind::data, "seven", R"({"id":7})"});
        gave_up = true;
      } else {
        out.append_row(in.row(r));
      }
    }
    if (gave_up) done_->set();
  }

 private:
  Latch* done_;
};

// The pipeline's own output, holding the first batch back until the filter gave up on id 7,
// then noting how many letters the target held once that batch committed.
class HoldingOutput final : public Output {
 public:
  HoldingOutput(std::unique_ptr<Output> inner, Latch& filtered_ahead, std::function<std::string()> letters)
      : inner_(std::move(inner)), filtered_ahead_(&filtered_ahead), letters_(std::move(letters)) {}
  void open(const RunOptions& options, CommitHooks& hooks, DeadLetterSink& dead,
            std::function<void(std::unique_ptr<Batch>)> recycle) override {
    inner_->open(options, hooks, dead, std::move(recycle));
  }
  void write(Chunk chunk) override {
    bool first = !chunk.batch->empty() && chunk.batch->at(0, 0).as_int() == 1;
    if (first) {
      EXPECT_TRUE(filtered_ahead_->wait()) << "the filter never reached id 7";
    }
    inner_->write(std::move(chunk));
    if (first) letters_after_first_ = letters_();
  }
  void flush_if_due() override { inner_->flush_if_due(); }
  void flush() override { inner_->flush(); }
  db::WriteCounts write_counts() const override { return inner_->write_counts(); }
  std::uint64_t rows_rejected() const noexcept override { return inner_->rows_rejected(); }

  std::string letters_after_first_;

 private:
  std::unique_ptr<Output> inner_;
  Latch* filtered_ahead_;
  std::function<std::string()> letters_;
};

TEST(DeadLetterBatches, AFiltersLetterCommitsWithItsOwnBatchNotTheOneCommittingMeanwhile) {
  test::TempDir dir;
  auto open = [&](const std::string& file) { return test::open_sqlite(dir.file(file)); };
  open("src.db")->execute_script(
      "CREATE TABLE orders(id INTEGER PRIMARY KEY);"
      "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 12) INSERT INTO orders SELECT x FROM s;");
  test::write_file(dir.file("p.yaml"), R"(connections: { src: "sqlite:src.db", dst: "sqlite:dst.db" }
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT id FROM orders ORDER BY id", page_size: 5 } }
    output: { sql_write: { connection: dst, table: t, create_table: true, batch: { rows: 5 } } }
    dead_letter: { connection: dst }
    max_errors: 10
)");
  Project project = load_project(dir.file("p.yaml"));
  Pipeline& p = project.pipelines.at(0);
  Latch filtered_ahead;
  p.filters.push_back(std::make_unique<GiveUpOnSeven>(filtered_ahead));
  auto holding = std::make_unique<HoldingOutput>(std::move(p.output), filtered_ahead, [&] {
    return test::scalar(*open("dst.db"), "SELECT count(*) FROM weir_dead_letters");
  });
  HoldingOutput& output = *holding;
  p.output = std::move(holding);
  auto stats = run_all(project).at(0);
  EXPECT_EQ(stats.error, "");
  EXPECT_EQ(output.letters_after_first_, "0") << "ids 1-5 committed with the letter of id 7";
  EXPECT_EQ(test::scalar(*open("dst.db"), "SELECT count(*) FROM t"), "11");
  EXPECT_EQ(test::scalar(*open("dst.db"), "SELECT record FROM weir_dead_letters"), R"({"id":7})");
  EXPECT_EQ(stats.dead_letters, 1u);
}

}  // namespace
}  // namespace weir::pipeline
