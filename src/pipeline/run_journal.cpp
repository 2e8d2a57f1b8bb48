#include "pipeline/run_journal.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <climits>

#include "db/common/sql_writer.hpp"
#include "weir/temporal.hpp"

namespace weir::pipeline {

std::string RunHolder::describe() const {
  return fmt::format("host {}, pid {}, started {}", host, pid, started_at);
}

RunHolder RunHolder::here() {
  std::array<char, HOST_NAME_MAX + 1> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) name[0] = '\0';
  return RunHolder{name.data(), static_cast<std::int64_t>(::getpid()), format_timestamptz(timestamptz_now())};
}

std::string RunAccount::describe() const {
  return fmt::format("read {} = written {} + dead-lettered {} + filtered {} + skipped {}", read, written,
                     dead_lettered, filtered, skipped);
}

namespace {

// The width of the run_id column (characters; bytes are at least as many).
constexpr std::size_t kRunIdWidth = 120;

// A run id too long for its column — a long pipeline name (weir sync names its pipeline after
// both tables) or host name — keeps its beginning, cut at a character's start, and a hash of the
// whole, so that it stays one run's.
std::string bounded_run_id(std::string id) {
  if (id.size() <= kRunIdWidth) return id;
  std::string hash = hash_text(id);
  std::size_t keep = kRunIdWidth - hash.size() - 1;
  while (keep > 0 && (static_cast<unsigned char>(id[keep]) & 0xC0) == 0x80) --keep;
  return id.substr(0, keep) + "~" + hash;
}

}  // namespace

void RunJournal::ensure_table(db::Connection& c) {
  const db::Dialect& d = c.dialect();
  auto q = [&](std::string_view name) { return d.quote_identifier(name); };
  db::create_if_missing(c, fmt::format("CREATE TABLE IF NOT EXISTS {} ({} VARCHAR(120) NOT NULL PRIMARY KEY, {} VARCHAR(255) NOT "
                        "NULL, {} VARCHAR(255) NOT NULL, {} BIGINT NOT NULL, {} VARCHAR(40) NOT NULL, {} VARCHAR(40), "
                        "{} VARCHAR(20) NOT NULL, {} BIGINT, {} BIGINT, {} BIGINT, {} BIGINT, {} BIGINT, {} TEXT)",
                        q(kTable), q("run_id"), q("pipeline"), q("host"), q("pid"), q("started_at"), q("ended_at"),
                        q("status"), q("rows_read"), q("written"), q("dead_lettered"), q("filtered"), q("skipped"),
                        q("error")));
}

void RunJournal::start(const RunHolder& holder) {
  run_id_ = bounded_run_id(fmt::format("{}#{}@{}:{}", owner_.key, holder.started_at, holder.host, holder.pid));
  store_->run("recording the run", [&](db::Connection& c) {
    ensure_table(c);
    const db::Dialect& d = c.dialect();
    auto q = [&](std::string_view name) { return d.quote_identifier(name); };
    // Statements of their own, no transaction: each may run twice, and the run's own COMMITs
    // stay the first a target sees (the in-doubt commit tests cut the first).
    std::array<Value, 1> key{Value(owner_.key)};
    c.execute(fmt::format("UPDATE {} SET {} = 'crashed' WHERE {} = {} AND {} = 'running'", q(kTable), q("status"),
                          q("pipeline"), d.placeholder(1), q("status")),
              key);
    std::array<Value, 5> row{Value(run_id_), Value(owner_.key), Value(holder.host), Value(holder.pid),
                             Value(holder.started_at)};
    c.execute(fmt::format("DELETE FROM {} WHERE {} = {}", q(kTable), q("run_id"), d.placeholder(1)),
              std::span<const Value>(row.data(), 1));  // a retry of this same insert
    c.execute(fmt::format("INSERT INTO {} ({}, {}, {}, {}, {}, {}) VALUES ({}, {}, {}, {}, {}, 'running')", q(kTable),
                          q("run_id"), q("pipeline"), q("host"), q("pid"), q("started_at"), q("status"),
                          d.placeholder(1), d.placeholder(2), d.placeholder(3), d.placeholder(4), d.placeholder(5)),
              row);
  });
}

void RunJournal::finish(Ending ending, const RunAccount& account, std::string_view error) {
  if (run_id_.empty()) return;
  static constexpr std::array<std::string_view, 3> kStatus{"completed", "failed", "interrupted"};
  store_->run("recording the run's end", [&](db::Connection& c) {
    const db::Dialect& d = c.dialect();
    auto q = [&](std::string_view name) { return d.quote_identifier(name); };
    std::array<Value, 9> params{Value(format_timestamptz(timestamptz_now())),
                                 Value(kStatus[static_cast<std::size_t>(ending)]),
                                 Value(account.read),
                                 Value(account.written),
                                 Value(account.dead_lettered),
                                 Value(account.filtered),
                                 Value(account.skipped),
                                 error.empty() ? Value() : Value(error),
                                 Value(run_id_)};
    std::string sets;
    const std::array<std::string_view, 8> columns{"ended_at", "status",   "rows_read", "written",
                                                  "dead_lettered", "filtered", "skipped", "error"};
    for (std::size_t i = 0; i < columns.size(); ++i)
      sets += fmt::format("{}{} = {}", i ? ", " : "", q(columns[i]), d.placeholder(i + 1));
    c.execute(fmt::format("UPDATE {} SET {} WHERE {} = {}", q(kTable), sets, q("run_id"), d.placeholder(9)),
              params);
  });
}

std::optional<RunHolder> RunJournal::running() {
  std::optional<RunHolder> holder;
  store_->run("reading the run holding the lock", [&](db::Connection& c) {
    ensure_table(c);
    const db::Dialect& d = c.dialect();
    auto q = [&](std::string_view name) { return d.quote_identifier(name); };
    std::array<Value, 1> key{Value(owner_.key)};
    auto rows = c.query(fmt::format("SELECT {}, {}, {} FROM {} WHERE {} = {} AND {} = 'running' ORDER BY {} DESC",
                                    q("host"), q("pid"), q("started_at"), q(kTable), q("pipeline"), d.placeholder(1),
                                    q("status"), q("started_at")),
                        key);
    Batch batch;
    holder.reset();
    if (rows->next(batch, 1) && !batch.empty())
      holder = RunHolder{batch.at(0, 0).to_text(), std::stoll(batch.at(0, 1).to_text()), batch.at(0, 2).to_text()};
    while (rows->next(batch, 16)) {
    }
  });
  return holder;
}

}  // namespace weir::pipeline
