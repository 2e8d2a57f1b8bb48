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
//
// Letters of a change stream written before the typed form (weir before 2026-12-06) hold the
// row after the change only, typed, as a plain row's (`original_values`, with `original` its
// column names), and the change itself as JSON in `record`:
//
//   record           {"op":"update","table":"public.orders","position":"0/16B3748:3",
//                     "before":{"id":3,"note":null},"after":{"id":4,"note":"x"},"unchanged":["doc"]}
//   original         {"id":4,"note":"x"}
//   original_values  [["int64","4"],["text","x"]]
//   position         0/16B3748:3
//
// decode_older_change reads them back as far as they tell: no key flags (sql_apply then finds
// rows by the target's primary key), no transaction id or commit time, the before image typed
// as the row's columns (a delete's is its row, exact).
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
// A letter of the older form above read back as its change; nullopt when `record` holds no
// change (a plain row's letter). Throws Error{data} naming what is wrong when it holds one
// that cannot be read back.
std::optional<StoredChange> decode_older_change(std::string_view record, std::string_view original,
                                                std::string_view original_values, std::string_view position);
// Appends `change` to `out` (whose schema has the change's columns) as the change it was,
// ending a source transaction: a replayed change commits on its own.
void append_stored_change(Batch& out, const StoredChange& change);

}  // namespace weir::pipeline
