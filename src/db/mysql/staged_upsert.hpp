// Upserts through a stage, so that a row already holding the values is left alone.
//
// MySQL's INSERT … ON DUPLICATE KEY UPDATE leaves such a row's bytes as they were, but still
// runs its UPDATE triggers (and BEFORE INSERT ones for every row), and has no WHERE to stop
// it. So the batch's rows (the last of each key) go into a temporary table with the target's
// column types, and two statements move them: an UPDATE … JOIN of the rows whose key is there
// and whose values differ (compared as bytes, whatever the collation), then an INSERT … SELECT
// of the keys that are not. Rows of other keys than the batch's, and columns not written, are
// never touched.
//
// The stage is a temporary table of the session, one per target and column list, made from
// the target's columns (CREATE TEMPORARY TABLE … AS SELECT … WHERE FALSE: types and NOT NULLs,
// no keys) by the writer's first upsert, dropped first in case an older writer left one of
// other types; each batch empties it with DELETE (a TRUNCATE would commit the transaction).
#pragma once

#include <string>

#include "weir/db/connection.hpp"
#include "weir/db/dialect.hpp"

namespace weir::db::mysql {

struct StagedUpsert {
  TableRef stage;
  std::string create;   // drops and makes the stage
  std::string empty;    // DELETE FROM the stage
  std::string update;   // affected rows: the rows updated (none when only the key is written)
  std::string insert;   // affected rows: the rows inserted
};

// The statements for `spec` (mode upsert, or insert_or_ignore with a key: no UPDATE; key
// columns checked by write_statement).
StagedUpsert staged_upsert(const Dialect& dialect, const WriteSpec& spec);

}  // namespace weir::db::mysql
