// MySQL/MariaDB result values as ResultBinder reads them: result field metadata as the server
// describes a column, then rows as Connector/C leaves them in the bound buffers (integers,
// doubles, MYSQL_TIME, bytes). Decoded with column_of's type for the field, and the zero-date
// rule both ways.
//
// Input, read by FuzzedDataProvider: the columns (type, flags, length, decimals, charset),
// then cell after cell: a NULL flag and the buffer's contents, MYSQL_TIME fields within the
// ranges of the binary protocol's integers (what Connector/C can produce from any reply).
//
// Invariants: each value is NULL, of the column's type, or text (a TIME beyond 24 hours, a
// UUID column's value that is not one); it renders as text and JSON.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "db/mysql/types.hpp"
#include "fuzz_check.hpp"
#include "value_checks.hpp"

namespace weir::fuzz {
namespace {

constexpr enum_field_types kTypes[] = {
    MYSQL_TYPE_DECIMAL,   MYSQL_TYPE_TINY,       MYSQL_TYPE_SHORT,    MYSQL_TYPE_LONG,       MYSQL_TYPE_FLOAT,
    MYSQL_TYPE_DOUBLE,    MYSQL_TYPE_NULL,       MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_LONGLONG,  MYSQL_TYPE_INT24,
    MYSQL_TYPE_DATE,      MYSQL_TYPE_TIME,       MYSQL_TYPE_DATETIME, MYSQL_TYPE_YEAR,       MYSQL_TYPE_NEWDATE,
    MYSQL_TYPE_VARCHAR,   MYSQL_TYPE_BIT,        MYSQL_TYPE_JSON,     MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_ENUM,
    MYSQL_TYPE_SET,       MYSQL_TYPE_TINY_BLOB,  MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB,
    MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_STRING,    MYSQL_TYPE_GEOMETRY};
constexpr unsigned kCharsets[] = {63, 45, 33, 8, 224, 246};

MYSQL_FIELD field_from(FuzzedDataProvider& in) {
  MYSQL_FIELD f;
  std::memset(&f, 0, sizeof f);
  f.name = const_cast<char*>("c");
  f.type = in.PickValueInArray(kTypes);
  f.flags = in.ConsumeIntegral<unsigned>();
  f.length = in.ConsumeIntegral<unsigned long>();
  f.decimals = in.ConsumeIntegralInRange<unsigned>(0, 39);
  f.charsetnr = in.ConsumeBool() ? in.PickValueInArray(kCharsets) : in.ConsumeIntegral<unsigned>();
  return f;
}

// What Connector/C writes into a MYSQL_TIME from the protocol's fields (uint16 year, one byte
// for the others, uint32 days of a TIME and microseconds).
MYSQL_TIME time_from(FuzzedDataProvider& in) {
  MYSQL_TIME t{};
  t.year = in.ConsumeIntegral<std::uint16_t>();
  t.month = in.ConsumeIntegral<std::uint8_t>();
  t.day = in.ConsumeBool() ? in.ConsumeIntegral<std::uint8_t>() : in.ConsumeIntegral<std::uint32_t>();
  t.hour = in.ConsumeIntegral<std::uint8_t>();
  t.minute = in.ConsumeIntegral<std::uint8_t>();
  t.second = in.ConsumeIntegral<std::uint8_t>();
  t.second_part = in.ConsumeIntegral<std::uint32_t>();
  t.neg = in.ConsumeBool();
  return t;
}

// Fills bound column `b` as mysql_stmt_fetch would; false when the input has run out.
bool fill(MYSQL_BIND& b, FuzzedDataProvider& in) {
  if (in.remaining_bytes() == 0) return false;
  *b.is_null = in.ConsumeBool();
  if (*b.is_null) return true;
  switch (b.buffer_type) {
    case MYSQL_TYPE_LONGLONG: *static_cast<long long*>(b.buffer) = in.ConsumeIntegral<long long>(); break;
    case MYSQL_TYPE_DOUBLE: *static_cast<double*>(b.buffer) = in.ConsumeFloatingPoint<double>(); break;
    case MYSQL_TYPE_STRING: {
      // Within the buffer: a longer value is fetched again from the statement, which needs a server.
      std::string bytes = in.ConsumeRandomLengthString(b.buffer_length);
      std::memcpy(b.buffer, bytes.data(), bytes.size());
      *b.length = bytes.size();
      break;
    }
    default: *static_cast<MYSQL_TIME*>(b.buffer) = time_from(in);
  }
  return true;
}

void check(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool zero_dates_as_null = in.ConsumeBool();
  std::vector<MYSQL_FIELD> fields(in.ConsumeIntegralInRange<std::size_t>(1, 4));
  std::vector<Column> columns;
  for (MYSQL_FIELD& f : fields) {
    f = field_from(in);
    columns.push_back(db::mysql::column_of(f));
  }
  db::mysql::ResultBinder binder(fields.data(), static_cast<unsigned>(fields.size()), zero_dates_as_null);
  std::vector<Value> row(fields.size());
  while (true) {
    for (std::size_t c = 0; c < fields.size(); ++c)
      if (!fill(binder.binds()[c], in)) return;
    try {
      binder.read_row(nullptr, row);
    } catch (const Error& e) {
      expect_kind(e, {ErrorKind::data});
      continue;
    }
    for (std::size_t c = 0; c < row.size(); ++c) {
      const Value& v = row[c];
      require(v.is_null() || v.type() == columns[c].type || v.type() == Type::text,
              fmt::format("a {} column (field type {}) read a {} value", to_string(columns[c].type),
                          static_cast<int>(fields[c].type), to_string(v.type())));
      render(v);
    }
  }
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check(data, size);
  return 0;
}
