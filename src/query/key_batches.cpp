#include "query/key_batches.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include "db/sqlite/decimal_sum.hpp"
#include "query/remote_table.hpp"
#include "query/scan_cursor.hpp"

namespace weir::query {
namespace {

// "1.50" → "1.5", "-0.0" → "0"; nullopt for text that is no number.
std::optional<std::string> canonical_number(std::string_view text) {
  auto number = db::sqlite::ExactDecimal::parse(text);
  if (!number) return std::nullopt;
  std::string out = number->to_string();
  if (out.find('.') != std::string::npos) {
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') out.pop_back();
  }
  return out == "-0" ? "0" : out;
}

// The values of the plan's terms other than its join keys, which a batched query sends as
// they are: the rows cached for a key hold only while these stay the same.
std::string context_of(const ScanPlan& plan, const std::vector<TermArgument>& arguments) {
  std::string out;
  for (std::size_t t = 0; t < plan.terms.size() && t < arguments.size(); ++t) {
    if (plan.terms[t].key) continue;
    out += fmt::format("{}:", t);
    for (const auto& v : arguments[t].values) out += v ? fmt::format("{}\x1f", v->to_text()) : std::string("?\x1f");
    out += '\x1e';
  }
  return out;
}

struct OuterColumn {
  const ScanCursor* scan = nullptr;
  int slot = -1;
};

// The open scan whose current row holds `given` in a cell SQLite read for this row, the most
// recently read one when several do.
OuterColumn find_outer(const std::vector<ScanCursor*>& open, const ScanCursor& inner, const Rhs& given) {
  OuterColumn found;
  std::uint64_t latest = 0;
  for (const ScanCursor* scan : open) {
    if (scan == &inner || !scan->on_row()) continue;
    for (std::size_t column = 0; column < scan->slot.size(); ++column) {
      int slot = scan->slot[column];
      std::uint64_t read = scan->read_at[column];
      if (slot < 0 || read <= scan->row_began || read <= latest) continue;
      Rhs cell = sqlite_form(scan->rows().at(scan->row, static_cast<std::size_t>(slot)));
      if (cell.kind != given.kind || cell.text != given.text) continue;
      found = {scan, slot};
      latest = read;
    }
  }
  return found;
}

// `first`, then the distinct keys the outer scan's next rows hold that are not cached yet, as
// values of `column`, up to the cache's batch size.
std::vector<Value> upcoming_keys(const OuterColumn& outer, const Column& column, const Value& first,
                                 const KeyCache& cache) {
  std::vector<Value> keys{first};
  std::unordered_set<std::string> seen{key_text(first)};
  std::size_t limit = cache.batch_keys();
  auto add_from = [&](const Batch& rows, std::size_t from, std::size_t to) {
    for (std::size_t r = from; r < to && keys.size() < limit; ++r) {
      Rhs cell = sqlite_form(rows.at(r, static_cast<std::size_t>(outer.slot)));
      if (cell.kind == RhsKind::null) continue;
      auto value = to_column_value(column, cell.kind, cell.text);
      if (!value) continue;
      std::string key = key_text(*value);
      if (cache.has(key) || !seen.insert(key).second) continue;
      keys.push_back(std::move(*value));
    }
  };
  add_from(outer.scan->rows(), outer.scan->row + 1, outer.scan->end);
  // Served from a key cache itself, the outer scan's next rows are those of its last fetch.
  if (outer.scan->keyed_from)
    if (const auto& last = outer.scan->keyed_from->last_fetch()) add_from(*last, 0, last->rows());
  return keys;
}

// One query for the rows of every key of `keys`, through term `key_term` as an IN list.
void fetch_keys(const ScanCursor& cursor, std::size_t key_term, const std::vector<TermArgument>& arguments,
                std::vector<Value> keys, std::size_t key_slot, KeyCache& cache) {
  RemoteTable& table = *cursor.table;
  const ScanPlan& plan = *cursor.plan;
  ScanPlan batched;
  batched.columns = plan.columns;
  batched.order = plan.order;  // rows of each key in the order SQLite was promised
  std::vector<TermArgument> values;
  std::vector<std::string> key_texts;
  for (const Value& key : keys) key_texts.push_back(key_text(key));
  for (std::size_t t = 0; t < plan.terms.size(); ++t) {
    if (t == key_term) {
      PushedTerm list = plan.terms[t];
      if (keys.size() > 1) list.op = Op::in;  // one key: `key = $1`, as a scan of its own sends it
      batched.terms.push_back(list);
      TermArgument argument;
      for (Value& key : keys) argument.values.emplace_back(std::move(key));
      values.push_back(std::move(argument));
    } else if (!plan.terms[t].key) {
      batched.terms.push_back(plan.terms[t]);
      values.push_back(arguments[t]);
    }
  }
  RemoteQuery query = build_remote_query(table.source->connection().dialect(), table.ref, table.columns, batched,
                                         values, std::nullopt, std::nullopt);
  auto stream = table.source->open(query, table.stats);
  std::vector<Batch> fetched;
  for (Batch rows; stream->next(rows); rows = Batch())
    if (!rows.empty()) fetched.push_back(std::move(rows));
  cache.store(key_texts, fetched, key_slot);
}

}  // namespace

Rhs sqlite_form(const Value& value) {
  switch (value.type()) {
    case Type::null: return {RhsKind::null, {}};
    case Type::boolean: return {RhsKind::integer, value.as_bool() ? "1" : "0"};
    case Type::int64: return {RhsKind::integer, std::to_string(value.as_int())};
    case Type::float64:
      if (std::isnan(value.as_double())) return {RhsKind::text, "NaN"};
      return {RhsKind::real, fmt::format("{}", value.as_double())};
    case Type::bytes: return {RhsKind::blob, {}};
    default: return {RhsKind::text, value.to_text()};
  }
}

std::string key_text(const Value& value) {
  switch (value.type()) {
    case Type::boolean: return value.as_bool() ? "1" : "0";
    case Type::int64: return std::to_string(value.as_int());
    case Type::float64: {
      double d = value.as_double();
      if (!std::isfinite(d)) return value.to_text();
      return canonical_number(fmt::format("{}", d)).value_or(value.to_text());
    }
    case Type::decimal:
    case Type::text: return canonical_number(value.to_text()).value_or(value.to_text());
    default: return value.to_text();
  }
}

void KeyCache::forget() {
  fetches_.clear();
  entries_.clear();
  by_text_.clear();
  by_integer_.clear();
  next_ = 0;
  kept_ = 0;
}

void KeyCache::use_context(const std::string& context) {
  if (context == context_) return;
  context_ = context;
  forget();
  last_.reset();
}

KeyRows KeyCache::rows_of(std::size_t entry) const {
  const Run& run = entries_[entry].run;
  return {fetches_[run.fetch], run.begin, std::size_t{run.begin} + run.count};
}

std::optional<KeyRows> KeyCache::find(const std::string& key) const {
  auto it = by_text_.find(key);
  if (it == by_text_.end()) return std::nullopt;
  return rows_of(it->second);
}

std::optional<KeyRows> KeyCache::find_value(const Value& value) {
  const std::int64_t* integer = value.get_if<std::int64_t>();
  if (!integer) return find(key_text(value));
  std::size_t entry = next_;
  if (entry >= entries_.size() || !entries_[entry].is_integer || entries_[entry].integer != *integer) {
    const std::uint32_t* found = by_integer_.find(*integer);
    if (!found) return std::nullopt;
    entry = *found;
  }
  next_ = entry + 1;
  return rows_of(entry);
}

void KeyCache::store(const std::vector<std::string>& keys, const std::vector<Batch>& fetched, std::size_t key_slot) {
  // Each row under the key asked for that it equals; a row the remote matched under a coarser
  // equality (a case-insensitive collation) that is no key asked for here is dropped: SQLite
  // would not keep it for any of them.
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t k = 0; k < keys.size(); ++k) index.emplace(keys[k], k);
  std::vector<std::vector<std::pair<const Batch*, std::size_t>>> members(keys.size());
  std::size_t count = 0;
  for (const Batch& rows : fetched) {
    count += rows.rows();
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      const Value& cell = rows.at(r, key_slot);
      if (cell.is_null()) continue;
      auto it = index.find(key_text(cell));
      if (it != index.end()) members[it->second].emplace_back(&rows, r);
    }
  }
  // Bounded memory: a scan nested in a long loop forgets earlier keys (asked again, they are
  // fetched again) rather than keep every row it ever read.
  if (kept_ + count + keys.size() > kMaxKeptRows) forget();
  auto grouped = std::make_shared<Batch>();
  for (const Batch& rows : fetched)
    if (!rows.empty()) {
      grouped->reset(rows.schema_ptr());
      break;
    }
  auto fetch = static_cast<std::uint32_t>(fetches_.size());
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (index.at(keys[k]) != k) continue;  // asked twice: kept once
    Entry entry{{fetch, static_cast<std::uint32_t>(grouped->rows()), static_cast<std::uint32_t>(members[k].size())}};
    for (auto [rows, r] : members[k]) grouped->append_row(rows->row(r));
    // key_text writes an integer as std::to_string does: such keys are found by value too.
    auto [end, ec] = std::from_chars(keys[k].data(), keys[k].data() + keys[k].size(), entry.integer);
    entry.is_integer = ec == std::errc{} && end == keys[k].data() + keys[k].size() && std::to_string(entry.integer) == keys[k];
    auto at = static_cast<std::uint32_t>(entries_.size());
    if (entry.is_integer) by_integer_.insert_or_assign(entry.integer, at);
    by_text_[keys[k]] = at;
    entries_.push_back(entry);
  }
  fetches_.push_back(grouped);
  last_ = std::move(grouped);
  kept_ += count + keys.size();
  std::size_t per_key = std::max<std::size_t>(1, count / std::max<std::size_t>(1, keys.size()));
  next_keys_ = std::clamp<std::size_t>(kFetchRows / per_key, 1, kMaxKeys);
}

bool read_by_key_batch(ScanCursor& cursor, const std::vector<ScanCursor*>& open, int plan_index,
                       const std::vector<TermArgument>& arguments, const std::function<Rhs(std::size_t)>& given) {
  RemoteTable& table = *cursor.table;
  const ScanPlan& plan = *cursor.plan;
  for (std::size_t t = 0; t < plan.terms.size() && t < arguments.size(); ++t) {
    const PushedTerm& term = plan.terms[t];
    if (!term.key || arguments[t].values.size() != 1 || !arguments[t].values.front()) continue;
    auto at = std::find(plan.columns.begin(), plan.columns.end(), term.column);
    if (at == plan.columns.end()) continue;
    auto& slot = table.key_caches[{plan_index, t}];
    if (!slot) slot = std::make_unique<KeyCache>();
    KeyCache& cache = *slot;
    cache.use_context(context_of(plan, arguments));
    const Value& key = *arguments[t].values.front();
    std::optional<KeyRows> rows = cache.find_value(key);
    if (!rows) {
      OuterColumn outer = find_outer(open, cursor, given(t));
      if (!outer.scan) continue;
      fetch_keys(cursor, t, arguments, upcoming_keys(outer, table.columns[term.column], key, cache),
                 static_cast<std::size_t>(at - plan.columns.begin()), cache);
      rows = cache.find_value(key);
      if (!rows) continue;  // forgotten at once: more rows than a cache keeps
    }
    cursor.keyed = std::move(rows->batch);
    cursor.keyed_from = &cache;
    cursor.row = rows->begin;
    cursor.end = rows->end;
    cursor.eof = cursor.row >= cursor.end;
    return true;
  }
  return false;
}

}  // namespace weir::query
