// The fixture every conformance test derives from, and helpers shared by the topic files.
//
//   WEIR_CONFORMANCE_SUITE(ConformanceBulk);      // a fixture class, instantiated per context
//   TEST_P(ConformanceBulk, UpsertUpdatesRows) { auto t = create_table("up", "…"); … }
//
// SetUp() skips a test the context lists (with its reason) and opens a connection; TearDown()
// rolls back what a failed test left open and drops every table the test created.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "conformance/driver_context.hpp"
#include "support/test_support.hpp"
#include "weir/batch.hpp"
#include "weir/db/connection.hpp"
#include "weir/error.hpp"
#include "weir/value.hpp"

namespace weir {
// Readable gtest output for weir values and kinds.
inline void PrintTo(const Value& v, std::ostream* os) {
  *os << to_string(v.type());
  if (!v.is_null()) *os << " `" << v.to_text() << "`";
}
inline void PrintTo(ErrorKind kind, std::ostream* os) { *os << to_string(kind); }
inline void PrintTo(Type type, std::ostream* os) { *os << to_string(type); }
}  // namespace weir

namespace weir::conformance {

using Row = std::vector<Value>;
using Rows = std::vector<Row>;

class ConformanceTest : public ::testing::TestWithParam<DriverContext> {
 protected:
  void SetUp() override;
  void TearDown() override;

  const DriverContext& ctx() const { return GetParam(); }
  db::Connection& conn() { return *conn_; }
  const db::Dialect& dialect() const { return conn_->dialect(); }

  // Quoted identifier / the i-th (1-based) placeholder / "p1, p2, …, pn".
  std::string q(std::string_view identifier) const { return dialect().quote_identifier(identifier); }
  // The column type weir creates for `type` when the source says nothing more of it.
  std::string column_type(Type type) const {
    Column column;
    column.type = type;
    return dialect().column_type(column);
  }
  std::string p(std::size_t index) const { return dialect().placeholder(index); }
  std::string placeholders(std::size_t count, std::size_t first = 1) const;

  // CREATE TABLE <unique name from prefix> (<columns_sql>); dropped in TearDown. Returns the
  // unquoted name.
  std::string create_table(std::string_view prefix, std::string_view columns_sql);
  // The same with a given (unquoted) name, e.g. one with awkward characters.
  void create_table_named(const std::string& name, std::string_view columns_sql);
  // Registers a table created by other means for dropping in TearDown.
  void drop_later(const std::string& name) { tables_.push_back(name); }

  // All rows of a query.
  Rows rows(std::string_view sql, std::span<const Value> params = {});
  Rows rows(db::Connection& c, std::string_view sql, std::span<const Value> params = {});
  // The single value of a one-row, one-column query.
  Value scalar(std::string_view sql, std::span<const Value> params = {});
  std::int64_t count_rows(const std::string& table);
  std::int64_t count_rows(db::Connection& c, const std::string& table);

  // INSERT INTO table (columns) VALUES (placeholders), bound to `values`.
  std::uint64_t insert(const std::string& table, const std::vector<std::string>& columns,
                       std::vector<Value> values);
  // One batch through a fresh bulk writer; returns finish(), or the rows it wrote.
  db::WriteCounts bulk_counts(db::WriteMode mode, const std::string& table, const std::vector<std::string>& columns,
                              const Rows& data, const std::vector<std::string>& key = {});
  std::uint64_t bulk(db::WriteMode mode, const std::string& table, const std::vector<std::string>& columns,
                     const Rows& data, const std::vector<std::string>& key = {}) {
    return bulk_counts(mode, table, columns, data, key).written();
  }

  // Skips the current test (and returns false) when the driver lacks `type`.
  bool require_type(Type type);

  std::unique_ptr<db::Connection> conn_;

 private:
  std::vector<std::string> tables_;
};

// A batch whose schema has `columns` (type null: "any") holding `data`.
Batch make_batch(const std::vector<std::string>& columns, const Rows& data);

// Runs fn; returns the weir::Error it threw, or nullopt when it threw nothing. Any other
// exception propagates and fails the test.
template <class F>
std::optional<Error> error_from(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

// Decimal text without insignificant zeros ("12.50" → "12.5", "-0.0" → "0", "7." → "7").
std::string normalize_decimal(std::string_view text);
// JSON text without whitespace outside strings.
std::string compact_json(std::string_view text);
// Equality as a round trip through `type` must preserve it (decimal and json normalised).
bool same_value(Type type, const Value& want, const Value& got);

bool contains(std::string_view haystack, std::string_view needle);
bool icontains(std::string_view haystack, std::string_view needle);

}  // namespace weir::conformance

// Declares the fixture `suite` and runs its tests against every context.
#define WEIR_CONFORMANCE_SUITE(suite)                                                     \
  class suite : public ::weir::conformance::ConformanceTest {};                          \
  INSTANTIATE_TEST_SUITE_P(Drivers, suite,                                                \
                           ::testing::ValuesIn(::weir::conformance::all_contexts()),     \
                           ::weir::conformance::context_name)
