#include "sync/sync.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <optional>

#include "core/config_spec.hpp"
#include "pipeline/runner.hpp"
#include "weir/log.hpp"
#include "db/common/catalog_rows.hpp"
#include "sync/bad_values.hpp"
#include "sync/block_ranges.hpp"
#include "sync/indexes.hpp"
#include "sync/key_ranges.hpp"
#include "sync/retrying_read.hpp"
#include "sync/sync_pipeline.hpp"
#include "sync/table_plan.hpp"
#include "sync/verify.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"

namespace weir::sync {
namespace {

using Clock = std::chrono::steady_clock;

std::string side_name(const db::ConnectionConfig& c, const db::TableRef& table) {
  return fmt::format("{}.{}", c.name.empty() ? c.identity() : c.name, table.to_string());
}

// --on-bad-value null for --verify: the source's driver reads values it cannot represent (a
// MySQL zero date) as NULL, where its URL options say how (an option the user set wins), as the
// copy wrote them. The copy's readers name each such value instead (ranged_read.hpp, sql_poll's
// on_bad_value).
db::ConnectionConfig reading_bad_values(db::ConnectionConfig source, OnBadValue on_bad_value) {
  if (on_bad_value != OnBadValue::null) return source;
  const config::Spec& options = db::Registry::builtin().for_scheme(source.url.scheme).url_options();
  bool set = std::any_of(source.url.options.begin(), source.url.options.end(),
                         [](const auto& o) { return o.first == "zero_dates"; });
  if (options.find("zero_dates") && !set) source.url.options.emplace_back("zero_dates", "null");
  return source;
}

void refuse_copy_onto_itself(const Request& r, const db::TableRef& target) {
  if (r.source.identity() == r.target.identity() && r.source_table == target)
    throw Error(ErrorKind::config, fmt::format("the source and the target are the same table `{}` on {}",
                                               target.to_string(), r.source.describe()));
}

// --verify only reads: a lost connection (a server restart just after the copy's last commit)
// is retried, as the copy's readers are.
Verification verify(const Request& r, const TablePlan& plan) {
  auto digest_of = [&](const db::ConnectionConfig& side, const db::TableRef& table, const std::string& where) {
    return retrying_read(fmt::format("--verify of table `{}`", table.to_string()), side, [&] {
      auto sql = db::connect(side);
      return digest(*sql, select_all(sql->dialect(), table, plan.source.columns, where));
    });
  };
  log::debug(fmt::format("--verify of table `{}`: reading it on both sides", plan.target.to_string()));
  TableDigest from = digest_of(r.source, plan.source.ref, r.where);
  TableDigest to = digest_of(r.target, plan.target, "");
  return {from.rows, to.rows, from.checksum, to.checksum};
}

// A sync that failed before its first commit leaves the target as it found it.
void drop_created(const Request& r, const TablePlan& plan) noexcept {
  try {
    auto target = db::connect(r.target);
    target->execute("DROP TABLE " + target->dialect().quote_table(plan.target));
  } catch (const Error&) {
    // The sync's own error is the one to report; the empty table stays.
  }
}

// --with-indexes, once every row is there. An index the target refuses (MySQL will not index a
// TEXT column without a prefix length) fails the sync naming it: the rows stay, committed.
void build_indexes(const Request& r, const TablePlan& plan, Report& report) {
  auto source = db::connect(r.source);
  const db::Driver& driver = db::Registry::builtin().for_scheme(r.source.url.scheme);
  IndexPlan indexes;
  {
    auto target = db::connect(r.target);
    indexes = plan_indexes(driver.catalog().details(*source, plan.source), plan, target->dialect());
  }
  for (const std::string& why : indexes.left_out)
    log::warn(fmt::format("--with-indexes: index {} of {} is not built on {}", why, report.source, report.target));
  auto target = db::connect(r.target);
  for (const std::string& statement : indexes.statements) {
    try {
      target->execute(statement);
    } catch (Error& e) {
      throw e.add_context(fmt::format("--with-indexes: {}", statement));
    }
    ++report.indexes_built;
  }
}

// The source catalog's row estimate and size of the table, for the progress's ETA: nothing
// where the database keeps none (SQLite without ANALYZE).
Progress progress_base(const Request& r, const TablePlan& plan, const Report& report) {
  Progress base{.source = report.source, .target = report.target, .row_estimate = plan.source.row_estimate};
  try {
    auto source = db::connect(r.source);
    const db::Catalog& catalog = db::Registry::builtin().for_scheme(r.source.url.scheme).catalog();
    for (const db::TableSummary& t : catalog.tables(*source, {plan.source.ref.schema, plan.source.ref.name}))
      if (t.ref.name == plan.source.ref.name) {
        if (t.row_estimate) base.row_estimate = t.row_estimate;
        base.size_bytes = t.size_bytes;
      }
  } catch (const Error&) {
    // Only the progress's ETA is lost: the copy does not depend on it.
  }
  return base;
}

bool holds_no_row(db::Connection& target, const db::TableRef& table) {
  return db::fetch_rows(target, fmt::format("SELECT 1 FROM {} LIMIT 1", target.dialect().quote_table(table))).empty();
}

// A table without a primary key read in block ranges (block_ranges.hpp) whose sync stopped
// midway: the rows it committed cannot be told from others of the same values, so the target
// is emptied and the table copied again — when the target held no row before that sync began
// (or is new); else refused, saying what to do.
void restart_unkeyed(const Request& r, const TablePlan& plan, const std::string& stored, const Report& report) {
  if (plan.target_exists && !decode_block_checkpoint(stored).value_or(false))
    throw Error(ErrorKind::config,
                fmt::format("{} has no primary key and a sync of it into {} stopped midway: the rows it committed "
                            "cannot be told from those the target held before it began; empty the target table (or "
                            "sync with --truncate) and run again with --reset",
                            report.source, report.target));
  log::warn(fmt::format("sync {} to {}: a sync of this table without a primary key stopped midway, and the rows it "
                        "committed cannot be told apart: the target table is emptied and the table copied again",
                        report.source, report.target));
  auto target = db::connect(r.target);
  target->execute("DELETE FROM " + target->dialect().quote_table(plan.target));
}

}  // namespace

void refuse_read_only(const db::ConnectionConfig& target) {
  // Refused before anything reaches a server: the database would refuse the writes too, but only
  // after the target table was looked up and, when missing, its creation tried.
  if (target.read_only)
    throw Error(ErrorKind::config,
                fmt::format("{} is read-only (read_only: true): weir sync writes nothing to it", target.describe()));
}

namespace {

// The writers of a full sync read in key ranges: as many as --jobs says, or as many as the
// target's driver uses by default, never more than help it (Driver::bulk_writers).
std::size_t writers_for(const Request& r, const TablePlan& plan) {
  if (plan.by_blocks) return 1;
  const db::Driver::BulkWriters target = db::Registry::builtin().for_scheme(r.target.url.scheme).bulk_writers();
  const std::size_t asked = r.writers > 0 ? static_cast<std::size_t>(r.writers) : target.by_default;
  return target.at_most > 0 ? std::min(asked, target.at_most) : asked;
}

std::shared_ptr<RangeFeed> make_feed(const Request& r, const TablePlan& plan, std::shared_ptr<BadValues> bad,
                                     std::size_t lanes, bool target_was_empty) {
  return std::make_shared<RangeFeed>(RangeFeedOptions{.source = r.source, .plan = plan, .where = r.where,
                                                      .jobs = static_cast<std::size_t>(std::max(r.jobs, 1)),
                                                      .lanes = lanes, .page_rows = kPageRows, .bad = std::move(bad),
                                                      .by_blocks = plan.by_blocks,
                                                      .target_was_empty = target_was_empty});
}

// The owners of every writer's checkpoint (the first's is the sync's).
std::vector<pipeline::StateOwner> lane_owners(const pipeline::Project& project) {
  std::vector<pipeline::StateOwner> owners;
  for (const pipeline::Pipeline& p : project.pipelines) owners.push_back(p.owner);
  return owners;
}

// The key ranges a sync reads, with its writers' checkpoints committed before the first row:
// planned now, each writer's checkpoint saved (the first's last: it says a sync began), or as
// the writers' checkpoints of a sync that stopped left them.
// `first` is the first writer's checkpoint, loaded already.
// `planned` is the connection to the source the sync was planned with, tried first and kept.
void set_up_key_ranges(const Request& r, const TablePlan& plan, pipeline::Project& project, RangeFeed& feed,
                       const std::optional<std::string>& first, std::unique_ptr<db::Connection>& planned) {
  pipeline::StateStore& state = *project.pipelines.front().state;
  const std::vector<pipeline::StateOwner> owners = lane_owners(project);
  const std::size_t key_columns = plan.key.size();
  if (first) {
    std::vector<std::optional<std::string>> stored{first};
    for (std::size_t lane = 1; lane < owners.size(); ++lane) stored.push_back(state.load(owners[lane], r.stop));
    feed.set_ranges(merge_lane_checkpoints(stored, key_columns));
    return;
  }
  KeyRanges ranges = retrying_read(fmt::format("table `{}`", plan.source.ref.to_string()), r.source, [&] {
    std::unique_ptr<db::Connection> source = planned ? std::move(planned) : db::connect(r.source);
    KeyRanges planned_ranges = plan_key_ranges(*source, plan, r.where, most_key_ranges(feed.options().jobs, owners.size()));
    planned = std::move(source);
    return planned_ranges;
  });
  if (owners.size() > 1)
    for (std::size_t lane = owners.size(); lane-- > 0;)
      state.save(owners[lane], encode_key_ranges(ranges, key_columns, {lane, owners.size()}), r.stop);
  feed.set_ranges(std::move(ranges));
}

// The writers' runs as one: rows summed, the first error (a writer stopped by another's
// failure ends interrupted, not failed).
pipeline::PipelineStats combined(const std::vector<pipeline::PipelineStats>& lanes) {
  pipeline::PipelineStats all = lanes.front();
  for (std::size_t i = 1; i < lanes.size(); ++i) {
    const pipeline::PipelineStats& s = lanes[i];
    all.rows_read += s.rows_read;
    all.rows_written += s.rows_written;
    all.dead_letters += s.dead_letters;
    all.rows_skipped += s.rows_skipped;
    all.values_nulled += s.values_nulled;
    all.interrupted = all.interrupted || s.interrupted;
    if (all.error.empty() && !s.error.empty()) {
      all.error = s.error;
      all.config_error = s.config_error;
    }
  }
  if (!all.error.empty()) all.interrupted = false;
  return all;
}

// The progress of every writer as one line: the runner reports them in turn, the last one last.
std::function<void(const pipeline::PipelineStats&, double)> progress_of_lanes(Request& r, Progress base,
                                                                              std::size_t lanes) {
  struct Lane {
    std::string name;
    std::uint64_t read = 0, written = 0;
    double rate = 0;
  };
  auto seen = std::make_shared<std::vector<Lane>>();
  return [&r, base, lanes, seen](const pipeline::PipelineStats& s, double rate) {
    auto it = std::find_if(seen->begin(), seen->end(), [&](const Lane& l) { return l.name == s.name; });
    if (it == seen->end()) it = seen->insert(seen->end(), Lane{s.name});
    *it = Lane{s.name, s.rows_read, s.rows_written, rate};
    if (seen->size() < lanes || it != seen->end() - 1) return;
    Progress now = base;
    for (const Lane& lane : *seen) {
      now.rows_read += lane.read;
      now.rows_written += lane.written;
      now.rows_per_second += lane.rate;
    }
    r.on_progress(now);
  };
}

// The source and the target, connected at once: each connect is several round trips (TLS,
// authentication). The target is leased from `pools`, whose connections the sync's pipelines
// take up, so it is their first.
std::pair<std::unique_ptr<db::Connection>, db::Lease> connect_both(const Request& r, db::Pools& pools) {
  auto source = std::async(std::launch::async, [&] { return db::connect(r.source); });
  std::optional<db::Lease> target;
  std::exception_ptr target_failed;
  try {
    target = pools.claim(r.target)->acquire();
  } catch (...) {
    target_failed = std::current_exception();
  }
  std::unique_ptr<db::Connection> opened = source.get();  // the source's error first, as ever
  if (target_failed) std::rethrow_exception(target_failed);
  return {std::move(opened), std::move(*target)};
}

}  // namespace

Report run(const Request& original) {
  refuse_read_only(original.target);
  auto started = Clock::now();
  Request r = original;
  Report report;
  TablePlan plan;
  bool target_was_empty = false;  // what a read in block ranges keeps in its checkpoint
  auto pools = std::make_shared<db::Pools>();
  std::unique_ptr<db::Connection> source;  // kept for the key ranges and the first reader
  {
    auto [planning, target] = connect_both(r, *pools);
    source = std::move(planning);
    plan = plan_table(*source, *target, r);
    refuse_copy_onto_itself(r, plan.target);
    if (!plan.target_exists) create_target(*target, plan);
    target_was_empty = plan.by_blocks && (!plan.target_exists || holds_no_row(*target, plan.target));
  }
  report.created = !plan.target_exists;
  report.source = side_name(r.source, plan.source.ref);
  report.target = side_name(r.target, plan.target);
  // A full sync in key order (a primary key, no --truncate) reads key ranges and resumes them;
  // one of a PostgreSQL table without a key reads block ranges and restarts them.
  const bool resumable = r.mode == Mode::full && !plan.order.empty();
  const bool ranged = resumable || plan.by_blocks;
  auto bad = std::make_shared<BadValues>(r.on_bad_value, fmt::format("table `{}`", plan.source.ref.to_string()));
  Request lenient = r;
  lenient.source = reading_bad_values(r.source, r.on_bad_value);
  std::size_t lanes = ranged ? writers_for(r, plan) : 1;
  std::shared_ptr<RangeFeed> feed = ranged ? make_feed(r, plan, bad, lanes, target_was_empty) : nullptr;
  pipeline::Project project = sync_project(r, plan, feed, bad, pools);
  std::shared_ptr<pipeline::StateStore> state = project.pipelines.front().state;
  if (r.reset)
    for (const pipeline::StateOwner& owner : lane_owners(project)) state->reset(owner);
  std::optional<std::string> stored;
  if (ranged) stored = state->load(project.pipelines.front().owner, r.stop);
  report.resumed = resumable && stored.has_value();
  if (report.resumed) {
    // A sync resumes with the writers it began with.
    std::size_t began_with = 1;
    decode_key_ranges(*stored, plan.key.size(), &began_with);
    if (began_with != lanes) {
      lanes = began_with;
      feed = make_feed(r, plan, bad, lanes, target_was_empty);
      project = sync_project(r, plan, feed, bad, pools);
      state = project.pipelines.front().state;
    }
  }
  if (plan.by_blocks && stored) {
    restart_unkeyed(r, plan, *stored, report);
    feed->set_target_was_empty(decode_block_checkpoint(*stored).value_or(false));
  }
  if (resumable) set_up_key_ranges(lenient, plan, project, *feed, stored, source);
  if (feed && source) feed->lend_connection(std::move(source));
  source.reset();  // a sync that reads no ranges reads with sql_poll's connection
  r = lenient;

  pipeline::RunnerOptions options{{.once = true, .stop = r.stop}, r.progress_every};
  if (r.on_progress && r.progress_every.count() > 0)
    options.on_progress = progress_of_lanes(r, progress_base(r, plan, report), lanes);
  pipeline::PipelineStats stats = combined(pipeline::run_all(project, options));
  report.rows_read = stats.rows_read;
  report.rows_written = stats.rows_written;
  // Rows refused by the target are skipped only when asked: otherwise they failed the sync.
  if (r.on_conflict == OnConflict::skip) report.rows_skipped = stats.dead_letters + stats.rows_skipped;
  report.values_nulled = bad->count() + stats.values_nulled;
  report.interrupted = stats.interrupted;
  report.error = stats.error;
  report.config_error = stats.config_error;
  const bool finished = stats.error.empty() && !stats.interrupted;
  // A full sync that reached the end starts from the first row next time.
  if (finished && ranged)
    for (const pipeline::StateOwner& owner : lane_owners(project)) state->reset(owner);
  if (!finished && report.created && report.rows_written == 0) drop_created(r, plan);
  if (finished && r.with_indexes) {
    try {
      build_indexes(r, plan, report);
    } catch (const Error& e) {
      report.error = e.what();
    }
  }
  if (finished && r.verify) report.verification = verify(r, plan);
  report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return report;
}

}  // namespace weir::sync
