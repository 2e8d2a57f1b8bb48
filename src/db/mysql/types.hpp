// MySQL/MariaDB ↔ weir value mapping over the binary protocol, both directions.
//
// Result columns are bound by their field type: integers as 64-bit, floats as double,
// temporal types as MYSQL_TIME, everything else (DECIMAL included, so it stays exact) as
// bytes. TINYINT(1) is boolean; BIGINT UNSIGNED beyond int64 becomes an exact decimal;
// binary-collated strings are bytes; JSON (and MariaDB's UUID, known from its extended
// metadata) are json (uuid). The session runs in UTC, so TIMESTAMP is timestamptz.
#pragma once

#include <mysql.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "weir/batch.hpp"
#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir::db::mysql {

// Logical type and SQL type name of a result field.
Column column_of(const MYSQL_FIELD& field);
// The logical type of a column from information_schema.columns (DATA_TYPE, COLUMN_TYPE), the
// same mapping column_of applies to result fields. MariaDB's JSON is LONGTEXT there: the
// caller recognises it by its CHECK (json_valid(…)).
Type logical_type(std::string_view data_type, std::string_view column_type) noexcept;
// Representative result fields and what column_of makes of them: docs/types.md lists these,
// and a unit test checks each against column_of.
struct FieldDoc {
  enum_field_types field;
  unsigned flags;
  unsigned long length;
  unsigned charset;
  std::string_view native;
  Type type;
};
std::span<const FieldDoc> documented_fields() noexcept;
// Its part of docs/types.md (Driver::types_reference), from the table above.
std::string types_reference_markdown();

// Throws Error{data} naming the column and row of a value no MySQL or MariaDB column can
// hold: a NaN or infinite double (DOUBLE has neither).
void check_storable(const Batch& batch, std::span<const std::string> columns);

// The SQL type weir uses when it creates `column` (see Dialect::column_type).
std::string column_type(const Column& column);
// Why that column would not hold every value of `column` exactly (see Dialect::cannot_hold).
std::optional<std::string> cannot_hold(const Column& column);

// Output buffers for one result row, bound to a statement.
class ResultBinder {
 public:
  ResultBinder(MYSQL_FIELD* fields, unsigned count, bool zero_dates_as_null);
  MYSQL_BIND* binds() noexcept { return binds_.data(); }
  // After mysql_stmt_fetch: re-fetches truncated columns, then converts every cell.
  void read_row(MYSQL_STMT* stmt, std::span<Value> out);

 private:
  struct Cell {
    std::string name;  // the column's, for errors
    enum_field_types field_type;
    Type type;
    bool is_unsigned = false;
    std::string data;
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool error = 0;
    long long integer = 0;
    double real = 0;
    MYSQL_TIME time{};
  };
  void read_cell(const Cell& cell, Value& out) const;

  std::vector<Cell> cells_;
  std::vector<MYSQL_BIND> binds_;
  bool zero_dates_as_null_;
};

// Input buffers for statement parameters.
class ParamBinder {
 public:
  void bind(std::span<const Value> values);
  MYSQL_BIND* binds() noexcept { return binds_.data(); }

 private:
  std::vector<MYSQL_BIND> binds_;
  std::vector<std::string> texts_;
  std::vector<long long> integers_;
  std::vector<double> reals_;
  std::vector<unsigned long> lengths_;
};

}  // namespace weir::db::mysql
