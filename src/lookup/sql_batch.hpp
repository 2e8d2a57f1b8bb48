// Batched lookups: one query for many keys instead of one per record.
//
// A template of the simple shape
//
//   SELECT <list> FROM <from> WHERE … AND <column> = {{record.f}} AND …
//
// is rewritten, for n keys, to
//
//   SELECT <list>, <column> AS weir_lookup_key FROM <from> WHERE … AND <column> IN (p1, …, pn) AND …
//
// The added last column says which key each row belongs to. Only what can be rewritten with
// confidence is: exactly one template; a plain SELECT (no WITH, no set operations); the
// template compared with `=` to a (possibly qualified) column, as a top-level conjunct of
// the WHERE clause (preceded by WHERE or AND, followed by AND or the end; no OR, CASE or
// BETWEEN at that level); and nowhere in the statement anything that works across rows or
// limits them — DISTINCT, LIMIT/OFFSET/FETCH/TOP, GROUP BY, HAVING, ORDER BY, window
// functions, FOR UPDATE, INTO, aggregate calls (count( sum( …). Anything else runs once per
// distinct key; plan_batch() says why.
#pragma once

#include <optional>
#include <string>

#include "lookup/sql_template.hpp"
#include "weir/db/dialect.hpp"

namespace weir::lookup {

class BatchPlan {
 public:
  // The plan for `sql`, or nullopt with `why_not` set to a short reason ("uses LIMIT").
  static std::optional<BatchPlan> make(const SqlTemplate& sql, std::string& why_not);

  // The rewritten SQL for `count` keys, with the dialect's placeholders 1…count.
  std::string render(const db::Dialect& dialect, std::size_t count) const;
  // The statement without the key's condition, for every key at once: each row with its key
  // in the added column (a preloaded lookup).
  std::string render_all() const;
  // The column expression compared with the template, as written ("c.id").
  const std::string& key() const noexcept { return key_; }

  static constexpr std::string_view kKeyAlias = "weir_lookup_key";

 private:
  std::string head_;    // "SELECT <list>"
  std::string key_;     // "<column>"
  std::string middle_;  // " FROM … WHERE … AND " up to the predicate
  std::string tail_;    // what follows the predicate
};

}  // namespace weir::lookup
