#include "cdc/snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "db/common/catalog_rows.hpp"
#include "db/common/exported_snapshot.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::cdc {
namespace {

// A range is at least this many heap blocks (8 kB each: 2 MB; a query each), so a table of
// some size is shared by the workers and a small one is read in one go.
constexpr std::uint64_t kBlocksPerRange = 256;
// Ranges per table at most, per worker: enough for the workers to even out.
constexpr std::uint64_t kRangesPerJob = 4;
// How long a slot's reader may take to go before the slot is dropped for a snapshot.
constexpr auto kReaderGone = std::chrono::seconds(10);

// The tables the publication sends, as the snapshot sees the catalog: OID, name, replica
// identity, heap blocks, and the publication's row filter (PostgreSQL 15), which the stream
// applies too.
constexpr std::string_view kTablesSql = R"(
SELECT c.oid::bigint, p.schemaname::text, p.tablename::text, c.relreplident::text,
       pg_relation_size(c.oid) / current_setting('block_size')::bigint, coalesce(p.rowfilter, '')
FROM pg_publication_tables p
JOIN pg_namespace n ON n.nspname = p.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
WHERE p.pubname = $1
ORDER BY 2, 3)";

// A table's columns as pgoutput's Relation message lists them: neither dropped nor generated,
// in the publication's column list, `key` for the replica identity's (every column with
// REPLICA IDENTITY FULL).
constexpr std::string_view kColumnsSql = R"(
SELECT a.attname::text, a.atttypid::bigint, a.atttypmod::bigint,
       c.relreplident = 'f' OR coalesce(a.attnum = ANY(i.indkey::int2[]), false)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_publication_tables p ON p.pubname = $2 AND p.schemaname = n.nspname AND p.tablename = c.relname
LEFT JOIN pg_index i ON i.indrelid = c.oid
  AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))
WHERE a.attrelid = $1::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
  AND a.attname = ANY(p.attnames)
ORDER BY a.attnum)";

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

InitialSnapshot::InitialSnapshot(const SnapshotOptions& options, RelationCache& relations)
    : options_(options), ready_(std::max<std::size_t>(2, 2 * options.jobs)), started_(std::chrono::steady_clock::now()) {
  // The exporter stays open, running nothing, until every worker has imported the snapshot.
  ReplicationConnection exporter(options_.connection);
  ExportedSnapshot exported = exporter.create_slot_exporting_snapshot(options_.slot);
  if (!db::plain_snapshot_name(exported.name))
    throw Error(ErrorKind::connection, fmt::format("CREATE_REPLICATION_SLOT on {} exported a snapshot named `{}`, "
                                                   "which is not a snapshot name",
                                                   options_.connection.describe(), exported.name.substr(0, 80)));
  consistent_point_ = exported.consistent_point;
  position_ = {.commit_lsn = consistent_point_, .txid = 0, .commit_time = now_micros(), .index = 0};
  connections_.push_back(import(exported.name));
  describe_tables(*connections_.front(), relations);
  plan_ranges();
  const std::size_t jobs = std::clamp<std::size_t>(ranges_.size(), 1, std::max<std::size_t>(options_.jobs, 1));
  while (connections_.size() < jobs) connections_.push_back(import(exported.name));
  queue_truncates();
  std::uint64_t blocks = 0;
  for (const Table& t : tables_) blocks += t.blocks;
  log::info(fmt::format("{}: slot `{}` created at {}; copying {} table(s) ({} MB of heap) from its snapshot with {} "
                        "worker(s) before streaming",
                        options_.path, options_.slot, format_lsn(consistent_point_), tables_.size(),
                        blocks * 8192 / 1'000'000, jobs));
  working_ = connections_.size();
  for (auto& connection : connections_)
    workers_.emplace_back([this, sql = connection.get()](std::stop_token stop) { work(*sql, stop); });
}

InitialSnapshot::~InitialSnapshot() {
  ready_.close();  // a worker waiting to push gives up
  for (std::jthread& worker : workers_) worker.request_stop();
  workers_.clear();
}

std::unique_ptr<db::Connection> InitialSnapshot::import(const std::string& snapshot) const {
  auto sql = db::connect(options_.connection);
  db::import_snapshot(*sql, snapshot);
  return sql;
}

void InitialSnapshot::describe_tables(db::Connection& sql, RelationCache& relations) {
  const Value publication(options_.publication);
  std::vector<db::TableRef> locked;
  for (const auto& t : db::fetch_rows(sql, kTablesSql, std::span(&publication, 1))) {
    RelationMessage relation{.id = static_cast<std::uint32_t>(t[0].as_int()), .schema = t[1].to_text(),
                             .name = t[2].to_text(), .replica_identity = t[3].to_text().front(), .columns = {}};
    if (!options_.filter.tables.empty() && !options_.filter.tables.contains({relation.schema, relation.name})) continue;
    const Value params[] = {t[0], publication};
    std::vector<std::string> names;
    for (const auto& c : db::fetch_rows(sql, kColumnsSql, params)) {
      relation.columns.push_back({.name = c[0].to_text(), .type = static_cast<Oid>(c[1].as_int()),
                                  .type_modifier = static_cast<std::int32_t>(c[2].as_int()), .key = c[3].as_bool()});
      names.push_back(c[0].to_text());
    }
    db::TableRef table{relation.schema, relation.name};
    std::string select = fmt::format("SELECT {} FROM {}", sql.dialect().quote_identifiers(names),
                                     sql.dialect().quote_table(table));
    // The publication's row filter is SQL the server printed (pg_get_expr): it goes in as it is.
    if (const std::string filter = t[5].to_text(); !filter.empty()) select += fmt::format(" WHERE ({})", filter);
    tables_.push_back({std::move(select), relations.add(relation).schema,
                       static_cast<std::uint64_t>(std::max<std::int64_t>(t[4].as_int(), 0)), !t[5].to_text().empty()});
    locked.push_back(std::move(table));
  }
  // As pg_dump does: no ALTER, VACUUM FULL or DROP may change a table while it is copied.
  for (const db::TableRef& table : locked)
    sql.execute_script(fmt::format("LOCK TABLE {} IN ACCESS SHARE MODE", sql.dialect().quote_table(table)));
}

void InitialSnapshot::plan_ranges() {
  std::vector<std::size_t> order(tables_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // The largest first, so the workers finish together.
  std::ranges::stable_sort(order, [&](std::size_t a, std::size_t b) { return tables_[a].blocks > tables_[b].blocks; });
  const std::uint64_t most = std::max<std::uint64_t>(1, kRangesPerJob * options_.jobs);
  for (std::size_t t : order) {
    const std::uint64_t blocks = tables_[t].blocks;
    const std::uint64_t n = std::clamp<std::uint64_t>(blocks / kBlocksPerRange, 1, most);
    // The last range is open-ended: the table may have grown since its size was read.
    for (std::uint64_t i = 0; i < n; ++i)
      ranges_.push_back({t, blocks * i / n, i + 1 == n ? 0 : blocks * (i + 1) / n});
  }
}

void InitialSnapshot::queue_truncates() {
  for (auto it = tables_.rbegin(); it != tables_.rend(); ++it) {  // served from the back
    Batch& batch = truncates_.emplace_back(it->schema);
    for (Value& cell : batch.append_change(ChangeOp::truncate)) cell.set_null();
    batch.set_position(0, position_);
    batch.end_transaction();
  }
}

std::string InitialSnapshot::range_sql(const Range& range) const {
  const Table& table = tables_[range.table];
  std::string sql = table.select;
  // Block numbers weir computed, as integers: COPY takes no parameters.
  bool where = table.filtered;
  auto add = [&](const std::string& condition) {
    sql += std::exchange(where, true) ? " AND " : " WHERE ";
    sql += condition;
  };
  if (range.first > 0) add(fmt::format("ctid >= '({},0)'::tid", range.first));
  if (range.end > 0) add(fmt::format("ctid < '({},0)'::tid", range.end));
  return sql;
}

void InitialSnapshot::read_range(db::Connection& sql, const Range& range, const std::stop_token& stop) {
  const Table& table = tables_[range.table];
  auto cursor = sql.query(range_sql(range));
  Batch rows;
  while (!stop.stop_requested() && cursor->next(rows, options_.batch_rows)) {
    if (rows.width() != table.schema->size())
      throw Error(ErrorKind::internal, fmt::format("snapshot of {}: {} columns read, {} described",
                                                   table.select.substr(table.select.rfind(" FROM ") + 6), rows.width(),
                                                   table.schema->size()));
    Batch changes(table.schema);
    changes.reserve(rows.rows());
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      std::span<Value> cells = changes.append_change(ChangeOp::insert);
      std::swap_ranges(cells.begin(), cells.end(), rows.row(r).begin());
      changes.set_position(r, position_);
    }
    changes.end_transaction();
    rows_read_ += rows.rows();
    if (!ready_.push(std::move(changes))) return;
  }
}

void InitialSnapshot::work(db::Connection& sql, std::stop_token stop) {
  try {
    for (std::size_t i; !stop.stop_requested() && (i = next_range_++) < ranges_.size();) read_range(sql, ranges_[i], stop);
  } catch (...) {
    std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = std::current_exception();
    ready_.close();  // next() rethrows it
  }
  if (--working_ == 0) ready_.close();
}

bool InitialSnapshot::next(Batch& out, std::chrono::milliseconds timeout) {
  if (!truncates_.empty()) {
    std::swap(out, truncates_.back());
    truncates_.pop_back();
    return true;
  }
  std::optional<Batch> batch = ready_.pop(timeout);
  {
    std::lock_guard lock(failure_mutex_);
    if (failure_) std::rethrow_exception(failure_);
  }
  out.clear();
  if (!batch) {
    if (ready_.drained() && !logged_) {
      logged_ = true;
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - started_;
      log::info(fmt::format("{}: snapshot copied: {} rows of {} table(s) in {:.1f} s; streaming from {}", options_.path,
                            rows_read_.load(), tables_.size(), took.count(), format_lsn(consistent_point_)));
    }
    return false;
  }
  std::swap(out, *batch);
  return true;
}

bool InitialSnapshot::done() const { return truncates_.empty() && ready_.drained(); }

bool drop_slot_for_snapshot(db::Connection& sql, const std::string& slot) {
  const Value name(slot);
  // A run killed a moment ago may still hold the slot until its server process notices.
  const auto deadline = std::chrono::steady_clock::now() + kReaderGone;
  for (;;) {
    auto rows = db::fetch_rows(sql, "SELECT coalesce(active_pid, 0)::bigint FROM pg_replication_slots WHERE slot_name = $1",
                         std::span(&name, 1));
    if (rows.empty()) return false;
    const std::int64_t reader = rows.front()[0].as_int();
    if (reader == 0) break;
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error(ErrorKind::connection, fmt::format("replication slot `{}` is read by server process {}: it must be "
                                                     "created again for snapshot: initial; stop that reader first",
                                                     slot, reader));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  sql.execute("SELECT pg_drop_replication_slot($1)", std::span(&name, 1));
  return true;
}

}  // namespace weir::cdc
