// What of a statement's WHERE, LIMIT and OFFSET a remote table's scan sends to its database,
// decided term by term, and the remote query built from it. Pure logic: no SQLite, no
// connection, so every rule is unit-tested (tests/unit/query/pushdown_test.cpp).
//
// The statement is evaluated by the embedded SQLite under SQLite's rules; a term reaches the
// remote database only where the remote's answer is the same set of rows (`exact`: SQLite need
// not check it again) or a set that cannot lose any (`filter`: SQLite re-checks each row). The
// rules, per column type and right-hand side known when planning (a literal) or not (a join
// key, a parameter):
//
//   IS NULL, IS NOT NULL                 any type                 exact
//   = <> < <= > >=  integer literal      int64                    exact
//   = <>            0 or 1               boolean                  exact
//   = <> < <= > >=  canonical ISO text   date, time, timestamp(tz) exact (the text order is the time order)
//   = <> < <= > >=  number               decimal                  filter (SQLite compares exactly too)
//   = < <= > >=     number               float64                  filter (NaN)
//   =, IN           text                 text                     filter (case-insensitive or padding collations)
//   < <= > >=       text                 text                     filter, only where the dialect names a
//                                                                 byte-order collation (PostgreSQL "C")
//   =, IN           unknown (join key)   the types above          filter (the value's class is seen only later)
//   = <> < <= > >=  canonical uuid text  uuid                     exact (lowercase hex: text order is uuid order)
//   =               other uuid text      uuid                     filter
//   LIKE            text                 text                     filter, where the remote's LIKE finds a superset
//
// An IN list goes as `col = ANY($1)` (one array parameter) where the remote takes arrays
// (PostgreSQL), as `col IN (?, ?, …)` elsewhere.
//   anything else (GLOB, functions, json, bytes, intervals) not pushed
//
// ORDER BY goes to the remote when each term's column orders there as in SQLite: integers,
// decimals, floats and booleans everywhere; text where the dialect names a byte-order collation
// (PostgreSQL "C", SQLite BINARY); dates, times, timestamps and uuids where values are typed
// (PostgreSQL, MySQL); NULLs placed as SQLite places them (PostgreSQL: NULLS FIRST/LAST written).
// LIMIT goes to the remote only when every other term of the scan is exact and SQLite asks for
// no order or the order is sent, and then as LIMIT n+offset: SQLite still applies OFFSET and
// LIMIT to what comes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "weir/db/catalog.hpp"
#include "weir/db/dialect.hpp"
#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir::query {

enum class Op : std::uint8_t { eq, ne, lt, le, gt, ge, is_null, is_not_null, in, like, limit, offset, other };

// What SQLite knows of a term's right-hand side when planning: its storage class, and its text
// (numbers as text) when it is a literal.
enum class RhsKind : std::uint8_t { unknown, null, integer, real, text, blob };
struct Rhs {
  RhsKind kind = RhsKind::unknown;
  std::string text;
};

enum class Pushed : std::uint8_t { no, filter, exact };

// What the remote database can do besides what every SQL database does.
struct RemoteTraits {
  bool byte_order_text = false;  // the dialect can compare text in byte (code point) order
  // A LIKE whose matches include every match of SQLite's (ASCII case folded): PostgreSQL's
  // ILIKE (all case folded, no escape character), a SQLite file's LIKE; none on MySQL, whose
  // LIKE follows the column's collation (case-sensitive under a binary one).
  bool like = false;
  // ORDER BY on typed values (dates, decimals, uuids … ordered by value as SQLite orders their
  // text): PostgreSQL and MySQL; a SQLite file holds them as whatever text or number was written.
  bool typed_order = false;
};

// An ORDER BY term SQLite offers a scan: a column, descending or not, NULLs where SQLite puts
// them (first ascending, last descending: SQLite offers no other placement).
struct OrderTerm {
  int column = -1;
  bool desc = false;
  bool operator==(const OrderTerm&) const = default;
};

// Whether a term `column op rhs` goes to the remote, and how.
Pushed decide(const Column& column, Op op, const Rhs& rhs, const RemoteTraits& remote);

// A constraint as SQLite offers it to xBestIndex.
struct Offered {
  int column = -1;  // for limit and offset: unused
  Op op = Op::other;
  bool usable = true;
  Rhs rhs;
};

struct PushedTerm {
  int constraint = 0;  // index into the offered constraints
  int column = 0;
  Op op = Op::eq;
  bool exact = false;
  // `=` a value SQLite knows only when scanning (the other side of a join): the term a scan
  // nested in another may batch, fetching the rows of many keys in one query (key_batches.hpp).
  bool key = false;
};

// One way to scan a remote table: the terms sent (argv order), the columns fetched.
struct ScanPlan {
  std::vector<int> columns;         // fetched, ascending; the others read as NULL
  std::vector<PushedTerm> terms;    // argv 1..n
  std::vector<OrderTerm> order;     // the ORDER BY sent (SQLite need not sort), or none
  std::optional<int> limit;         // argv index (1-based) of LIMIT, when pushed
  std::optional<int> offset;        // argv index of OFFSET, when LIMIT is pushed with one
  double estimated_rows = 0;
  bool unique = false;  // `=` on the table's one-column primary key: one row at most
};

// The plan for one xBestIndex call. `used` has bit i set when column i is read (bit 63: any
// column from 63 on); `order` is the order SQLite asks for, sent when the remote orders every
// term's values as SQLite does.
// `unique_column`: the table's one-column primary key, -1 for none.
ScanPlan plan_scan(const std::vector<Column>& columns, const std::vector<Offered>& offered, std::uint64_t used,
                   const std::vector<OrderTerm>& order, std::optional<std::int64_t> row_estimate,
                   const RemoteTraits& remote, int unique_column = -1);

// A term's value(s) at run time, converted to the column's type; nullopt where the value cannot
// be sent as that type (then a filter term is left out; an exact one never meets this).
struct TermArgument {
  std::vector<std::optional<Value>> values;  // one, or an IN list's
};

struct RemoteQuery {
  std::string sql;
  std::vector<Value> params;
};

// SELECT the plan's columns FROM table WHERE … LIMIT …, values bound, names quoted by `dialect`.
RemoteQuery build_remote_query(const db::Dialect& dialect, const db::TableRef& table,
                               const std::vector<Column>& columns, const ScanPlan& plan,
                               const std::vector<TermArgument>& arguments, std::optional<std::int64_t> limit,
                               std::optional<std::int64_t> offset);

// A SQLite value (its class and text) as a value of the column's type, as the remote compares
// it; nullopt when it is not one (text in an integer column, a date that does not parse).
std::optional<Value> to_column_value(const Column& column, RhsKind kind, const std::string& text);

// What the plan sends, for EXPLAIN QUERY PLAN: "columns id, total; id = ? exact; name = ? recheck; LIMIT".
std::string describe(const ScanPlan& plan, const std::vector<Column>& columns);

// "=", "IS NULL", "IN" …
std::string_view to_string(Op op) noexcept;

}  // namespace weir::query
