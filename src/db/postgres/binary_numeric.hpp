// PostgreSQL `numeric` in its binary wire form ↔ weir's canonical decimal text.
//
// The wire form (numeric_send / numeric_recv in the server's utils/adt/numeric.c) is five or
// more big-endian 16-bit words:
//
//   ndigits  number of base-10000 digit words that follow
//   weight   power of 10000 of the first digit word (0: units, -1: the first 4 decimals)
//   sign     0x0000 positive, 0x4000 negative, 0xC000 NaN, 0xD000 +Infinity, 0xF000 -Infinity
//   dscale   decimal digits after the point that the value displays (trailing zeros kept)
//   digits   ndigits words, each 0..9999, most significant first
//
// 12.50 is {ndigits 2, weight 0, sign 0, dscale 2, digits 12, 5000}; 0.0001 is {1, -1, 0, 4,
// 1}. Leading and trailing zero words are not sent (the server strips them either way).
#pragma once

#include <string>
#include <string_view>

namespace weir::db::postgres {

class WireBuffer;

// Appends the wire form of `text` — what numeric_in accepts: optional sign, digits with an
// optional point, an optional exponent, or NaN / Infinity / -Infinity, surrounded by optional
// blanks. Returns false, appending nothing, for anything else.
bool append_numeric(std::string_view text, WireBuffer& out);

// Writes the text numeric_out prints for the wire form in `field` into `out` ("12.50",
// "-0.0001", "NaN"). Returns false when `field` is not a well-formed numeric.
bool numeric_text(std::string_view field, std::string& out);

}  // namespace weir::db::postgres
