// The commit engine and source transactions: a batch of changes commits only where a source
// transaction ended (Batch::end_transaction), so a transaction split over several chunks lands
// in one target commit, never two; one left unfinished at the end of the pipeline rolls back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipeline/commit_engine.hpp"

namespace weir::pipeline {
namespace {

using Log = std::vector<std::string>;

// Logs every call; ids reach `table` only on commit.
class LoggingSink final : public Sink {
 public:
  explicit LoggingSink(Log& log) : log_(log) {}
  void connect() override {}
  void disconnect() noexcept override {}
  bool usable() const noexcept override { return true; }
  void begin() override { log_.push_back("begin"); }
  db::WriteCounts write(const Batch& rows) override {
    std::string ids;
    for (std::size_t r = 0; r < rows.rows(); ++r) ids += (r ? "," : "") + std::to_string(rows.at(r, 0).as_int());
    log_.push_back("write " + ids);
    return {.inserted = rows.rows()};
  }
  void commit() override { log_.push_back("commit"); }
  void rollback() noexcept override { log_.push_back("rollback"); }
  std::string describe() const override { return "test sink"; }
  std::string location() const override { return "memory"; }
  std::string target() const override { return "t"; }

 private:
  Log& log_;
};

class Hooks final : public CommitHooks {
 public:
  explicit Hooks(Log& log) : log_(log) {}
  void prepare_target(db::Connection*, const db::ConnectionConfig*) override {}
  void before_commit(db::Connection*, std::string_view) override {}
  void after_commit(db::Connection*, std::string_view checkpoint) override {
    log_.push_back("committed " + std::string(checkpoint));
  }

 private:
  Log& log_;
};

class NoLetters final : public DeadLetterSink {
 public:
  void add(DeadLetter) override {}
};

// Inserts of ids first..last; the last one ends its source transaction when `ends` says so.
Chunk changes(std::int64_t first, std::int64_t last, std::string checkpoint, bool ends) {
  static const auto schema = [] {
    Column id;
    id.name = "id";
    id.type = Type::int64;
    return std::make_shared<const Schema>(std::vector<Column>{id}, SourceTable{"public", "t"});
  }();
  auto batch = std::make_unique<Batch>(schema);
  for (std::int64_t id = first; id <= last; ++id) batch->append_change(ChangeOp::insert)[0] = Value(id);
  if (ends) batch->end_transaction();
  return Chunk{std::move(batch), std::move(checkpoint)};
}

class CommitEngineTransactionsTest : public ::testing::Test {
 protected:
  CommitEngine& start(std::uint64_t rows, std::chrono::milliseconds interval = std::chrono::hours(1)) {
    CommitPolicy p;
    p.rows = p.max_rows = rows;
    p.interval = interval;
    p.path = "pipelines.p.output.test";
    engine_ = std::make_unique<CommitEngine>(std::make_unique<LoggingSink>(log_), std::move(p));
    engine_->open(RunOptions{}, hooks_, letters_, [](std::unique_ptr<Batch>) {});
    return *engine_;
  }

  Log log_;
  Hooks hooks_{log_};
  NoLetters letters_;
  std::unique_ptr<CommitEngine> engine_;
};

// Two rows make a batch, but the first transaction has five, over three chunks: it commits
// whole once its last chunk arrived, the next one likewise.
TEST_F(CommitEngineTransactionsTest, ATransactionOverSeveralChunksCommitsOnceWhole) {
  CommitEngine& engine = start(2);
  engine.write(changes(1, 2, "t1.2", false));
  engine.write(changes(3, 4, "t1.4", false));
  EXPECT_EQ(log_, (Log{"begin", "write 1,2", "write 3,4"})) << "nothing commits inside the transaction";
  engine.write(changes(5, 5, "t1.5", true));
  engine.write(changes(6, 7, "t2.7", true));
  engine.flush();
  EXPECT_EQ(log_, (Log{"begin", "write 1,2", "write 3,4", "write 5", "commit", "committed t1.5", "begin",
                       "write 6,7", "commit", "committed t2.7"}));
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 7}));
}

// The pipeline ends (stopped, or the input failed) inside a transaction: its changes roll
// back and its checkpoint is not acknowledged, so the next run reads it again whole.
TEST_F(CommitEngineTransactionsTest, ATransactionUnfinishedAtTheEndRollsBack) {
  CommitEngine& engine = start(10);
  engine.write(changes(1, 1, "t1.1", true));
  engine.write(changes(2, 3, "t2.3", false));
  engine.flush();
  EXPECT_EQ(log_, (Log{"begin", "write 1", "write 2,3", "rollback"}));
  EXPECT_EQ(engine.write_counts(), db::WriteCounts{});
}

// Once the interval has passed, a finished transaction commits before the next one starts
// streaming into the target: it does not wait for the next one's end.
TEST_F(CommitEngineTransactionsTest, ADueTransactionCommitsBeforeTheNextStreamsIn) {
  CommitEngine& engine = start(100, std::chrono::milliseconds(0));
  engine.write(changes(1, 1, "t1.1", true));
  engine.write(changes(2, 2, "t2.2", false));
  EXPECT_EQ(log_, (Log{"begin", "write 1", "commit", "committed t1.1", "begin", "write 2"}));
}

// Plain rows (a polled query) have no transactions: they commit by size as before.
TEST_F(CommitEngineTransactionsTest, PlainRowsStillCommitBySize) {
  CommitEngine& engine = start(2);
  auto plain = changes(1, 2, "c2", false);
  Batch rows(plain.batch->schema_ptr());
  for (std::size_t r = 0; r < plain.batch->rows(); ++r) rows.append_row(plain.batch->row(r));
  *plain.batch = rows;
  engine.write(std::move(plain));
  EXPECT_EQ(log_, (Log{"begin", "write 1,2", "commit", "committed c2"}));
}

}  // namespace
}  // namespace weir::pipeline
