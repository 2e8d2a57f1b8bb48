// PostgreSQL's binary COPY stream as PgCopyCursor reads it from the server: the stream reader
// (db/postgres/copy_out) splitting CopyData messages into fields, and each column's codec
// decoding them into values.
//
// Input: one byte with the number of columns (1-8), one byte per column choosing its type
// from kOids, then the CopyData messages, each a 2-byte big-endian length and its bytes. The
// first message carries the header, as the server sends it.
//
// Invariants: a value the column's codec takes back encodes to bytes that decode to the same
// value (decode → encode → decode is stable); every value renders as text and JSON.
#include <cstddef>
#include <cstdint>

#include "db/postgres/binary_codec.hpp"
#include "db/postgres/copy_out.hpp"
#include "fuzz_check.hpp"
#include "value_checks.hpp"

namespace weir::fuzz {
namespace {

// Every type with a binary codec, scalars and arrays.
constexpr Oid kOids[] = {16,   17,   18,   19,   25,   1042, 1043, 21,   23,   20,   26,   700,  701,
                         1700, 114,  3802, 1082, 1083, 1114, 1184, 1186, 2950, 1000, 1001, 1005, 1007,
                         1016, 1009, 1015, 1021, 1022, 1231, 1182, 1115, 1185, 2951, 199,  3807};

void check_field(const db::postgres::BinaryCodec& codec, std::string_view bytes) {
  Value value;
  try {
    codec.decode(bytes, value);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::data});
    return;
  }
  render(value);
  if (!codec.accepts(value) || has_nan(value)) return;
  db::postgres::WireBuffer wire;
  try {
    codec.encode(value, wire);
  } catch (const Error& e) {
    require(false, fmt::format("oid {}: `{}` decoded from the server does not encode: {}", codec.oid(),
                               value.to_text(), e.what()));
  }
  Value again;
  codec.decode(wire.view().substr(4), again);  // after the length word
  require(again == value, fmt::format("oid {}: `{}` encodes to bytes that decode as `{}`", codec.oid(),
                                      value.to_text(), again.to_text()));
}

void check(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return;
  std::size_t width = data[0] % 8 + 1;
  if (size < 1 + width) return;
  std::vector<db::postgres::BinaryCodec> codecs;
  for (std::size_t c = 0; c < width; ++c)
    codecs.push_back(*db::postgres::BinaryCodec::for_type(kOids[data[1 + c] % std::size(kOids)]));
  std::string_view rest(reinterpret_cast<const char*>(data + 1 + width), size - 1 - width);
  db::postgres::BinaryCopyReader reader(width);
  while (rest.size() >= 2) {
    std::size_t length = std::min<std::size_t>(static_cast<unsigned char>(rest[0]) << 8 | static_cast<unsigned char>(rest[1]),
                                               rest.size() - 2);
    // A copy, as libpq hands each message over in a buffer of its own.
    std::string message(rest.substr(2, length));
    rest.remove_prefix(2 + length);
    try {
      if (!reader.read(message)) return;  // the end marker
    } catch (const Error& e) {
      expect_kind(e, {ErrorKind::internal});
      return;
    }
    require(reader.fields().size() == width, "a tuple does not have the result's width");
    for (std::size_t c = 0; c < width; ++c) {
      const auto& field = reader.fields()[c];
      if (field.is_null()) continue;
      require(field.data >= message.data() && field.data + field.length <= message.data() + message.size(),
              "a field reaches outside its message");
      check_field(codecs[c], field.bytes());
    }
  }
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check(data, size);
  return 0;
}
