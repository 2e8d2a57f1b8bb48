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
  explicit LoggingSink(Log& log, bool transactional = true, int failing_write = 0)
      : log_(log), transactional_(transactional), failing_write_(failing_write) {}
  bool transactional() const noexcept override { return transactional_; }
  void connect() override {}
  void disconnect() noexcept override {}
  bool usable() const noexcept override { return true; }
  void begin() override { log_.push_back("begin"); }
  db::WriteCounts write(const Batch& rows) override {
    std::string ids;
    for (std::size_t r = 0; r < rows.rows(); ++r) ids += (r ? "," : "") + std::to_string(rows.at(r, 0).as_int());
    if (++writes_ == failing_write_) throw Error(ErrorKind::connection, "the connection was lost");
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
  bool transactional_;
  int failing_write_, writes_ = 0;
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
  CommitEngine& start(std::uint64_t rows, std::chrono::milliseconds interval = std::chrono::hours(1),
                      std::unique_ptr<Sink> sink = nullptr) {
    CommitPolicy p;
    p.rows = p.max_rows = rows;
    p.interval = interval;
    p.path = "pipelines.p.output.test";
    if (!sink) sink = std::make_unique<LoggingSink>(log_);
    engine_ = std::make_unique<CommitEngine>(std::move(sink), std::move(p));
    engine_->open(RunOptions{}, hooks_, letters_, [this](std::unique_ptr<Batch> b) { held_ -= b->rows(); });
    return *engine_;
  }

  // Writes `chunk`, counting its rows as held by the engine until it hands the batch back.
  void write(CommitEngine& engine, Chunk chunk) {
    held_ += chunk.batch->rows();
    most_held_ = std::max(most_held_, held_);
    engine.write(std::move(chunk));
    most_held_ = std::max(most_held_, held_);
  }

  Log log_;
  std::size_t held_ = 0, most_held_ = 0;
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

// The input caught up (Chunk::caught_up): what is pending commits at once, far short of `rows`
// and of the interval — but never inside a source transaction, and a checkpoint alone (an idle
// stream moving on) waits for the interval as before.
TEST_F(CommitEngineTransactionsTest, ACaughtUpInputCommitsWhatIsPendingAtOnce) {
  CommitEngine& engine = start(1000);
  engine.write(changes(1, 2, "t1.2", true));
  Chunk open = changes(3, 3, "t2.3", false);
  open.caught_up = true;
  engine.write(std::move(open));
  EXPECT_EQ(log_, (Log{"begin", "write 1,2", "write 3"})) << "a source transaction is never cut";
  Chunk rest = changes(4, 4, "t2.4", true);
  rest.caught_up = true;
  engine.write(std::move(rest));
  EXPECT_EQ(log_, (Log{"begin", "write 1,2", "write 3", "write 4", "commit", "committed t2.4"}));
  Chunk idle{std::make_unique<Batch>(), "idle"};
  idle.caught_up = true;
  engine.write(std::move(idle));
  EXPECT_EQ(log_.size(), 6u) << "a checkpoint alone waits for the interval";
  engine.flush();
  EXPECT_EQ(log_.back(), "committed idle");
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

// A source transaction of 20 changes with batches of 4: it still commits once, whole, but the
// engine holds no more than a batch of its rows at a time — past 4 they stream into the open
// transaction and are handed back (a 1,000,000-row transaction needs no more memory than 4).
TEST_F(CommitEngineTransactionsTest, ALargeTransactionIsNotHeldWholeInMemory) {
  CommitEngine& engine = start(4);
  for (std::int64_t id = 1; id <= 20; id += 2)
    write(engine, changes(id, id + 1, "t1." + std::to_string(id + 1), id + 1 == 20));
  EXPECT_EQ(most_held_, 4u);
  EXPECT_EQ(held_, 0u);
  EXPECT_EQ(log_, (Log{"begin", "write 1,2", "write 3,4", "write 5,6", "write 7,8", "write 9,10", "write 11,12",
                       "write 13,14", "write 15,16", "write 17,18", "write 19,20", "commit", "committed t1.20"}));
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 20}));
}

// Past the kept rows a replay is impossible: a lost connection rolls the whole source
// transaction back and stops the pipeline, saying so; nothing of it commits.
TEST_F(CommitEngineTransactionsTest, AFailurePastTheKeptRowsRollsTheTransactionBackAndStops) {
  CommitEngine& engine = start(4, std::chrono::hours(1), std::make_unique<LoggingSink>(log_, true, 4));
  write(engine, changes(1, 2, "t1.2", false));
  write(engine, changes(3, 4, "t1.4", false));
  write(engine, changes(5, 6, "t1.6", false));
  try {
    write(engine, changes(7, 8, "t1.8", false));
    FAIL() << "the failed write was not reported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::connection);
    EXPECT_NE(std::string(e.what()).find("test sink: a source transaction of more than 8 changes (more than a batch "
                                         "keeps for a replay) failed part-way; it was rolled back whole and the next "
                                         "run reads it again"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(log_, (Log{"begin", "write 1,2", "write 3,4", "write 5,6", "rollback"}));
  EXPECT_EQ(engine.write_counts(), db::WriteCounts{});
}

// A file has no transactions to keep whole: its batches commit by size inside a source
// transaction too, each with the checkpoint of its last change, and a stop commits what was
// written — the next run resumes at the following change.
TEST_F(CommitEngineTransactionsTest, ASinkWithoutTransactionsCommitsInsideASourceTransaction) {
  CommitEngine& engine = start(2, std::chrono::hours(1), std::make_unique<LoggingSink>(log_, false));
  write(engine, changes(1, 2, "t1.2", false));
  write(engine, changes(3, 3, "t1.3", false));
  engine.flush();
  EXPECT_EQ(log_, (Log{"begin", "write 1,2", "commit", "committed t1.2", "begin", "write 3", "commit",
                       "committed t1.3"}));
}

}  // namespace
}  // namespace weir::pipeline
