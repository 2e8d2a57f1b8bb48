// Operating the postgres_cdc pipelines of a project (`weir cdc status|drop`): where each
// pipeline's replication slot stands on the server, and removing what weir created there.
//
// What weir created: a publication it makes carries a comment (kPublicationMark) set in the
// same transaction as CREATE PUBLICATION, so a publication the user made — perhaps shared with
// a subscriber — is never dropped. The slot a pipeline names is read by that pipeline alone (a
// slot has one reader, and weir's confirmations move it), so it is the pipeline's to drop.
//
// Each call connects to the pipeline's database itself (a short admin session, not a run).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/project.hpp"
#include "weir/batch.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/connection.hpp"

namespace weir::cdc {

// The comment on a publication weir created; `weir cdc drop` drops only publications carrying it.
inline constexpr std::string_view kPublicationMark = "created by weir (postgres_cdc); weir cdc drop removes it";

// Creates publication `name` for `tables` (every table when empty) with weir's mark, both in
// one transaction. Returns what it was created for ("TABLE public.orders"), for the log.
std::string create_marked_publication(db::Connection& sql, std::string_view name, std::span<const db::TableRef> tables);

// Throws Error{config}, naming `tables_path` (the YAML path of `tables`), the table and the
// ALTER PUBLICATION to run, for a table of `tables` that publication `name` does not publish:
// its changes would never be sent.
void check_publication_covers(db::Connection& sql, std::string_view name, std::span<const db::TableRef> tables,
                              std::string_view tables_path);

// A postgres_cdc pipeline of a project, as its YAML names it.
struct CdcPipeline {
  const pipeline::Pipeline* pipeline = nullptr;
  db::ConnectionConfig connection;
  std::string slot;
  std::string publication;
};

// The project's postgres_cdc pipelines, or those named in `only` (each must be one: Error{config}
// naming the file otherwise).
std::vector<CdcPipeline> cdc_pipelines(const pipeline::Project& project, std::span<const std::string> only);

// Where one pipeline's slot stands. Sizes are bytes of WAL; absent values are unknown (no slot).
struct SlotStatus {
  std::string pipeline;
  std::string database;  // the connection's identity, without password
  std::string slot;
  bool slot_exists = false;
  bool active = false;
  std::optional<std::int64_t> active_pid;
  std::string wal_status;                   // reserved | extended | unreserved | lost
  std::optional<std::string> confirmed_flush_lsn;
  std::optional<std::int64_t> lag_bytes;    // server's WAL position - confirmed flush
  std::optional<std::int64_t> retained_wal_bytes;  // server's WAL position - restart LSN: what the slot holds
  std::string publication;
  bool publication_exists = false;
  bool publication_by_weir = false;
  // The pipeline's saved checkpoint: the commit LSN of the last transaction delivered (or the
  // WAL position an idle stream reached), the index of its last change, whether it was whole,
  // and when it was saved.
  std::optional<std::string> last_seen_lsn;
  std::optional<std::int64_t> last_seen_index;
  std::optional<bool> last_seen_complete;
  std::optional<std::string> last_saved_at;
};

SlotStatus slot_status(const CdcPipeline& pipeline);
// The statuses as rows (one column per SlotStatus field, named as in the JSON `weir cdc status
// --format json` prints), for the CLI's table and JSON printers.
Batch status_rows(std::span<const SlotStatus> statuses);

struct DropOutcome {
  bool slot_dropped = false;
  bool publication_dropped = false;
  std::string publication_kept;  // why not, when it exists and was kept
};

// Drops the pipeline's slot and, when weir created it and no other postgres_cdc pipeline of
// `project` on the same database names it, its publication. Throws Error{connection} naming the
// slot (and the process reading it) while the slot is active: nothing is dropped then.
DropOutcome drop_objects(const CdcPipeline& pipeline, std::span<const CdcPipeline> others);

}  // namespace weir::cdc
