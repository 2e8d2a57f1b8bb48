// weir::db::Dialect — how one database spells SQL.
//
// Shared SQL writers (db/common/sql_writer) ask the dialect for quoting, placeholders and
// upsert syntax, so no code above the drivers switches on a driver's name.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "weir/db/catalog.hpp"
#include "weir/value.hpp"

namespace weir::db {

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string_view name() const noexcept = 0;
  // Quotes one identifier, doubling embedded quote characters ("a""b" / `a``b`).
  virtual std::string quote_identifier(std::string_view identifier) const;
  // The placeholder of the 1-based parameter `index`: "?" or "$1".
  virtual std::string placeholder(std::size_t index) const = 0;
  // The clause after INSERT … VALUES (…) that turns it into an upsert on `key`, updating
  // `update_columns` (empty: do nothing on conflict).
  virtual std::string upsert_clause(std::span<const std::string> key,
                                    std::span<const std::string> update_columns) const;
  // The native column type weir creates for `column`: one that holds every value of its
  // logical type, narrowed to the source's precision, scale, length or bits where known.
  virtual std::string column_type(const Column& column) const = 0;
  // What follows CREATE TABLE's column list ("" or " DEFAULT CHARSET=utf8mb4 …").
  virtual std::string_view table_options() const noexcept { return ""; }
  // What turns a statement into its query plan ("EXPLAIN ", "EXPLAIN QUERY PLAN ").
  virtual std::string_view explain_prefix() const noexcept { return "EXPLAIN "; }

  std::string quote_table(const TableRef& table) const;
  // The identifiers quoted and joined by ", ": a column list.
  std::string quote_identifiers(std::span<const std::string> identifiers) const;
};

}  // namespace weir::db
