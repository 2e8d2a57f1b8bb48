#include "cdc/decoded_change.hpp"

#include <fmt/format.h>

#include <cstring>
#include <type_traits>

#include "db/postgres/binary_codec.hpp"
#include "db/postgres/types.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

// Cell tags of a record: what the server sent, then the Value's type for a value.
constexpr std::uint8_t kNullCell = 0, kUnsentCell = 1, kValueCell = 2;

// A value in binary form (START_REPLICATION … binary 'true'), read as its text form would be.
void read_binary(const Cell& cell, const RelationColumn& column, Value& out) {
  if (auto codec = db::postgres::BinaryCodec::for_type(column.type)) return codec->decode(cell.data, out);
  throw Error(ErrorKind::data, fmt::format("pgoutput: column `{}` (type OID {}) came in binary form, which weir "
                                           "does not read for its type; set `binary: off` (or `auto`)",
                                           column.name, column.type));
}

// Host byte order: a record is read back by the process that wrote it.
template <class T>
  requires std::is_trivially_copyable_v<T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_text(std::string& out, std::string_view text) {
  put(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

void put_value(std::string& out, const Value& value) {
  const Type type = value.type();
  put(out, static_cast<std::uint8_t>(type));
  switch (type) {
    case Type::null: return;
    case Type::boolean: return put(out, static_cast<std::uint8_t>(value.as_bool()));
    case Type::int64: return put(out, value.as_int());
    case Type::float64: return put(out, value.as_double());
    case Type::decimal: return put_text(out, value.get<Decimal>().text);
    case Type::text: return put_text(out, value.as_text());
    case Type::bytes: return put_text(out, value.get<Bytes>().data);
    case Type::date: return put(out, value.get<Date>());
    case Type::time: return put(out, value.get<Time>());
    case Type::timestamp: return put(out, value.get<Timestamp>());
    case Type::timestamptz: return put(out, value.get<TimestampTz>());
    case Type::interval: return put(out, value.get<Interval>());
    case Type::uuid: return put(out, value.get<Uuid>());
    case Type::json: return put_text(out, value.get<Json>().text);
    case Type::array: {
      const auto& items = value.get<Array>().items;
      put(out, static_cast<std::uint32_t>(items.size()));
      for (const Value& item : items) put_value(out, item);
      return;
    }
  }
}

void put_tuple(std::string& out, const std::vector<Cell>& cells, const std::vector<RelationColumn>& columns,
               Value& scratch) {
  put(out, static_cast<std::uint16_t>(cells.size()));
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (cells[c].kind == CellKind::null) {
      put(out, kNullCell);
    } else if (cells[c].kind == CellKind::unchanged || c >= columns.size()) {
      put(out, kUnsentCell);  // a cell past the columns fails the batcher's width check anyway
    } else {
      read_cell(cells[c], columns[c], scratch);
      put(out, kValueCell);
      put_value(out, scratch);
    }
  }
}

class RecordReader {
 public:
  explicit RecordReader(std::string_view bytes) : bytes_(bytes) {}

  template <class T>
    requires std::is_trivially_copyable_v<T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  std::string_view text() {
    const auto n = get<std::uint32_t>();
    return {take(n), n};
  }
  void value(Value& out) {
    switch (static_cast<Type>(get<std::uint8_t>())) {
      case Type::null: return out.set_null();
      case Type::boolean: return out.set_bool(get<std::uint8_t>() != 0);
      case Type::int64: return out.set_int(get<std::int64_t>());
      case Type::float64: return out.set_double(get<double>());
      case Type::decimal: return out.set_decimal(text());
      case Type::text: return out.set_text(text());
      case Type::bytes: return out.set_bytes(text());
      case Type::date: out = get<Date>(); return;
      case Type::time: out = get<Time>(); return;
      case Type::timestamp: out = get<Timestamp>(); return;
      case Type::timestamptz: out = get<TimestampTz>(); return;
      case Type::interval: out = get<Interval>(); return;
      case Type::uuid: out = get<Uuid>(); return;
      case Type::json: return out.set_json(text());
      case Type::array: {
        Array array;
        array.items.resize(get<std::uint32_t>());
        for (Value& item : array.items) value(item);
        out = std::move(array);
        return;
      }
    }
    damaged();
  }
  void tuple(DecodedTuple& out) {
    const auto n = get<std::uint16_t>();
    out.values.resize(n);
    out.sent.assign(n, 1);
    for (std::size_t c = 0; c < n; ++c) {
      switch (get<std::uint8_t>()) {
        case kNullCell: out.values[c].set_null(); break;
        case kUnsentCell: out.values[c].set_null(), out.sent[c] = 0; break;
        case kValueCell: value(out.values[c]); break;
        default: damaged();
      }
    }
  }
  void expect_end() const {
    if (pos_ != bytes_.size()) damaged();
  }

 private:
  const char* take(std::size_t n) {
    if (bytes_.size() - pos_ < n) damaged();
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  [[noreturn]] void damaged() const {
    throw Error(ErrorKind::storage, fmt::format("a streamed transaction's temporary file holds a damaged change "
                                                "({} bytes, at byte {})",
                                                bytes_.size(), pos_));
  }

  std::string_view bytes_;
  std::size_t pos_ = 1;  // after the kind
};

}  // namespace

bool read_cell(const Cell& cell, const RelationColumn& column, Value& out) {
  switch (cell.kind) {
    case CellKind::null: out.set_null(); return true;
    case CellKind::unchanged: out.set_null(); return false;
    case CellKind::text: db::postgres::read_text(cell.data, column.type, out); return true;
    case CellKind::binary: read_binary(cell, column, out); return true;
  }
  return false;
}

void encode_change(const ChangeMessage& change, const std::vector<RelationColumn>& columns, std::string& out) {
  const std::size_t start = out.size();
  try {
    thread_local Value scratch;  // each cell read into it: a string's buffer is kept from one to the next
    put(out, kDecodedChangeKind);
    put(out, static_cast<std::uint8_t>(change.op));
    put(out, change.relation);
    put(out, change.old_kind);
    if (change.old_kind != 0 || change.op == ChangeOp::remove) put_tuple(out, change.old_tuple, columns, scratch);
    if (change.op != ChangeOp::remove) put_tuple(out, change.new_tuple, columns, scratch);
  } catch (...) {
    out.resize(start);
    throw;
  }
}

void decode_change(std::string_view record, DecodedChange& out) {
  RecordReader in(record);
  out.op = static_cast<ChangeOp>(in.get<std::uint8_t>());
  out.relation = in.get<std::uint32_t>();
  out.old_kind = in.get<char>();
  if (out.old_kind != 0 || out.op == ChangeOp::remove) in.tuple(out.old_tuple);
  else out.old_tuple.values.clear(), out.old_tuple.sent.clear();
  if (out.op != ChangeOp::remove) in.tuple(out.new_tuple);
  else out.new_tuple.values.clear(), out.new_tuple.sent.clear();
  in.expect_end();
}

}  // namespace weir::cdc
