#include "cdc/pgoutput_decoder.hpp"

#include <fmt/format.h>

#include "db/postgres/wire_buffer.hpp"
#include "weir/error.hpp"

namespace weir::cdc {

using db::postgres::load16;
using db::postgres::load32;
using db::postgres::load64;

// Bounds-checked big-endian reads over one message.
class PgOutputDecoder::Reader {
 public:
  Reader(std::string_view bytes, char kind) : bytes_(bytes), kind_(kind) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(*take(1)); }
  std::uint16_t u16() { return load16(take(2)); }
  std::uint32_t u32() { return load32(take(4)); }
  std::uint64_t u64() { return load64(take(8)); }
  // Microseconds since PostgreSQL's epoch, as microseconds since the Unix epoch.
  std::int64_t timestamp() {
    std::int64_t unix_micros;
    if (__builtin_add_overflow(static_cast<std::int64_t>(u64()), kPostgresEpochMicros, &unix_micros))
      fail("a time out of range");
    return unix_micros;
  }
  // A count of items read from the message, each at least `min_size` bytes: checked against the
  // bytes left before anything is sized by it, so a damaged count cannot ask for gigabytes.
  std::size_t count(std::size_t n, std::size_t min_size, std::string_view items) {
    std::size_t left = bytes_.size() - pos_;
    if (n > left / min_size) fail(fmt::format("{} {} in {} bytes", n, items, left));
    return n;
  }
  std::string_view bytes(std::size_t n) { return {take(n), n}; }
  // A NUL-terminated string.
  std::string_view string() {
    std::size_t end = bytes_.find('\0', pos_);
    if (end == std::string_view::npos) fail("a string without its terminating NUL");
    std::string_view s = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  void expect_end() const {
    if (pos_ != bytes_.size()) fail(fmt::format("{} bytes left over", bytes_.size() - pos_));
  }
  [[noreturn]] void fail(std::string_view what) const {
    throw Error(ErrorKind::data, fmt::format("pgoutput message '{}' ({} bytes) is malformed at byte {}: {}", kind_,
                                             bytes_.size(), pos_, what));
  }

 private:
  const char* take(std::size_t n) {
    if (bytes_.size() - pos_ < n) fail(fmt::format("{} more bytes expected", n));
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }

  std::string_view bytes_;
  std::size_t pos_ = 1;  // after the message kind
  char kind_;
};

void PgOutputDecoder::read_streamed_xid(Reader& in) {
  if (!in_stream_) return;
  message_xid_ = in.u32();
  if (message_xid_ == 0) in.fail("a streamed message without its transaction id");
}

void PgOutputDecoder::read_tuple(Reader& in, std::vector<Cell>& out) {
  out.resize(in.count(in.u16(), 1, "cells"));  // a kind byte each
  for (Cell& cell : out) {
    switch (char kind = static_cast<char>(in.u8())) {
      case 'n': cell = {CellKind::null, {}}; break;
      case 'u': cell = {CellKind::unchanged, {}}; break;
      case 't':
      case 'b': {
        std::size_t length = in.u32();
        cell = {kind == 't' ? CellKind::text : CellKind::binary, in.bytes(length)};
        break;
      }
      default: in.fail(fmt::format("unknown column kind '{}'", kind));
    }
  }
}

MessageKind PgOutputDecoder::decode(std::string_view bytes) {
  if (bytes.empty()) throw Error(ErrorKind::data, "empty pgoutput message");
  const char kind = bytes[0];
  Reader in(bytes, kind);
  MessageKind result;
  switch (kind) {
    case 'B':
      begin_ = {.final_lsn = in.u64(), .commit_time = in.timestamp(), .xid = in.u32()};
      result = MessageKind::begin;
      break;
    case 'C':
      in.u8();  // flags, unused
      commit_ = {.commit_lsn = in.u64(), .end_lsn = in.u64(), .commit_time = in.timestamp()};
      result = MessageKind::commit;
      break;
    case 'O':
      origin_.lsn = in.u64();
      origin_.name = in.string();
      result = MessageKind::origin;
      break;
    case 'R': {
      read_streamed_xid(in);
      relation_.id = in.u32();
      relation_.schema = in.string();
      relation_.name = in.string();
      relation_.replica_identity = static_cast<char>(in.u8());
      // flags, a name of at least its NUL, type and modifier
      relation_.columns.resize(in.count(in.u16(), 10, "columns"));
      for (RelationColumn& column : relation_.columns) {
        column.key = (in.u8() & 1) != 0;
        column.name = in.string();
        column.type = in.u32();
        column.type_modifier = static_cast<std::int32_t>(in.u32());
      }
      result = MessageKind::relation;
      break;
    }
    case 'Y':
      read_streamed_xid(in);
      type_.oid = in.u32();
      type_.schema = in.string();
      type_.name = in.string();
      result = MessageKind::type;
      break;
    case 'I':
    case 'U':
    case 'D': {
      read_streamed_xid(in);
      change_.op = kind == 'I' ? ChangeOp::insert : kind == 'U' ? ChangeOp::update : ChangeOp::remove;
      change_.relation = in.u32();
      change_.old_kind = 0;
      change_.old_tuple.clear();
      change_.new_tuple.clear();
      char part = static_cast<char>(in.u8());
      if (part == 'K' || part == 'O') {
        if (kind == 'I') in.fail("an insert with an old row");
        change_.old_kind = part;
        read_tuple(in, change_.old_tuple);
        if (kind == 'U') part = static_cast<char>(in.u8());
      } else if (kind == 'D') {
        in.fail(fmt::format("a delete without its old row ('{}')", part));
      }
      if (kind != 'D') {
        if (part != 'N') in.fail(fmt::format("'N' expected before the new row, not '{}'", part));
        read_tuple(in, change_.new_tuple);
      }
      result = MessageKind::change;
      break;
    }
    case 'T': {
      read_streamed_xid(in);
      std::uint32_t relations = in.u32();
      std::uint8_t options = in.u8();
      truncate_.relations.resize(in.count(relations, 4, "relations"));
      truncate_.cascade = (options & 1) != 0;
      truncate_.restart_identity = (options & 2) != 0;
      for (std::uint32_t& relation : truncate_.relations) relation = in.u32();
      result = MessageKind::truncate;
      break;
    }
    case 'M': {
      read_streamed_xid(in);
      message_.transactional = (in.u8() & 1) != 0;
      message_.lsn = in.u64();
      message_.prefix = in.string();
      message_.content = in.bytes(in.u32());
      result = MessageKind::message;
      break;
    }
    case 'S':
      if (in_stream_) in.fail("a stream started inside another");
      stream_start_ = {.xid = in.u32(), .first_segment = in.u8() == 1};
      in.expect_end();  // before the stream opens: a refused message changes nothing
      in_stream_ = true;
      stream_xid_ = stream_start_.xid;
      message_xid_ = stream_start_.xid;
      result = MessageKind::stream_start;
      break;
    case 'E':
      if (!in_stream_) in.fail("a stream stopped that was not started");
      in.expect_end();
      in_stream_ = false;
      result = MessageKind::stream_stop;
      break;
    case 'c':
      stream_commit_.xid = in.u32();
      in.u8();  // flags, unused
      stream_commit_.commit = {.commit_lsn = in.u64(), .end_lsn = in.u64(), .commit_time = in.timestamp()};
      result = MessageKind::stream_commit;
      break;
    case 'A':
      stream_abort_ = {.xid = in.u32(), .subxid = in.u32()};
      result = MessageKind::stream_abort;
      break;
    default:
      in.fail("unknown message kind");
  }
  in.expect_end();
  return result;
}

}  // namespace weir::cdc
