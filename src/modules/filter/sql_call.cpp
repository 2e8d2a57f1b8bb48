// sql_call — enriches records with the rows of parameterised SQL lookups.
//
//   filters:
//     - sql_call:
//         connection: crm
//         when: "record.customer_id != null"
//         queries:
//           - sql: "SELECT name AS customer_name, tier FROM customers WHERE id = {{record.customer_id}}"
//             merge: columns            # columns | { nested: <field> } | { rows: <field> }
//             cache: { ttl: 5m, max_entries: 100000 }
//             on_error: dead_letter     # fail | skip | null | dead_letter
//
// Queries run in order on the records that match `when` (the others pass with NULL in the
// new columns); a later query may read columns an earlier one merged. The lookups
// themselves — batching, caching, retries — live in lookup/lookup.hpp; this file turns
// the configuration into Lookups and their rows into columns.
#include "modules/filter/sql_call.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "core/text.hpp"
#include "modules/builtin.hpp"
#include "modules/filter/sql_call_config.hpp"
#include "pipeline/expression.hpp"
#include "weir/log.hpp"

namespace weir::modules {
namespace {

using weir::FieldReader;
using lookup::Lookup;
using lookup::LookupOutcome;
using lookup::LookupRows;

struct KeyPtrHash {
  std::size_t operator()(const Lookup::Key* k) const noexcept { return lookup::ValuesHash{}(*k); }
};
struct KeyPtrEqual {
  bool operator()(const Lookup::Key* a, const Lookup::Key* b) const noexcept { return *a == *b; }
};

// The distinct keys of one query over one batch, and which key each row asked with.
struct KeyedRows {
  std::vector<Lookup::Key> keys;
  std::vector<std::size_t> key_of_row;  // kNone when the row is not looked up
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
};

std::string record_json(const Batch& batch, std::size_t row) {
  std::string out = "{";
  for (std::size_t c = 0; c < batch.width(); ++c) {
    if (c) out += ',';
    append_json_string(out, batch.schema()[c].name);
    out += ':';
    batch.at(row, c).append_json(out);
  }
  out += '}';
  return out;
}

void append_object(std::string& out, const Schema& columns, const std::vector<Value>& row) {
  out += '{';
  for (std::size_t c = 0; c < columns.size() && c < row.size(); ++c) {
    if (c) out += ',';
    append_json_string(out, columns[c].name);
    out += ':';
    row[c].append_json(out);
  }
  out += '}';
}

// The one cell a nested or rows merge adds for a lookup's rows.
Value json_cell(MergeKind kind, const Schema& columns, const LookupRows& rows) {
  std::string out;
  if (kind == MergeKind::nested) {
    if (rows.empty()) return Value();
    append_object(out, columns, rows.front());
    return Value(Json{std::move(out)});
  }
  out += '[';
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (r) out += ',';
    append_object(out, columns, rows[r]);
  }
  out += ']';
  return Value(Json{std::move(out)});
}

class SqlCall final : public pipeline::Filter {
 public:
  explicit SqlCall(SqlCallConfig config)
      : config_(std::move(config)), connection_(config_.pool, config_.retry, config_.path + ": lookup") {
    for (QueryConfig& q : config_.queries) lookups_.emplace_back(q.sql, q.options);
  }

  void open(const pipeline::RunOptions& options) override {
    connection_.open(options.stop);
    for (std::size_t q = 0; q < lookups_.size(); ++q) {
      try {
        lookups_[q].open(connection_);
      } catch (Error& e) {
        throw e.add_context(config_.queries[q].path);
      }
      if (config_.queries[q].options.batch && !lookups_[q].batched())
        log::info(fmt::format("{}: one query per distinct key, as the SQL {}", config_.queries[q].path,
                              lookups_[q].why_not_batched()));
    }
  }

  void process(const Batch& in, Batch& out, pipeline::DeadLetterSink& dead) override {
    if (in.schema_ptr() != input_) bind(in.schema_ptr());
    out.reset(output_);
    live_.assign(in.rows(), 1);
    dropped_.assign(in.rows(), 0);
    json_.clear();
    for (std::size_t r = 0; r < in.rows(); ++r) {
      std::span<Value> row = out.append_row();
      std::span<const Value> source = in.row(r);
      std::copy(source.begin(), source.end(), row.begin());
      for (std::size_t c = source.size(); c < row.size(); ++c) row[c].set_null();
      if (when_ && !when_->test(source, r, json_)) live_[r] = 0;  // passes through, not looked up
      out.carry_change(in, r);
    }
    for (std::size_t q = 0; q < lookups_.size(); ++q) run_query(q, in, out, dead);
    compact(out);
    std::string note;
    for (const Lookup& l : lookups_)
      if (auto n = l.stale_note()) note += (note.empty() ? "" : "; ") + *n;
    std::lock_guard lock(note_mutex_);
    note_ = std::move(note);
  }

  const std::vector<std::size_t>* kept_rows() const override { return dropped_any_ ? &kept_ : nullptr; }

  std::string progress_note() const override {
    std::lock_guard lock(note_mutex_);
    return note_;
  }

  // Prepares every lookup against its database and, when the input's columns are known,
  // resolves every {{record.…}} and `when:` field against them (`weir validate --check-sql`).
  std::shared_ptr<const Schema> probe(const Schema* input) override {
    open(pipeline::RunOptions{});
    if (!input) return nullptr;
    bind(std::make_shared<const Schema>(*input));
    return output_;
  }

  std::vector<lookup::LookupStats> stats() const {
    std::vector<lookup::LookupStats> out;
    for (const Lookup& l : lookups_) out.push_back(l.stats());
    return out;
  }

 private:
  // Resolves fields against a new input schema and builds the output schema.
  void bind(const std::shared_ptr<const Schema>& input) {
    std::vector<Column> columns = input->columns();
    when_.reset();
    if (config_.when) when_ = add_path(config_.path + ".when", [&] { return config_.when->bind(*input); });
    readers_.clear();
    offsets_.clear();
    for (std::size_t q = 0; q < lookups_.size(); ++q) {
      const QueryConfig& query = config_.queries[q];
      Schema visible(columns);  // the input plus what earlier queries merged
      readers_.emplace_back();
      for (const FieldPath& f : lookups_[q].sql().fields())
        readers_.back().push_back(add_path(query.path + ".sql", [&] { return FieldReader(f, visible); }));
      offsets_.push_back(columns.size());
      for (Column c : merged_columns(q)) {
        auto same = [&](const Column& other) { return iequals(other.name, c.name); };
        if (std::any_of(columns.begin(), columns.end(), same))
          throw Error(ErrorKind::config,
                      fmt::format("{}: the lookup adds field `{}`, which the record already has; rename it (AS …)",
                                  query.path, c.name));
        columns.push_back(std::move(c));
      }
    }
    input_ = input;
    output_ = std::make_shared<const Schema>(std::move(columns), input->source());
  }

  template <class F>
  static auto add_path(const std::string& path, F&& fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (Error& e) {
      throw e.add_context(path);
    }
  }

  std::vector<Column> merged_columns(std::size_t q) const {
    const QueryConfig& query = config_.queries[q];
    if (query.merge != MergeKind::columns) return {Column{query.field, Type::json, "json", true}};
    std::vector<Column> columns = lookups_[q].columns().columns();
    for (Column& c : columns) c.nullable = true;
    return columns;
  }

  KeyedRows keys_of(std::size_t q, const Batch& out) {
    KeyedRows k;
    k.keys.reserve(out.rows());  // never reallocates: the index points into it
    k.key_of_row.assign(out.rows(), KeyedRows::kNone);
    std::unordered_map<const Lookup::Key*, std::size_t, KeyPtrHash, KeyPtrEqual> index;
    Lookup::Key key(readers_[q].size());
    Value scratch;
    for (std::size_t r = 0; r < out.rows(); ++r) {
      if (!live_[r]) continue;
      for (std::size_t f = 0; f < key.size(); ++f) key[f] = readers_[q][f].read(out.row(r), r, json_, scratch);
      auto found = index.find(&key);
      if (found == index.end()) {
        k.keys.push_back(key);
        found = index.emplace(&k.keys.back(), k.keys.size() - 1).first;
      }
      k.key_of_row[r] = found->second;
    }
    return k;
  }

  void run_query(std::size_t q, const Batch& in, Batch& out, pipeline::DeadLetterSink& dead) {
    const QueryConfig& query = config_.queries[q];
    KeyedRows keyed = keys_of(q, out);
    lookups_[q].fetch(keyed.keys, outcomes_);
    std::vector<Value> json;  // per key, for nested and rows merges
    if (query.merge != MergeKind::columns)
      for (const LookupOutcome& o : outcomes_)
        json.push_back(o.rows ? json_cell(query.merge, lookups_[q].columns(), *o.rows) : Value());
    for (std::size_t r = 0; r < out.rows(); ++r) {
      std::size_t k = keyed.key_of_row[r];
      if (k == KeyedRows::kNone) continue;
      const LookupOutcome& o = outcomes_[k];
      if (o.error) {
        if (on_error(q, *o.error, in, r, keyed.keys[k], dead)) live_[r] = 0, dropped_[r] = 1;
        continue;
      }
      std::span<Value> row = out.row(r);
      if (query.merge != MergeKind::columns) row[offsets_[q]] = json[k];
      else if (!o.rows->empty())
        for (std::size_t c = 0; c < o.rows->front().size() && offsets_[q] + c < row.size(); ++c)
          row[offsets_[q] + c] = o.rows->front()[c];
    }
  }

  // Applies on_error to record `r`, looked up with `key`; true when the record leaves the batch.
  bool on_error(std::size_t q, const Error& error, const Batch& in, std::size_t r, const Lookup::Key& key,
                pipeline::DeadLetterSink& dead) {
    const QueryConfig& query = config_.queries[q];
    switch (query.on_error) {
      case OnError::fail: {
        Error e = error;
        std::string position = dead.position_of(in, r);
        throw e.add_context(fmt::format("{}: looking up {}{}", query.path, key_text(q, key),
                                        position.empty() ? "" : " (source position " + position + ")"));
      }
      case OnError::skip: return true;
      case OnError::null: return false;
      case OnError::dead_letter:
      {
        pipeline::DeadLetter letter{query.path, error.kind(), error.what(), record_json(in, r), error.code()};
        letter.origin = &in;
        letter.origin_row = r;
        dead.add(std::move(letter));
        return true;
      }
    }
    return false;
  }

  // "record.customer_id=42, record.region=\"eu\"": the fields a key was read from, and its values.
  std::string key_text(std::size_t q, const Lookup::Key& key) const {
    std::string out;
    const auto& fields = lookups_[q].sql().fields();
    for (std::size_t f = 0; f < fields.size() && f < key.size(); ++f) {
      out += fmt::format("{}{}=", f ? ", " : "", fields[f].to_string());
      key[f].append_json(out);
    }
    return out;
  }

  // Removes the records skipped or dead-lettered, keeping the order of the rest. A plain batch
  // is compacted in place; in a batch of changes each kept row moves with its change (which
  // lives beside the cells), and a source transaction whose last row was dropped ends at its
  // last kept row.
  void compact(Batch& out) {
    kept_.clear();
    dropped_any_ = std::ranges::find(dropped_, 1) != dropped_.end();
    if (!dropped_any_) return;
    for (std::size_t r = 0; r < out.rows(); ++r)
      if (!dropped_[r]) kept_.push_back(r);
    const bool changes = out.has_changes();
    Batch kept(out.schema_ptr());
    std::size_t n = 0;
    for (std::size_t r = 0; r < out.rows(); ++r) {
      if (dropped_[r]) {
        if (changes && out.ends_transaction(r) && n && !kept.ends_transaction(n - 1)) kept.end_transaction();
        continue;
      }
      if (changes) {
        std::ranges::move(out.row(r), kept.append_row().begin());
        kept.carry_change(out, r);
      } else if (n != r) {
        std::swap_ranges(out.row(r).begin(), out.row(r).end(), out.row(n).begin());
      }
      ++n;
    }
    if (changes) {
      out = std::move(kept);
      return;
    }
    out.clear();
    for (std::size_t r = 0; r < n; ++r) out.append_row();  // the rows keep the cells moved there
  }

  SqlCallConfig config_;
  lookup::LookupConnection connection_;
  std::vector<Lookup> lookups_;
  std::shared_ptr<const Schema> input_;
  std::shared_ptr<const Schema> output_;
  std::optional<pipeline::BoundExpression> when_;
  std::vector<std::vector<FieldReader>> readers_;  // per query, per template
  std::vector<std::size_t> offsets_;               // per query: its first merged column
  std::vector<char> live_;     // per row: still to be looked up by the next query
  std::vector<char> dropped_;  // per row: skipped or dead-lettered
  std::vector<std::size_t> kept_;  // the rows of the last batch that were not, when some were
  bool dropped_any_ = false;
  std::vector<LookupOutcome> outcomes_;
  // The batch's JSON cells, parsed once for `when:` and every query. Keyed by row and
  // column, which holds within one process(): rows are compacted only at its end, the input's
  // cells equal the output's first ones, and a query reads only columns merged before it.
  JsonCells json_;
  mutable std::mutex note_mutex_;  // the progress thread reads note_
  std::string note_;
};

std::unique_ptr<pipeline::Filter> make(const config::Section& section, const pipeline::ModuleContext& context) {
  return std::make_unique<SqlCall>(read_sql_call_config(section, context));
}

}  // namespace

std::vector<lookup::LookupStats> sql_call_stats(const pipeline::Filter& filter) {
  if (const auto* f = dynamic_cast<const SqlCall*>(&filter)) return f->stats();
  return {};
}

pipeline::FilterModule sql_call_module() { return {"sql_call", &sql_call_spec, &make}; }

}  // namespace weir::modules
