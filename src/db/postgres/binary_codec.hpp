// PostgreSQL's binary wire format for the types weir maps, both directions: bulk writes encode
// values for COPY … FROM STDIN (FORMAT binary), bulk reads decode COPY … TO STDOUT (FORMAT
// binary). One BinaryCodec per column, made from the column's type OID; types not in this
// table have no codec and their callers use the text format instead.
//
//   oid                 type                  wire form (integers big-endian)          weir
//   16                  boolean               1 byte, 0 or 1                           bool
//   17                  bytea                 the bytes                                Bytes
//   18                  "char"                1 byte (read only)                       text
//   19 25 1042 1043     name text bpchar varchar  the UTF-8 bytes                      text
//   21 23 20            int2 int4 int8        2 / 4 / 8 byte two's complement          int64
//   26                  oid                   4 byte unsigned                          int64
//   700 701             float4 float8         IEEE 754 single / double                 double
//   1700                numeric               see binary_numeric.hpp                   Decimal
//   114                 json                  the document's text                      Json
//   3802                jsonb                 version byte 1, then the text            Json
//   1082                date                  int32 days since 2000-01-01              Date
//   1083                time                  int64 µs since midnight                  Time
//   1114 1184           timestamp timestamptz int64 µs since 2000-01-01 00:00 (UTC)    Timestamp(Tz)
//   1186                interval              int64 µs, int32 days, int32 months       Interval
//   2950                uuid                  16 bytes                                 Uuid
//   arrays of the above int32 dimensions, int32 has-NULLs, element OID, per dimension
//                       int32 length and int32 lower bound, then the elements row-major,
//                       each a length word and bytes (-1: NULL)                      Array
//
// Dates and timestamps keep ±infinity at the integer minimum/maximum. Reads give exactly what
// the text format gives (types.cpp read_text): values a weir type cannot hold — infinities,
// BC and five-digit years — come back as the server's text for them.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "db/postgres/wire_buffer.hpp"
#include "weir/value.hpp"

namespace weir::db::postgres {

enum class Wire : std::uint8_t {
  boolean, bytea, char1, text, int2, int4, int8, oid, float4, float8, numeric, json, jsonb,
  date, time, timestamp, timestamptz, interval, uuid, array,
};

class BinaryCodec {
 public:
  // The codec for columns of type `oid`, or nullopt when it has no binary form here.
  static std::optional<BinaryCodec> for_type(Oid oid);

  Oid oid() const noexcept { return oid_; }

  // Whether encode() writes `value` exactly as the text format would have the server store
  // it: the column's own weir type, or one that converts without parsing (int64 into integer,
  // numeric and float columns; any scalar but bytes into text columns; arrays element by
  // element, rectangular). The writer sends batches holding other values as text COPY, so the
  // server converts them by its own rules.
  bool accepts(const Value& value) const noexcept;

  // Appends the field — length word and bytes, or -1 for NULL — for a value accepts() took.
  // Throws Error{data} for a value the column's type cannot hold (3000000000 into integer,
  // malformed decimal text); the caller adds which column and row.
  void encode(const Value& value, WireBuffer& out) const;

  // Reads the bytes of a non-NULL field into `out`; throws Error{data} when they are
  // malformed for the type.
  void decode(std::string_view field, Value& out) const;

 private:
  BinaryCodec(Oid oid, Wire wire, Oid element_oid, Wire element_wire)
      : oid_(oid), wire_(wire), element_oid_(element_oid), element_wire_(element_wire) {}
  BinaryCodec element() const { return BinaryCodec(element_oid_, element_wire_, 0, element_wire_); }
  bool accepts_array(const Array& array, std::size_t depth, std::size_t* dims) const noexcept;
  void encode_payload(const Value& value, WireBuffer& out) const;
  void encode_array(const Array& array, WireBuffer& out) const;
  void decode_array(std::string_view field, Value& out) const;

  Oid oid_;
  Wire wire_;
  Oid element_oid_;     // arrays: the element type
  Wire element_wire_;
};

}  // namespace weir::db::postgres
