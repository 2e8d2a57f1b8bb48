#include "sync/many_tables.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "pipeline/dead_letters.hpp"
#include "pipeline/run_journal.hpp"
#include "pipeline/state_store.hpp"
#include "weir/error.hpp"

namespace weir::sync {
namespace {

struct Ordered {
  std::vector<db::TableRef> tables;                  // in foreign-key order
  std::vector<std::vector<std::size_t>> references;  // per table: the indexes of the tables it references
};

bool glob_matches(const std::string& glob, const std::string& text) {
  return fnmatch(glob.c_str(), text.c_str(), 0) == 0;
}

// weir's own tables in a database it wrote to are its bookkeeping, not the user's data.
bool is_weirs_own(const db::TableRef& t) {
  return t.name == pipeline::StateStore::kTable || t.name == pipeline::RunJournal::kTable ||
         t.name == pipeline::DeadLetterTable::kDefaultTable;
}

std::vector<db::TableRef> matching(db::Connection& source, const db::Catalog& catalog, const std::string& pattern) {
  std::size_t dot = pattern.find('.');
  std::string schema_glob = dot == std::string::npos ? "" : pattern.substr(0, dot);
  std::string name_glob = dot == std::string::npos ? pattern : pattern.substr(dot + 1);
  std::vector<db::TableRef> out;
  for (const db::TableSummary& t : catalog.tables(source, {}))
    if (t.kind == db::TableKind::table && !is_weirs_own(t.ref) && glob_matches(name_glob, t.ref.name) &&
        (schema_glob.empty() || glob_matches(schema_glob, t.ref.schema)))
      out.push_back(t.ref);
  return out;
}

bool same_table(const db::TableRef& a, const db::TableRef& b) {
  return a.name == b.name && (a.schema.empty() || b.schema.empty() || a.schema == b.schema);
}

// Kahn's order: each round the first table by name whose references are all placed; a cycle
// places its first table by name.
Ordered foreign_key_order(db::Connection& source, const db::Catalog& catalog, std::vector<db::TableRef> tables) {
  std::sort(tables.begin(), tables.end(),
            [](const auto& a, const auto& b) { return std::tie(a.schema, a.name) < std::tie(b.schema, b.name); });
  std::vector<std::vector<std::size_t>> references(tables.size());
  for (std::size_t i = 0; i < tables.size(); ++i) {
    auto info = source.describe_table(tables[i]);
    if (!info) continue;  // dropped since the listing: its sync will say so
    for (const db::ForeignKey& fk : catalog.details(source, *info).foreign_keys)
      for (std::size_t j = 0; j < tables.size(); ++j)
        if (j != i && same_table(fk.referenced, tables[j])) references[i].push_back(j);
  }
  std::vector<std::size_t> placed_at(tables.size(), tables.size());
  Ordered out;
  for (std::size_t round = 0; round < tables.size(); ++round) {
    std::optional<std::size_t> next, first_left;
    for (std::size_t i = 0; i < tables.size() && !next; ++i) {
      if (placed_at[i] != tables.size()) continue;
      if (!first_left) first_left = i;
      if (std::all_of(references[i].begin(), references[i].end(),
                      [&](std::size_t j) { return placed_at[j] != tables.size(); }))
        next = i;
    }
    placed_at[next.value_or(*first_left)] = round;
    out.tables.push_back(tables[next.value_or(*first_left)]);
  }
  out.references.assign(tables.size(), {});
  for (std::size_t i = 0; i < tables.size(); ++i)
    for (std::size_t j : references[i]) out.references[placed_at[i]].push_back(placed_at[j]);
  return out;
}

Ordered ordered_tables(const ManyRequest& request) {
  auto source = db::connect(request.each.source);
  const db::Catalog& catalog = db::Registry::builtin().for_scheme(request.each.source.url.scheme).catalog();
  std::vector<db::TableRef> tables = matching(*source, catalog, request.pattern);
  if (tables.empty())
    throw Error(ErrorKind::config,
                fmt::format("--tables `{}`: no table of {} matches", request.pattern, request.each.source.describe()));
  return foreign_key_order(*source, catalog, std::move(tables));
}

Report run_one(const ManyRequest& request, const db::TableRef& table) {
  Request r = request.each;
  r.source_table = table;
  r.target_table = db::TableRef{"", table.name};
  try {
    return run(r);
  } catch (const Error& e) {
    Report failed;
    failed.source = fmt::format("{}.{}", r.source.name, table.to_string());
    failed.target = fmt::format("{}.{}", r.target.name, table.name);
    failed.error = e.what();
    failed.config_error = e.kind() == ErrorKind::config;
    return failed;
  }
}

// Hands out the tables to the workers: one whose references are copied (or, when none is and
// nothing runs, the first left: a cycle). The first table runs alone — it creates the state
// store's tables in the target, which concurrent CREATE TABLEs would race for.
class Schedule {
 public:
  explicit Schedule(const Ordered& ordered) : ordered_(ordered), state_(ordered.tables.size(), State::waiting) {}

  std::optional<std::size_t> take(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    std::optional<std::size_t> next;
    changed_.wait(lock, stop, [&] { return left_ == 0 || (next = startable()).has_value(); });
    if (!next || stop.stop_requested()) return std::nullopt;
    state_[*next] = State::running;
    ++running_;
    --left_;
    return next;
  }

  void finish(std::size_t i, const Report& report, std::vector<Report>& reports,
              const std::function<void(const Report&)>& done) {
    std::lock_guard lock(mutex_);
    state_[i] = State::finished;
    --running_;
    ++finished_;
    reports.push_back(report);
    done(report);
    changed_.notify_all();
  }

 private:
  enum class State { waiting, running, finished };

  std::optional<std::size_t> startable() const {
    if (finished_ == 0 && running_ > 0) return std::nullopt;
    std::optional<std::size_t> first_waiting;
    for (std::size_t i = 0; i < state_.size(); ++i) {
      if (state_[i] != State::waiting) continue;
      if (!first_waiting) first_waiting = i;
      const auto& refs = ordered_.references[i];
      if (std::all_of(refs.begin(), refs.end(), [&](std::size_t j) { return state_[j] == State::finished; })) return i;
    }
    return running_ == 0 ? first_waiting : std::nullopt;
  }

  const Ordered& ordered_;
  std::vector<State> state_;
  std::size_t left_ = state_.size();
  std::size_t running_ = 0;
  std::size_t finished_ = 0;
  std::mutex mutex_;
  std::condition_variable_any changed_;
};

}  // namespace

std::vector<db::TableRef> tables_matching(const ManyRequest& request) { return ordered_tables(request).tables; }

std::vector<Report> run_many(const ManyRequest& request, const std::function<void(const Report&)>& done) {
  refuse_read_only(request.each.target);
  Ordered ordered = ordered_tables(request);
  Schedule schedule(ordered);
  std::vector<Report> reports;
  std::vector<std::jthread> workers;
  int n = std::max(1, std::min<int>(request.at_once, static_cast<int>(ordered.tables.size())));
  for (int w = 0; w < n; ++w)
    workers.emplace_back([&] {
      while (auto i = schedule.take(request.each.stop))
        schedule.finish(*i, run_one(request, ordered.tables[*i]), reports, done);
    });
  workers.clear();  // joins
  return reports;
}

}  // namespace weir::sync
