// PostgreSQL `numeric` in both directions: the decoder turning the server's binary form into
// decimal text (first byte 0), and the encoder turning a decimal a pipeline writes into it
// (first byte 1). Invariants: decoded text encodes and decodes back to itself; text the encoder
// takes decodes to a form that encodes to the very same bytes.
#include <cstddef>
#include <cstdint>

#include "db/postgres/binary_numeric.hpp"
#include "db/postgres/wire_buffer.hpp"
#include "fuzz_check.hpp"

namespace weir::fuzz {
namespace {

using db::postgres::append_numeric;
using db::postgres::numeric_text;
using db::postgres::WireBuffer;

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

void from_wire(std::string_view field) {
  std::string text;
  if (!numeric_text(field, text)) return;
  WireBuffer wire;
  require(append_numeric(text, wire), fmt::format("{} decodes to `{}`, which does not encode", hex(field), text));
  std::string again;
  require(numeric_text(wire.view(), again) && again == text,
          fmt::format("{} decodes to `{}`, which encodes to {} and decodes to `{}`", hex(field), text, hex(wire.view()),
                      again));
}

void from_text(std::string_view text) {
  WireBuffer wire;
  if (!append_numeric(text, wire)) return;
  std::string decoded;
  require(numeric_text(wire.view(), decoded), fmt::format("`{}` encodes to {}, which does not decode", text, hex(wire.view())));
  WireBuffer again;
  require(append_numeric(decoded, again) && again.view() == wire.view(),
          fmt::format("`{}` encodes to {}, decodes to `{}`, which encodes to {}", text, hex(wire.view()), decoded,
                      hex(again.view())));
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) weir::fuzz::from_text(rest);
  else weir::fuzz::from_wire(rest);
  return 0;
}
