// The shapes each captured table had in a change stream, keyed by where in the stream each took
// effect, so a shape the server sends again (pgoutput repeats a table's Relation message on
// every new connection, and replays old WAL with the shape of its time) is recognised as the
// one known, and a new one is compared with the shape in effect just before it.
//
// A column is its name, type OID and type modifier — never its position. The shape in effect
// at a checkpoint is saved with it ("schemas" beside the position, see encode()), so a
// restart compares what the server resends with the shape the target was left in.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cdc/lsn.hpp"
#include "cdc/pgoutput_decoder.hpp"
#include "cdc/stream_position.hpp"
#include "weir/batch.hpp"
#include "weir/schema.hpp"

namespace weir::cdc {

struct ShapeColumn {
  std::string name;
  Oid type = 0;
  std::int32_t typmod = -1;
  bool operator==(const ShapeColumn&) const = default;
};

// Where a shape takes effect: from the change at (commit LSN, index) of its transaction on.
struct ShapeKey {
  Lsn lsn = 0;
  std::uint64_t index = 0;
  auto operator<=>(const ShapeKey&) const = default;
};

struct TableShape {
  ShapeKey from{};
  std::vector<ShapeColumn> columns{};
  // What earlier changes the policy ignored left behind (ShapeChange::left_out, target_names).
  std::vector<std::string> left_out{};
  std::map<std::string, std::string> target_names{};
  // How it differs from the shape before it, as the policy decided. Kept (and saved) while the
  // shape is in effect: an output may not have altered its target before a restart, and
  // altering one that already was changes nothing (sql_apply checks the target first).
  std::vector<ColumnChange> changes{};
  // Of the columns added: the value the rows already there took, as the source's text, where
  // DDL capture said (ColumnChange::existing).
  std::map<std::string, std::string> existing{};
  // A batch of this shape was passed on (its checkpoint says so): the output met its changes.
  // Until then the next shape carries them too (DDL capture: a rename no change followed).
  bool delivered = false;
  std::shared_ptr<const Schema> schema{};  // the Schema its changes are batched in; not saved
};

class SchemaHistory {
 public:
  // The shape of `table` ("schema.name") in effect at `at`: the last one taking effect at or
  // before it; null when none is known.
  TableShape* in_effect(const std::string& table, ShapeKey at);
  // Records a new shape; shapes recorded after it (from before a reconnect) are dropped.
  TableShape& record(const std::string& table, TableShape shape);

  // The shapes in effect at `position`, as the JSON object saved beside it.
  std::string encode(const StreamPosition& position);
  // A batch of `schema` was passed on.
  void delivered(const Schema* schema);
  // Takes in the "schemas" of a saved checkpoint (absent in one from before weir kept them).
  // Throws Error{config} when it is malformed.
  void restore(std::string_view checkpoint);

 private:
  std::map<std::string, std::vector<TableShape>> tables_;  // each oldest first
};

// The checkpoint of `batch`, passed on with the stream at `position`: the position with the
// shapes in effect there, {"commit_lsn":…, "schemas":{…}}.
std::string encode_checkpoint(const StreamPosition& position, SchemaHistory& history, const Batch& batch);

}  // namespace weir::cdc
