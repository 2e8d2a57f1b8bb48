// DDL capture: an event trigger that writes each DDL statement's effect on a table into the
// WAL, in the statement's own transaction (pg_logical_emit_message(true, 'weir.ddl', …)), so a
// postgres_cdc stream (pgoutput with `messages 'true'`) sees renames, drops and DDL with no
// change after it in order — pgoutput itself carries no DDL, only a table's new shape before
// its next change.
//
// Two kinds of message, each a JSON object:
//   sql_drop:         {"schema":"public","name":"orders","dropped":["note"]}
//   ddl_command_end:  {"schema":"public","name":"orders","columns":[["id",20,-1,null],["total",1700,655366,"0"]]}
// the second with the table's columns after the statement (name, type OID, type modifier, the
// value rows already there hold when the table keeps one for them: attmissingval), in
// attnum order, dropped and generated columns left out as pgoutput leaves them out.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cdc/pgoutput_decoder.hpp"
#include "cdc/schema_history.hpp"
#include "weir/db/connection.hpp"

namespace weir::cdc {

inline constexpr std::string_view kDdlMessagePrefix = "weir.ddl";

struct DdlEvent {
  std::string schema, name;
  std::vector<std::string> dropped{};               // sql_drop
  std::optional<std::vector<ShapeColumn>> shape{};  // ddl_command_end
  // ddl_command_end: by column, the value rows already there hold where the table keeps one
  // for them (pg_attribute.attmissingval: ADD COLUMN … DEFAULT with a constant), as text.
  std::map<std::string, std::string> existing{};
};

// The event a DDL capture message carries; nullopt for any other message. Throws Error{data}
// for a "weir.ddl" message that is not one.
std::optional<DdlEvent> read_ddl_message(const LogicalMessage& message);

// The value the rows already there hold in `column` of `table` ("schema.name") by the
// catalog as it stands now (pg_attribute.attmissingval, set by ADD COLUMN … DEFAULT with a
// constant), as text; nullopt when the table keeps none. What an added column's Relation
// message cannot say, asked when DDL capture did not.
std::optional<std::string> existing_value(db::Connection& sql, const std::string& schema, const std::string& table,
                                          const std::string& column);

// Installs (or replaces) the event triggers and their functions on the database of `sql`, in
// one transaction. Throws Error{permission} naming the fix when the role is no superuser.
void install_ddl_capture(db::Connection& sql, std::string_view describe);
// Removes them; false when they were not there.
bool remove_ddl_capture(db::Connection& sql);

}  // namespace weir::cdc
