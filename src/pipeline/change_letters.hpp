// A change of a change stream (weir/change.hpp) as a dead letter keeps it: what it did, to
// which table, where it sits in the stream, its row before and after, the cells the source
// left out. Two forms: JSON for people (`weir deadletters show`, the letter's `record` as
// sql_apply rejected it), and a typed form a replay reads back into the very change.
//
// The typed form is three lines, so that values (whose bytes travel raw, see checkpoint.hpp)
// never pass through a JSON parser:
//
//   {"op":"update","schema":"public","table":"orders","position":[lsn,txid,time,index],
//    "columns":[["id","int64",true,"int8",20],…],"unsent":["doc"]}
//   [["int64","7"],["text","new"],["null",""]]          the row (checkpoint.hpp's encoding)
//   [["int64","3"],["null",""],["null",""]]             its before image; empty when none
//
// A plain row's letter holds its values only, in the second line's form: its first character
// tells the two apart.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/batch.hpp"

namespace weir::pipeline {

struct StoredChange {
  ChangeOp op = ChangeOp::insert;
  SourceTable source;
  std::optional<ChangePosition> position;
  std::vector<Column> columns;  // name, type, key flag, native type
  std::vector<Value> after, before;
  std::vector<std::size_t> unsent;  // columns the source left out
};

// Row `row` of `rows` (a change) as JSON: {"op","table","position","before","after","unchanged"}.
std::string change_json(const Batch& rows, std::size_t row);
// Row `row` of `rows` (a change) in the typed form above.
std::string encode_change(const Batch& rows, std::size_t row);
// Whether a letter's typed values hold a change (else a plain row's values).
bool holds_change(std::string_view original_values) noexcept;
// Throws Error{data} naming what is wrong when `text` was not made by encode_change.
StoredChange decode_change(std::string_view text);
// Appends `change` to `out` (whose schema has the change's columns) as the change it was,
// ending a source transaction: a replayed change commits on its own.
void append_stored_change(Batch& out, const StoredChange& change);

}  // namespace weir::pipeline
