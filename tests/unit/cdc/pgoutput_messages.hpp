// pgoutput messages built byte by byte as PostgreSQL's documentation lays them out ("Logical
// Replication Message Formats"), for the decoder's and the batcher's tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/postgres/wire_buffer.hpp"

namespace weir::test::pgoutput {

class Message {
 public:
  explicit Message(char kind) { out_.put_u8(static_cast<std::uint8_t>(kind)); }
  Message& u8(std::uint8_t v) { return out_.put_u8(v), *this; }
  Message& u16(std::uint16_t v) { return out_.put_i16(static_cast<std::int16_t>(v)), *this; }
  Message& u32(std::uint32_t v) { return out_.put_i32(static_cast<std::int32_t>(v)), *this; }
  Message& u64(std::uint64_t v) { return out_.put_i64(static_cast<std::int64_t>(v)), *this; }
  Message& str(std::string_view s) {
    out_.put_bytes(s);
    return u8(0);
  }
  Message& bytes(std::string_view b) { return out_.put_bytes(b), *this; }
  std::string take() const { return std::string(out_.view()); }
  operator std::string() const { return take(); }
  operator std::string_view() const { return out_.view(); }

 private:
  db::postgres::WireBuffer out_;
};

// A column of TupleData: text, NULL (nullopt) or unchanged TOAST ("\x01u").
inline const std::string kUnchanged = "\x01u";
using Tuple = std::vector<std::optional<std::string>>;

inline Message& tuple(Message& m, const Tuple& cells) {
  m.u16(static_cast<std::uint16_t>(cells.size()));
  for (const auto& cell : cells) {
    if (!cell) m.u8('n');
    else if (*cell == kUnchanged) m.u8('u');
    else m.u8('t').u32(static_cast<std::uint32_t>(cell->size())).bytes(*cell);
  }
  return m;
}

// 2026-12-06 10:00:00.123456 UTC in microseconds since 2000-01-01.
constexpr std::int64_t kCommitTime = 849'866'400'123'456;

inline std::string begin(std::uint64_t final_lsn, std::uint32_t xid) {
  return Message('B').u64(final_lsn).u64(kCommitTime).u32(xid);
}
inline std::string commit(std::uint64_t commit_lsn, std::uint64_t end_lsn) {
  return Message('C').u8(0).u64(commit_lsn).u64(end_lsn).u64(kCommitTime);
}
struct Col {
  std::string name;
  std::uint32_t type;
  bool key = false;
  std::int32_t typmod = -1;
};
inline std::string relation(std::uint32_t id, std::string_view schema, std::string_view name,
                            const std::vector<Col>& columns, char identity = 'd') {
  Message m('R');
  m.u32(id).str(schema).str(name).u8(static_cast<std::uint8_t>(identity)).u16(static_cast<std::uint16_t>(columns.size()));
  for (const Col& c : columns) m.u8(c.key ? 1 : 0).str(c.name).u32(c.type).u32(static_cast<std::uint32_t>(c.typmod));
  return m;
}
inline std::string insert(std::uint32_t relation, const Tuple& row) {
  Message m('I');
  m.u32(relation).u8('N');
  return tuple(m, row);
}
// An update; `old_kind` 'K' or 'O' with `old_row`, or 0 for none.
inline std::string update(std::uint32_t relation, const Tuple& row, char old_kind = 0, const Tuple& old_row = {}) {
  Message m('U');
  m.u32(relation);
  if (old_kind) tuple(m.u8(static_cast<std::uint8_t>(old_kind)), old_row);
  m.u8('N');
  return tuple(m, row);
}
inline std::string remove(std::uint32_t relation, const Tuple& old_row, char old_kind = 'K') {
  Message m('D');
  m.u32(relation).u8(static_cast<std::uint8_t>(old_kind));
  return tuple(m, old_row);
}
inline std::string truncate(const std::vector<std::uint32_t>& relations, std::uint8_t options = 0) {
  Message m('T');
  m.u32(static_cast<std::uint32_t>(relations.size())).u8(options);
  for (std::uint32_t r : relations) m.u32(r);
  return m;
}

}  // namespace weir::test::pgoutput
