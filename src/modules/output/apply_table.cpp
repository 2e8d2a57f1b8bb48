#include "modules/output/apply_table.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "db/common/sql_writer.hpp"
#include "modules/output/refused_column.hpp"
#include "modules/output/schema_alter.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

bool needs_key(RunKind kind) noexcept { return kind != RunKind::insert && kind != RunKind::truncate; }

}  // namespace

std::string source_name(const SourceTable& s) { return s.schema.empty() ? s.name : s.schema + "." + s.name; }

db::WriteCounts ApplyTable::apply(db::Connection& connection, const Batch& rows) {
  if (rows.schema_ptr() != bound_) {
    // An input may make each batch's Schema anew: the same columns keep their writers.
    if (bound_ && rows.schema() == *bound_) bound_ = rows.schema_ptr();
    else bind(connection, rows.schema_ptr());
  }
  db::WriteCounts counts;
  for (const ChangeRun& run : plan_runs(rows, {sources_, key_}, on_conflict_)) counts += apply_run(connection, rows, run);
  return counts;
}

std::string ApplyTable::where() const {
  return fmt::format("{}: table `{}` (changes of `{}`)", path_, route_.target.to_string(), source_name(source_));
}

// Maps the target's columns onto a new shape of the source table, by name (or `columns:`),
// checking each against the target.
// A shape that came of a schema change (Schema::change()) first alters the target for what the
// policy applied — with `columns:` mapped by hand, the target is left to the user.
void ApplyTable::bind(db::Connection& connection, const std::shared_ptr<const Schema>& shape) {
  const ShapeChange* change = route_.columns.empty() ? shape->change() : nullptr;
  writers_.clear();  // no statement of the old shape open while the table changes
  if (change && alter_target(connection, route_.target, *change, where())) info_.reset();
  describe_target(connection);
  const std::string tables_path = fmt::format("{}.tables.{}", path_, source_name(source_));
  names_.clear();
  sources_.clear();
  if (route_.columns.empty()) {
    for (std::size_t i = 0; i < shape->size(); ++i) {
      std::string name = (*shape)[i].name;
      if (change && std::ranges::count(change->left_out, name)) continue;  // an added column ignored
      if (change && change->target_names.contains(name)) name = change->target_names.at(name);  // a rename ignored
      names_.push_back(std::move(name)), sources_.push_back(i);
    }
  } else {
    for (const auto& [target, field] : route_.columns)
      names_.push_back(target), sources_.push_back(mapped_field(*shape, tables_path, target, field));
  }
  const Schema target_columns(info_->columns);
  for (std::string& name : names_) {
    auto found = target_columns.find(name);
    if (!found)
      throw Error(ErrorKind::config,
                  fmt::format("{} has no column `{}`: add it, or map the columns with {}.columns", where(), name,
                              tables_path));
    name = target_columns[*found].name;  // as the target spells it
  }
  identity_ = sources_.size() == shape->size();
  for (std::size_t i = 0; i < sources_.size(); ++i) identity_ = identity_ && sources_[i] == i;
  bound_ = shape;
  if (std::ranges::find(met_, shape) == met_.end()) met_.push_back(shape);
  writers_.clear();
  resolve_key(*shape);
}

void ApplyTable::describe_target(db::Connection& connection) {
  if (info_) return;
  info_ = connection.describe_table(route_.target);
  if (!info_) throw Error(ErrorKind::config, fmt::format("{} does not exist: create it first", where()));
  checks_ = checks_of(connection, *config_, *info_);
}

// The configured key, else the source's key columns (when all are written and they are not
// the whole row), else the target's primary key.
void ApplyTable::resolve_key(const Schema& shape) {
  key_.clear();
  auto index_of = [&](const std::string& name) -> std::optional<std::size_t> {
    auto it = std::ranges::find(names_, name);
    if (it == names_.end()) return std::nullopt;
    return static_cast<std::size_t>(it - names_.begin());
  };
  if (!route_.key.empty()) {
    for (const std::string& k : route_.key) {
      auto i = index_of(k);
      if (!i) throw Error(ErrorKind::config, fmt::format("{}: key column `{}` is not among the columns written", where(), k));
      key_.push_back(*i);
    }
    return;
  }
  const auto source_keys = std::ranges::count_if(shape.columns(), [](const Column& c) { return c.primary_key; });
  // Every column marked is no key but PostgreSQL's REPLICA IDENTITY FULL (the whole old row):
  // the target's primary key finds the row, where matching all columns could not (a NULL, a
  // column the upsert's ON CONFLICT cannot name).
  const bool whole_row = source_keys == static_cast<std::ptrdiff_t>(shape.size()) && !info_->primary_key.empty();
  for (std::size_t i = 0; i < sources_.size() && !whole_row; ++i)
    if (shape[sources_[i]].primary_key) key_.push_back(i);
  if (source_keys > 0 && key_.size() == static_cast<std::size_t>(source_keys)) return;
  key_.clear();
  for (const std::string& k : info_->primary_key)
    if (auto i = index_of(k)) key_.push_back(*i);
  if (key_.size() != info_->primary_key.size()) key_.clear();
}

db::WriteCounts ApplyTable::apply_run(db::Connection& connection, const Batch& rows, const ChangeRun& run) {
  if (needs_key(run.kind) && key_.empty())
    throw Error(ErrorKind::config,
                fmt::format("{}: no key to find rows by: the source marks no key column and the target has no "
                            "primary key among the columns written; set {}.tables.{}.key",
                            where(), path_, source_name(source_)));
  switch (run.kind) {
    case RunKind::insert: return write_run(connection, rows, run, db::WriteMode::insert);
    case RunKind::upsert: return write_run(connection, rows, run, db::WriteMode::upsert);
    case RunKind::update: return write_run(connection, rows, run, db::WriteMode::update);
    case RunKind::remove: return write_run(connection, rows, run, db::WriteMode::remove);
    case RunKind::rekey: return rekey(connection, rows, run);
    case RunKind::truncate: break;
  }
  connection.execute(db::delete_all_sql(connection.dialect(), route_.target));
  return {.deleted = 1};  // one change: the table emptied
}

// The target columns a run writes: those sent (a remove: the key).
std::vector<std::size_t> ApplyTable::run_columns(const ChangeRun& run) const {
  if (run.kind == RunKind::remove) return key_;
  std::vector<std::size_t> columns;
  for (std::size_t c = 0; c < sources_.size(); ++c)
    if (run.written.empty() || run.written[c]) columns.push_back(c);
  return columns;
}

db::WriteCounts ApplyTable::write_run(db::Connection& connection, const Batch& rows, const ChangeRun& run,
                                      db::WriteMode mode) {
  const std::vector<std::size_t> columns = run_columns(run);
  const std::size_t n = run.end - run.begin;
  if (mode == db::WriteMode::update) {
    const bool sets_any = std::ranges::any_of(columns, [&](std::size_t c) { return !std::ranges::count(key_, c); });
    // Nothing but the key was sent: the target's row already holds all the change has.
    if (!sets_any) return {.unchanged = n};
    for (std::size_t k : key_)
      if (!std::ranges::count(columns, k))
        throw Error(ErrorKind::data, fmt::format("key column `{}`: the source did not send its value", names_[k]));
  } else if (mode != db::WriteMode::remove) {
    check_sent(rows, run);
  }
  Writer& w = writer(connection, mode, columns);
  // The batch itself when the run is all of it in the target's columns (a delete's key comes
  // from its before image: never).
  const bool whole = run.begin == 0 && run.end == rows.rows() && identity_ && columns.size() == sources_.size() &&
                     mode != db::WriteMode::remove;
  return w.writer->write(whole ? rows : project(rows, run, w, columns));
}

// An insert takes every column: one the source did not send has no value to insert.
void ApplyTable::check_sent(const Batch& rows, const ChangeRun& run) const {
  for (std::size_t r = run.begin; r < run.end; ++r) {
    if (rows.all_sent(r)) continue;
    for (std::size_t c = 0; c < sources_.size(); ++c)
      if (!rows.sent(r, sources_[c]))
        throw Error(ErrorKind::data,
                    fmt::format("column `{}`: the source did not send its value, and inserting the row needs it",
                                names_[c]));
  }
}

// The run's rows in the writer's columns; a remove's key from the before image when there is one.
const Batch& ApplyTable::project(const Batch& rows, const ChangeRun& run, const Writer& writer,
                                 const std::vector<std::size_t>& columns) {
  scratch_.reset(writer.schema);
  for (std::size_t r = run.begin; r < run.end; ++r) {
    std::span<const Value> from = rows.row(r);
    if (run.kind == RunKind::remove && !rows.before(r).empty()) from = rows.before(r);
    std::span<Value> to = scratch_.append_row();
    for (std::size_t c = 0; c < columns.size(); ++c) to[c] = from[sources_[columns[c]]];
  }
  return scratch_;
}

// Updates that move a row to another key, one statement each: SET every sent column WHERE
// the key is the before image's. Not found there, `upsert` writes a whole row under its new key.
db::WriteCounts ApplyTable::rekey(db::Connection& connection, const Batch& rows, const ChangeRun& run) {
  const std::vector<std::size_t> columns = run_columns(run);
  const std::string sql = db::rekey_sql(connection.dialect(), spec(db::WriteMode::update, columns));
  db::WriteCounts counts;
  std::vector<Value> params;
  for (std::size_t r = run.begin; r < run.end; ++r) {
    params.clear();
    for (std::size_t c : columns) params.push_back(rows.at(r, sources_[c]));
    for (std::size_t k : key_) params.push_back(rows.before(r)[sources_[k]]);
    if (connection.execute(sql, params) > 0) ++counts.updated;
    else if (on_conflict_ == OnConflict::upsert && run.written.empty())  // the whole row: put it in place
      counts += write_run(connection, rows, ChangeRun{RunKind::upsert, r, r + 1, {}}, db::WriteMode::upsert);
    else ++counts.not_found;
  }
  return counts;
}

std::string ApplyTable::row_key(const Batch& rows, std::size_t row) const {
  if (rows.schema_ptr() != bound_ || row >= rows.rows()) return {};
  std::span<const Value> cells = rows.op(row) == ChangeOp::remove && !rows.before(row).empty() ? rows.before(row)
                                                                                                : rows.row(row);
  std::string out;
  for (std::size_t k : key_) {
    out += fmt::format("{}{}=", out.empty() ? "" : ", ", names_[k]);
    cells[sources_[k]].append_json(out);
  }
  return out;
}

// The cells the change writes, by target column (the rest unnamed: not written).
void ApplyTable::name_refused_column(Error& e, const Batch& rows) const {
  if (rows.rows() != 1 || rows.schema_ptr() != bound_ || !info_) return;
  const ChangeOp op = rows.op(0);
  if (op == ChangeOp::remove || op == ChangeOp::truncate) return;
  std::vector<std::string> names(names_.size());
  std::vector<Value> values(names_.size());
  for (std::size_t c = 0; c < names_.size(); ++c) {
    if (!rows.sent(0, sources_[c])) continue;
    names[c] = names_[c];
    values[c] = rows.at(0, sources_[c]);
  }
  modules::name_refused_column(e, info_->columns, checks_, names, values);
}

db::WriteSpec ApplyTable::spec(db::WriteMode mode, const std::vector<std::size_t>& columns) const {
  db::WriteSpec spec{route_.target, {}, mode, {}};
  for (std::size_t c : columns) spec.columns.push_back(names_[c]);
  for (std::size_t k : key_) spec.key.push_back(names_[k]);
  return spec;
}

ApplyTable::Writer& ApplyTable::writer(db::Connection& connection, db::WriteMode mode,
                                       const std::vector<std::size_t>& columns) {
  auto [it, made] = writers_.try_emplace({mode, columns});
  if (made) {
    std::vector<Column> schema;
    for (std::size_t c : columns) {
      schema.push_back((*bound_)[sources_[c]]);
      schema.back().name = names_[c];
    }
    it->second.schema = std::make_shared<const Schema>(std::move(schema));
  }
  if (!it->second.writer) it->second.writer = connection.bulk_writer(spec(mode, columns));
  return it->second;
}

}  // namespace weir::modules
