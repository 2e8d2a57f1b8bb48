// The commit engine's contract, with in-memory sinks: what a sink is asked to do, in which
// order, and where the checkpoint falls. The engine on a real database is covered by the
// runner and integration tests through sql_write.
#include "pipeline/commit_engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "pipeline/commit_hooks.hpp"
#include "support/test_support.hpp"

namespace weir::pipeline {
namespace {

using Log = std::vector<std::string>;

std::string span_of(const Batch& rows) {
  if (rows.rows() == 0) return "none";
  auto first = rows.at(0, 0).as_int(), last = rows.at(rows.rows() - 1, 0).as_int();
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

// A table of ids in memory, with transactions and savepoints: rows written in a transaction
// reach `table` only on commit. Ids in `rejected` fail the write that carries them, as a
// unique key would; `fail_commits` commits fail as a dropped connection does.
class MemorySink : public Sink {
 public:
  explicit MemorySink(Log& log) : log_(log) {}
  bool transactional() const noexcept override { return true; }
  void connect() override {
    ++connects;
    connected_ = true;
  }
  void disconnect() noexcept override { connected_ = false; }
  bool usable() const noexcept override { return connected_; }
  void begin() override {
    log_.push_back("begin");
    open_.clear();
  }
  db::WriteCounts write(const Batch& rows) override {
    log_.push_back("write " + span_of(rows));
    for (std::size_t r = 0; r < rows.rows(); ++r)
      if (rejected.count(rows.at(r, 0).as_int()))
        throw Error(ErrorKind::unique, "duplicate id " + std::to_string(rows.at(r, 0).as_int()));
    for (std::size_t r = 0; r < rows.rows(); ++r) open_.push_back(rows.at(r, 0).as_int());
    return {.inserted = rows.rows()};
  }
  void commit() override {
    if (fail_commits > 0) {
      --fail_commits;
      connected_ = false;
      if (commit_lands) table.insert(table.end(), open_.begin(), open_.end());  // only the answer was lost
      throw Error(ErrorKind::connection, "server closed the connection unexpectedly");
    }
    log_.push_back("commit");
    table.insert(table.end(), open_.begin(), open_.end());
  }
  void rollback() noexcept override {
    log_.push_back("rollback");
    open_.clear();
  }
  void savepoint(std::string_view) override { savepoints_.push_back(open_.size()); }
  void release_savepoint(std::string_view) override { savepoints_.pop_back(); }
  void rollback_to_savepoint(std::string_view) override { open_.resize(savepoints_.back()); }
  void empty_target() override {
    log_.push_back("empty");
    emptied_ = true;
  }
  std::string describe() const override { return "test sink"; }
  std::string location() const override { return "memory"; }
  std::string target() const override { return "t"; }

  std::vector<std::int64_t> table;
  std::set<std::int64_t> rejected;
  int fail_commits = 0;
  bool commit_lands = false;
  int connects = 0;

 protected:
  Log& log_;
  bool connected_ = false;
  bool emptied_ = false;
  std::vector<std::int64_t> open_;
  std::vector<std::size_t> savepoints_;
};

class RecordingHooks : public CommitHooks {
 public:
  explicit RecordingHooks(Log& log) : log_(log) {}
  void prepare_target(db::Connection* target, const db::ConnectionConfig*) override {
    log_.push_back(target ? "prepare target" : "prepare no target");
  }
  void before_commit(db::Connection*, std::string_view checkpoint) override {
    log_.push_back("checkpoint " + std::string(checkpoint));
  }
  void after_commit(db::Connection*, std::string_view checkpoint) override { log_.push_back("committed " + std::string(checkpoint)); }
  std::optional<bool> landed(db::Connection*, std::string_view checkpoint) override {
    log_.push_back("landed? " + std::string(checkpoint));
    return answer;
  }
  std::optional<bool> answer;  // what landed() says

 private:
  Log& log_;
};

class Letters : public DeadLetterSink {
 public:
  void add(DeadLetter letter) override { letters.push_back(std::move(letter)); }
  std::vector<DeadLetter> letters;
};

Chunk ids(std::int64_t first, std::int64_t last, std::string checkpoint, bool ends_run = false) {
  static const auto schema = [] {
    Column id;
    id.name = "id";
    id.type = Type::int64;
    return std::make_shared<const Schema>(std::vector<Column>{id});
  }();
  auto batch = std::make_unique<Batch>(schema);
  for (std::int64_t id = first; id <= last; ++id) batch->append_row(std::vector<Value>{Value(id)});
  return Chunk{std::move(batch), std::move(checkpoint), ends_run};
}

CommitPolicy policy(std::uint64_t rows, std::uint64_t max_rows, bool replace = false) {
  CommitPolicy p;
  p.rows = rows;
  p.max_rows = max_rows;
  p.interval = std::chrono::hours(1);  // never due within a test: batches close by rows only
  p.replace = replace;
  p.retry.initial_delay = std::chrono::milliseconds(1);
  p.path = "pipelines.p.output.test";
  return p;
}

class CommitEngineTest : public ::testing::Test {
 protected:
  CommitEngine& start(CommitPolicy p, std::unique_ptr<MemorySink> s = nullptr) {
    if (!s) s = std::make_unique<MemorySink>(log_);
    sink_ = s.get();
    engine_ = std::make_unique<CommitEngine>(std::move(s), std::move(p));
    engine_->open(RunOptions{}, hooks_, letters_, [this](std::unique_ptr<Batch>) { ++recycled_; });
    return *engine_;
  }

  Log log_;
  RecordingHooks hooks_{log_};
  Letters letters_;
  MemorySink* sink_ = nullptr;
  std::unique_ptr<CommitEngine> engine_;
  int recycled_ = 0;
};

// Rows stream into the open transaction as they arrive; the batch commits once `rows` are
// pending, its checkpoint written inside the transaction and reported committed after it.
TEST_F(CommitEngineTest, CommitsABatchOnceItsRowsArePendingWithTheCheckpointInside) {
  CommitEngine& engine = start(policy(3, 3));
  engine.write(ids(1, 2, "c2"));
  engine.write(ids(3, 4, "c4"));
  engine.write(ids(5, 6, "c6"));
  engine.flush();
  EXPECT_EQ(log_, (Log{"prepare no target", "begin", "write 1-2", "write 3-4", "checkpoint c4", "commit",
                       "committed c4", "begin", "write 5-6", "checkpoint c6", "commit", "committed c6"}));
  EXPECT_EQ(sink_->table, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 6}));
  EXPECT_EQ(recycled_, 3);
}

// With `rows` unset the batch grows past it while the interval has not passed, up to max_rows.
TEST_F(CommitEngineTest, ABatchGrowsToItsMostRowsWhileTheIntervalHasNotPassed) {
  CommitEngine& engine = start(policy(3, 10));
  for (int i = 0; i < 4; ++i) engine.write(ids(2 * i + 1, 2 * i + 2, "c"));
  EXPECT_TRUE(sink_->table.empty()) << "8 rows pending: past `rows`, short of the most";
  engine.write(ids(9, 10, "c10"));
  EXPECT_EQ(sink_->table.size(), 10u);
  EXPECT_EQ(std::count(log_.begin(), log_.end(), "commit"), 1);
}

// A rejected write rolls back; the batch is written again under savepoints in runs that halve
// around the bad rows and double after good ones; the bad rows become dead letters.
TEST_F(CommitEngineTest, IsolatesRejectedRowsByHalvingAndDoublingRuns) {
  auto sink = std::make_unique<MemorySink>(log_);
  sink->rejected = {5, 6};
  CommitEngine& engine = start(policy(8, 8), std::move(sink));
  engine.write(ids(1, 8, "c8"));
  EXPECT_EQ(log_, (Log{"prepare no target", "begin", "write 1-8", "rollback", "begin", "write 1-8", "write 1-4",
                       "write 5-8", "write 5-6", "write 5", "write 6", "write 7", "write 8", "checkpoint c8",
                       "commit", "committed c8"}));
  EXPECT_EQ(sink_->table, (std::vector<std::int64_t>{1, 2, 3, 4, 7, 8}));
  ASSERT_EQ(letters_.letters.size(), 2u);
  EXPECT_EQ(letters_.letters[0].record_json, R"({"id":5})");
  EXPECT_EQ(letters_.letters[0].stage, "pipelines.p.output.test");
  EXPECT_EQ(letters_.letters[0].kind, ErrorKind::unique);
  EXPECT_EQ(letters_.letters[1].record_json, R"({"id":6})");
  EXPECT_EQ(engine.rows_rejected(), 2u);
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 6}));
}

// A connection lost at COMMIT that did not commit (and that the hooks cannot tell: the state
// lives elsewhere) is rolled back; the engine connects again and writes the kept rows once
// more: each row lands once, the checkpoint is reported once.
TEST_F(CommitEngineTest, ReplaysTheBatchOnAFreshConnectionAfterATransientError) {
  auto sink = std::make_unique<MemorySink>(log_);
  sink->fail_commits = 1;
  CommitEngine& engine = start(policy(4, 4), std::move(sink));
  engine.write(ids(1, 4, "c4"));
  EXPECT_EQ(log_, (Log{"prepare no target", "begin", "write 1-4", "checkpoint c4", "rollback", "landed? c4", "begin",
                       "write 1-4", "checkpoint c4", "commit", "committed c4"}));
  EXPECT_EQ(sink_->connects, 2);
  EXPECT_EQ(sink_->table, (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 4}));
}

// A COMMIT whose answer was lost is in doubt: on the fresh connection the engine asks whether
// the batch landed; if so it is settled as committed, not written again.
TEST_F(CommitEngineTest, ABatchWhoseCommitLandedIsNotWrittenAgain) {
  auto sink = std::make_unique<MemorySink>(log_);
  sink->fail_commits = 1;
  sink->commit_lands = true;
  hooks_.answer = true;
  CommitEngine& engine = start(policy(4, 4), std::move(sink));
  engine.write(ids(1, 4, "c4"));
  EXPECT_EQ(log_, (Log{"prepare no target", "begin", "write 1-4", "checkpoint c4", "rollback", "landed? c4",
                       "committed c4"}));
  EXPECT_EQ(sink_->table, (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 4}));
}

// A run is one transaction that starts by emptying the target; each batch settles under a
// savepoint, the run commits with its checkpoint once the input's run ended. An unfinished
// run rolls back.
TEST_F(CommitEngineTest, ReplaceCommitsEachRunOnceAndRollsBackAnUnfinishedOne) {
  CommitEngine& engine = start(policy(2, 2, true));
  engine.write(ids(1, 2, "c2"));
  engine.write(ids(3, 3, "c3", true));
  EXPECT_EQ(log_, (Log{"prepare no target", "begin", "empty", "write 1-2", "write 3", "checkpoint c3", "commit",
                       "committed c3"}));
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 3}));
  log_.clear();
  engine.write(ids(4, 5, "c5"));
  engine.flush();
  EXPECT_EQ(log_, (Log{"begin", "empty", "write 4-5", "rollback"}));
  EXPECT_EQ(sink_->table, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 3}));
}

// A sink without transactions (a file, a queue) delivers what write() took; rollback undoes
// nothing, so a replay may deliver rows twice but never loses one.
class DeliveringSink final : public MemorySink {
 public:
  DeliveringSink(Log& log, std::function<std::optional<std::string>()> stored)
      : MemorySink(log), stored_(std::move(stored)) {}
  bool transactional() const noexcept override { return false; }
  db::WriteCounts write(const Batch& rows) override {
    if (fail_writes > 0 && --fail_writes == 0) {
      log_.push_back("write " + span_of(rows));
      throw Error(ErrorKind::connection, "broker went away");
    }
    auto counts = MemorySink::write(rows);
    log_.push_back("stored checkpoint " + stored_().value_or("none"));
    table.insert(table.end(), open_.begin(), open_.end());  // delivered at once
    open_.clear();
    return counts;
  }
  int fail_writes = 0;

 private:
  std::function<std::optional<std::string>()> stored_;
};

// Through the pipeline's own hooks and a state store on SQLite: the checkpoint reaches the
// store only after the sink's write returned, and the rows of a failed attempt come again.
TEST_F(CommitEngineTest, ASinkWithoutTransactionsGetsEveryRowAtLeastOnceBeforeItsCheckpoint) {
  test::TempDir dir;
  db::ConnectionConfig state_config;
  state_config.url = Url::parse("sqlite:" + dir.file("state.db"));
  StateStore state(state_config);
  DeadLetterTable dead(state_config, db::TableRef{"", "weir_dead_letters"}, "p");
  StateOwner owner = StateOwner::of("p.yaml", "p", {}, {});
  PipelineCommitHooks hooks(owner, state, dead);
  auto sink = std::make_unique<DeliveringSink>(log_, [&] { return state.load(owner); });
  sink->fail_writes = 2;  // the second chunk's write
  DeliveringSink* delivering = sink.get();
  CommitEngine engine(std::move(sink), policy(4, 4));
  engine.open(RunOptions{}, hooks, dead, [](std::unique_ptr<Batch>) {});
  engine.write(ids(1, 2, "c2"));
  EXPECT_EQ(state.load(owner), std::nullopt);
  engine.write(ids(3, 4, "c4"));
  EXPECT_EQ(delivering->table, (std::vector<std::int64_t>{1, 2, 1, 2, 3, 4}));
  EXPECT_EQ(state.load(owner), "c4");
  EXPECT_EQ(log_, (Log{"begin", "write 1-2", "stored checkpoint none", "write 3-4", "rollback", "begin", "write 1-2",
                       "stored checkpoint none", "write 3-4", "stored checkpoint none", "commit"}));
  EXPECT_EQ(engine.write_counts(), (db::WriteCounts{.inserted = 4}));
}

}  // namespace
}  // namespace weir::pipeline
