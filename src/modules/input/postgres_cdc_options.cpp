// postgres_cdc's options: the spec `weir validate`, `weir schema` and docs/configuration.md are
// made from, and the `operations:` it passes on.
#include "modules/input/postgres_cdc_options.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cdc/schema_policy.hpp"
#include "modules/retry_option.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

using config::Field;

// Slot and publication names go into walsender commands, which take no parameters.
std::string name_problem(std::string_view name) {
  bool fits = !name.empty() && name.size() <= 63 &&
              std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  return fits ? "" : "use 1 to 63 lower-case letters, digits and underscores";
}

}  // namespace

const config::Spec& postgres_cdc_spec() {
  static const config::Spec s{
      "postgres_cdc",
      "Streams every committed INSERT, UPDATE, DELETE and TRUNCATE of chosen tables from PostgreSQL's logical "
      "replication, in commit order, a source transaction's changes together.",
      {
          Field{.name = "connection", .required = true,
                .description = "A postgres:// connection (see `connections:`); the replication connection is opened "
                               "from it. Its role needs the REPLICATION privilege and the server wal_level = logical.",
                .example = "shop"},
          Field{.name = "slot", .required = true,
                .description = "The logical replication slot to read; created (plugin pgoutput) if missing. It keeps "
                               "the server's WAL until weir confirms it: drop it when the pipeline is retired.",
                .example = "weir_mirror", .check = &name_problem},
          Field{.name = "publication", .required = true,
                .description = "The publication naming the tables streamed; created if missing, for `tables` (or "
                               "all tables).",
                .example = "weir_mirror", .check = &name_problem},
          Field{.name = "tables", .shapes = config::kStringList,
                .description = "Tables to stream, schema-qualified; default: every table of the publication.",
                .example = "[public.orders, public.customers]"},
          Field{.name = "operations", .shapes = config::kStringList, .default_value = "[insert, update, delete, truncate]",
                .description = "Which changes to pass on: insert, update, delete, truncate.",
                .example = "[insert, update]"},
          Field{.name = "snapshot", .default_value = "never", .choices = {"never", "initial"},
                .description = "never: stream the changes committed after the slot was created. initial: when "
                               "there is no saved position (the first run, --reset, a snapshot cut off), create "
                               "the slot afresh and first pass on each table's existing rows as inserts with txid "
                               "0 (after a `truncate` of the table), read from the snapshot the slot exports; the "
                               "stream then starts where the snapshot stands.",
                .example = "initial"},
          Field{.name = "snapshot_jobs", .shapes = config::kInteger, .default_value = "2",
                .description = "Connections reading the snapshot at once, each a range of a table's blocks "
                               "(bench/pg_cdc_snapshot.sh measures them).",
                .example = "4", .minimum = 1, .maximum = 64},
          Field{.name = "status_interval", .shapes = config::kDuration, .default_value = "10s",
                .description = "How often the server hears how far weir has committed (it also hears at once when "
                               "a transaction commits, and whenever it asks).",
                .example = "5s"},
          Field{.name = "heartbeat", .shapes = config::kDuration,
                .description = "While no change comes, run `heartbeat_query` on the captured database this often: "
                               "it writes WAL there, so the slot advances (and the server can free WAL) even when "
                               "the tables streamed are idle and other databases of the server are busy. Default: "
                               "no heartbeat.",
                .example = "30s"},
          Field{.name = "heartbeat_query",
                .description = "The statement `heartbeat` runs. Default: `SELECT pg_logical_emit_message(false, "
                               "'weir_heartbeat', '')`, which writes a message into the WAL and touches no table.",
                .example = "UPDATE weir_heartbeat SET at = now()"},
          Field{.name = "binary", .default_value = "auto", .choices = {"auto", "on", "off"},
                .description = "Whether the server sends values in binary form (faster to decode) instead of text. "
                               "Binary is used only when weir reads every column of the publication's tables "
                               "exactly in that form (numbers, text, numeric, dates and times, json, jsonb, uuid, "
                               "bytea and arrays of them); a column of another type (an enum, a domain, an "
                               "extension's type) makes the stream text. auto: binary where it is faster "
                               "(bench/pg_cdc_decode.sh); on: binary whenever every column allows; off: text.",
                .example = "off"},
          cdc::schema_changes_field(),
          retry_field(),
      }};
  return s;
}

std::vector<ChangeOp> postgres_cdc_operations(const config::Section& section) {
  std::vector<ChangeOp> ops;
  for (const std::string& name : section.string_list("operations")) {
    if (name == "insert") ops.push_back(ChangeOp::insert);
    else if (name == "update") ops.push_back(ChangeOp::update);
    else if (name == "delete") ops.push_back(ChangeOp::remove);
    else if (name == "truncate") ops.push_back(ChangeOp::truncate);
    else
      throw Error(ErrorKind::config, fmt::format("{}: `{}` is no operation; use insert, update, delete or truncate",
                                                 section.path_of("operations"), name));
  }
  return ops;
}

}  // namespace weir::modules
