// A row change whose cells are already read into Values, stored in a compact form of its own.
//
// A streamed transaction (streamed_transactions.hpp) waits in a temporary file for its commit.
// Reading its cells — text parsed, binary decoded — is most of the work of taking a change in;
// done as each message arrives, it runs while the server is still decoding the transaction,
// instead of all at once after the commit, when nothing else is left to overlap with. So each
// Insert, Update and Delete is stored already read: the cells as Values in a form that is read
// back with no parsing (ChangeRecord), and the batcher takes the Values as they are
// (ChangeBatcher::feed(DecodedChange&)).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/pgoutput_decoder.hpp"
#include "weir/value.hpp"

namespace weir::cdc {

// One cell of a tuple into `out`, read from the text or binary form the server sent; false when
// the server left it out (an unchanged TOASTed value: `out` is then NULL). Throws Error{data}
// for a value that is not of the column's type, or a binary form weir does not read.
bool read_cell(const Cell& cell, const RelationColumn& column, Value& out);

struct DecodedTuple {
  std::vector<Value> values;
  std::vector<std::uint8_t> sent;  // per cell: 0 when the server left it out
  std::size_t size() const noexcept { return values.size(); }
};

// An Insert, Update or Delete with its cells read (ChangeMessage's fields, Values for Cells).
struct DecodedChange {
  ChangeOp op = ChangeOp::insert;
  std::uint32_t relation = 0;
  char old_kind = 0;  // 'K', 'O' or 0, as ChangeMessage::old_kind
  DecodedTuple old_tuple;
  DecodedTuple new_tuple;
};

// The stored form: a kind byte no pgoutput message starts with, then the change.
inline constexpr char kDecodedChangeKind = '\x01';

// Appends `change`'s record to `out`, its cells read as `columns` (the relation's Relation
// message) says. Throws what read_cell() throws; `out` is then as it was.
void encode_change(const ChangeMessage& change, const std::vector<RelationColumn>& columns, std::string& out);
// Reads a record encode_change() wrote into `out`, reusing its Values' buffers. Throws
// Error{storage} when the record is cut short (a damaged temporary file).
void decode_change(std::string_view record, DecodedChange& out);

}  // namespace weir::cdc
