// The pgoutput decoder (cdc/pgoutput_decoder): the XLogData payloads a replication slot streams,
// as postgres_cdc hands them to PgOutputDecoder::decode, one decoder for the whole stream.
//
// The input is a run of messages, each after its length in two big-endian bytes (the last one
// takes whatever is left, short or not), decoded in order by one decoder, so that its state (a
// streamed block open or not) carries from one message to the next as on a connection.
//
// Invariants: a message decodes or throws Error{data}; a change's cells lie inside the message,
// empty when NULL or unchanged; outside a streamed block, a message of protocol version 1 encoded
// again from what was decoded has the original's length (every byte accounted for) and decodes
// to values that encode the same (nothing decoded depends on bytes the decoder skipped). Only the
// decoder's public entry point is used: the streamed messages' layout is the decoder's to change.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <string>
#include <string_view>

#include "cdc/pgoutput_decoder.hpp"
#include "fuzz_check.hpp"

namespace weir::fuzz {
namespace {

using cdc::Cell;
using cdc::CellKind;
using cdc::MessageKind;
using cdc::PgOutputDecoder;

// Writes a message as PostgreSQL's documentation lays it out ("Logical Replication Message
// Formats"), from what the decoder read.
class Encoder {
 public:
  explicit Encoder(char kind) { u8(static_cast<std::uint8_t>(kind)); }
  Encoder& u8(std::uint8_t v) { return out_.push_back(static_cast<char>(v)), *this; }
  Encoder& u16(std::uint16_t v) { return u8(v >> 8).u8(v & 0xFF); }
  Encoder& u32(std::uint32_t v) { return u16(static_cast<std::uint16_t>(v >> 16)).u16(v & 0xFFFF); }
  Encoder& u64(std::uint64_t v) { return u32(static_cast<std::uint32_t>(v >> 32)).u32(v & 0xFFFF'FFFF); }
  Encoder& timestamp(std::int64_t unix_micros) {
    // The decoder refuses a time whose shift to the Unix epoch would overflow.
    return u64(static_cast<std::uint64_t>(unix_micros - cdc::kPostgresEpochMicros));
  }
  Encoder& str(std::string_view s) { return bytes(s).u8(0); }
  Encoder& bytes(std::string_view b) { return out_.append(b), *this; }
  Encoder& tuple(const std::vector<Cell>& cells) {
    u16(static_cast<std::uint16_t>(cells.size()));
    for (const Cell& cell : cells) {
      switch (cell.kind) {
        case CellKind::null: u8('n'); break;
        case CellKind::unchanged: u8('u'); break;
        case CellKind::text:
        case CellKind::binary:
          u8(cell.kind == CellKind::text ? 't' : 'b').u32(static_cast<std::uint32_t>(cell.data.size())).bytes(cell.data);
          break;
      }
    }
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string encode_change(const cdc::ChangeMessage& c) {
  char kind = c.op == ChangeOp::insert ? 'I' : c.op == ChangeOp::update ? 'U' : 'D';
  Encoder out(kind);
  out.u32(c.relation);
  if (c.old_kind != 0) out.u8(static_cast<std::uint8_t>(c.old_kind)).tuple(c.old_tuple);
  if (kind != 'D') out.u8('N').tuple(c.new_tuple);
  return out.take();
}

// The message `kind` of protocol version 1 that `d` decoded last, encoded; empty for the others.
std::string encode(const PgOutputDecoder& d, MessageKind kind) {
  switch (kind) {
    case MessageKind::begin:
      return Encoder('B').u64(d.begin().final_lsn).timestamp(d.begin().commit_time).u32(d.begin().xid).take();
    case MessageKind::commit:
      return Encoder('C').u8(0).u64(d.commit().commit_lsn).u64(d.commit().end_lsn).timestamp(d.commit().commit_time).take();
    case MessageKind::origin: return Encoder('O').u64(d.origin().lsn).str(d.origin().name).take();
    case MessageKind::relation: {
      const cdc::RelationMessage& r = d.relation();
      Encoder out('R');
      out.u32(r.id).str(r.schema).str(r.name).u8(static_cast<std::uint8_t>(r.replica_identity));
      out.u16(static_cast<std::uint16_t>(r.columns.size()));
      for (const cdc::RelationColumn& c : r.columns)
        out.u8(c.key ? 1 : 0).str(c.name).u32(c.type).u32(static_cast<std::uint32_t>(c.type_modifier));
      return out.take();
    }
    case MessageKind::type: return Encoder('Y').u32(d.type().oid).str(d.type().schema).str(d.type().name).take();
    case MessageKind::change: return encode_change(d.change());
    case MessageKind::truncate: {
      const cdc::TruncateMessage& t = d.truncate();
      Encoder out('T');
      out.u32(static_cast<std::uint32_t>(t.relations.size()));
      out.u8(static_cast<std::uint8_t>((t.cascade ? 1 : 0) | (t.restart_identity ? 2 : 0)));
      for (std::uint32_t relation : t.relations) out.u32(relation);
      return out.take();
    }
    case MessageKind::message: {
      const cdc::LogicalMessage& m = d.message();
      return Encoder('M')
          .u8(m.transactional ? 1 : 0)
          .u64(m.lsn)
          .str(m.prefix)
          .u32(static_cast<std::uint32_t>(m.content.size()))
          .bytes(m.content)
          .take();
    }
    default: return {};
  }
}

bool inside(std::string_view part, std::string_view whole) {
  auto begin = reinterpret_cast<std::uintptr_t>(whole.data());
  auto p = reinterpret_cast<std::uintptr_t>(part.data());
  return p >= begin && p + part.size() <= begin + whole.size();
}

void check_cells(const std::vector<Cell>& cells, std::string_view message) {
  for (const Cell& cell : cells) {
    if (cell.kind == CellKind::null || cell.kind == CellKind::unchanged)
      require(cell.data.empty(), "a NULL or unchanged cell with data");
    else
      require(cell.data.empty() || inside(cell.data, message), "a cell's data outside its message");
  }
}

void round_trip(const PgOutputDecoder& d, MessageKind kind, std::string_view message) {
  std::string encoded = encode(d, kind);
  if (encoded.empty()) return;
  require(encoded.size() == message.size(),
          fmt::format("a message of {} bytes encodes again to {} bytes", message.size(), encoded.size()));
  PgOutputDecoder again;
  try {
    require(again.decode(encoded) == kind, "a message encoded again decodes to another kind");
  } catch (const Error& e) {
    require(false, fmt::format("a message encoded again does not decode: {}", e.what()));
  }
  require(encode(again, kind) == encoded, "a message encoded again decodes to other values");
}

void decode(PgOutputDecoder& d, std::string_view message, bool& in_stream) {
  MessageKind kind;
  try {
    kind = d.decode(message);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::data});
    return;
  }
  if (kind == MessageKind::change) {
    check_cells(d.change().old_tuple, message);
    check_cells(d.change().new_tuple, message);
  }
  if (kind == MessageKind::stream_start) in_stream = true;
  if (kind == MessageKind::stream_stop) in_stream = false;
  if (!in_stream) round_trip(d, kind, message);
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  weir::cdc::PgOutputDecoder decoder;
  bool in_stream = false;
  while (input.size() >= 2) {
    std::size_t length = static_cast<std::uint8_t>(input[0]) << 8 | static_cast<std::uint8_t>(input[1]);
    input.remove_prefix(2);
    // A copy the size of the message, so that ASan sees any read past its end.
    std::string message(input.substr(0, length));
    input.remove_prefix(std::min(length, input.size()));
    weir::fuzz::decode(decoder, message, in_stream);
  }
  return 0;
}
