// Join keys in batches. SQLite runs a join as nested loops: for each row of the outer side it
// scans the inner remote table with that row's key (xFilter with `key = ?`), which sent as it
// comes is one remote query per outer row. When the key SQLite passes is a cell of an open
// weir scan (the outer loop reads a remote table too: its rows are in memory a batch at a
// time), the inner scan reads the keys of that scan's next rows and fetches the rows of all of
// them in one query (`key = ANY($1)` on PostgreSQL, `key IN (?, …)` elsewhere), kept here by
// key; the following outer rows are answered from memory.
//
// Correctness does not depend on guessing the next keys: the rows served for a key are those of
// a query that asked for it. Rows are grouped under a key text no finer than SQLite's equality
// (1.50 and 1.5, 5 and '5' are one key), and a join key is a term SQLite checks again
// (pushdown.hpp), so a row grouped under a key it does not equal in SQLite is dropped there.
// The scan's other join keys are left out of a batched query (SQLite checks them); its terms
// with literal values are sent, and a change in them starts the cache afresh.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "query/integer_map.hpp"
#include "query/pushdown.hpp"
#include "weir/batch.hpp"

namespace weir::query {

struct ScanCursor;

// A value as the embedded SQLite holds it (db::sqlite::result_value): its class and text.
Rhs sqlite_form(const Value& value);

// The key a value is grouped under: numbers (and text that reads as one) by exact value, the
// rest by text.
std::string key_text(const Value& value);

// The rows kept for one key: a run of the rows of one fetch, which keeps them grouped by key
// in the order the keys were asked for (the order the outer scan reads them in).
struct KeyRows {
  std::shared_ptr<const Batch> batch;
  std::size_t begin = 0, end = 0;

  std::size_t rows() const noexcept { return end - begin; }
  const Value& at(std::size_t row, std::size_t column) const { return batch->at(begin + row, column); }
  bool operator==(const KeyRows&) const = default;
};

// The rows of one scan plan's batched key lookups, by key.
class KeyCache {
 public:
  // Forgets every key when the scan's other terms changed (`context`: their values).
  void use_context(const std::string& context);
  // The rows kept for `key` (maybe none); nullopt when it was never fetched.
  std::optional<KeyRows> find(const std::string& key) const;
  // The same for the key `value` is grouped under (key_text): an integer (a join on integer
  // columns, the common case, looked up once per outer row) without making its text, and the
  // integer key fetched after the one found last (the outer scan's next key, most often: a
  // fetch asks for keys in the order its rows hold them) by one comparison.
  std::optional<KeyRows> find_value(const Value& value);
  bool has(const std::string& key) const { return by_text_.contains(key); }
  // How many keys the next fetch asks for: the rows per key of the last one bound it, so one
  // fetch holds about kFetchRows rows.
  std::size_t batch_keys() const noexcept { return next_keys_; }
  // Keeps the rows of one fetch for `keys`, grouped by the value at `key_slot`.
  void store(const std::vector<std::string>& keys, const std::vector<Batch>& fetched, std::size_t key_slot);
  // The rows of the last fetch (null before the first): what a scan nested in one served from
  // here reads next.
  const std::shared_ptr<const Batch>& last_fetch() const noexcept { return last_; }

  static constexpr std::size_t kFirstKeys = 100;
  static constexpr std::size_t kMaxKeys = 1000;
  static constexpr std::size_t kFetchRows = 50000;
  // Rows and keys kept: past it, a fetch forgets the earlier ones.
  static constexpr std::size_t kMaxKeptRows = 200000;

 private:
  // A key's rows: `count` rows of fetches_[fetch] from `begin`.
  struct Run {
    std::uint32_t fetch = 0, begin = 0, count = 0;
  };
  // A key kept, in the order the keys were fetched.
  struct Entry {
    Run run;
    bool is_integer = false;
    std::int64_t integer = 0;
  };
  KeyRows rows_of(std::size_t entry) const;
  void forget();

  std::string context_;
  std::vector<std::shared_ptr<const Batch>> fetches_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::uint32_t> by_text_;  // key → entry
  IntegerMap<std::uint32_t> by_integer_;                    // the integer keys again, by value
  std::size_t next_ = 0;                                    // the entry after the one found last
  std::shared_ptr<const Batch> last_;
  std::size_t kept_ = 0;
  std::size_t next_keys_ = kFirstKeys;
};

// Serves `cursor` the rows of its join key from a batched lookup when the key is a cell of
// another open scan (`open`); false when it is not (then the scan sends its own query).
// `arguments` are the plan's term values as the remote takes them; `given(t)` is term t's value
// as SQLite gave it, asked for only when its key is not kept yet.
bool read_by_key_batch(ScanCursor& cursor, const std::vector<ScanCursor*>& open, int plan_index,
                       const std::vector<TermArgument>& arguments, const std::function<Rhs(std::size_t)>& given);

}  // namespace weir::query
