// `weir cdc status|drop FILE`: the replication slots of a project's postgres_cdc pipelines;
// `weir cdc install-ddl-capture CONN`: the event triggers that put DDL into the WAL. The work is
// cdc/cdc_admin.cpp's and cdc/schema_ddl.cpp's; this file reads the arguments and prints.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cdc/cdc_admin.hpp"
#include "cdc/schema_ddl.hpp"
#include "cli/commands.hpp"
#include "cli/result_printer.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::cli {
namespace {

struct CdcOptions {
  std::string file;
  std::vector<std::string> pipelines;
  std::string format = "table";
  std::string connection;
  bool remove = false;
};

int install_ddl_capture(const Globals& globals, const CdcOptions& o) {
  db::ConnectionConfig config = globals.connection(o.connection);
  if (config.url.scheme != "postgres")
    throw Error(ErrorKind::config, fmt::format("connection `{}` is a {}:// database; DDL capture is for the "
                                               "PostgreSQL databases postgres_cdc reads",
                                               o.connection, config.url.scheme));
  auto sql = db::connect(config);
  if (o.remove) {
    bool was = cdc::remove_ddl_capture(*sql);
    std::cout << (was ? fmt::format("removed DDL capture from {}\n", config.describe())
                      : fmt::format("DDL capture was not installed on {}\n", config.describe()));
    return 0;
  }
  cdc::install_ddl_capture(*sql, config.describe());
  std::cout << fmt::format("installed DDL capture on {}: event triggers weir_capture_ddl and weir_capture_drop\n",
                           config.describe());
  return 0;
}

int status(const CdcOptions& o) {
  Format format = parse_format(o.format);
  if (format != Format::table && format != Format::json)
    throw Error(ErrorKind::config, fmt::format("--format: `{}`; use table or json", o.format));
  pipeline::Project project = pipeline::load_project(o.file);
  std::vector<cdc::CdcPipeline> pipelines = cdc::cdc_pipelines(project, o.pipelines);
  std::vector<cdc::SlotStatus> statuses;
  for (const cdc::CdcPipeline& p : pipelines) statuses.push_back(cdc::slot_status(p));
  Batch rows = cdc::status_rows(statuses);
  auto printer = make_printer(format, std::cout);
  printer->batch(rows);
  printer->finish(rows.rows());
  return 0;
}

int drop(const CdcOptions& o) {
  pipeline::Project project = pipeline::load_project(o.file);
  std::vector<cdc::CdcPipeline> all = cdc::cdc_pipelines(project, {});
  for (const cdc::CdcPipeline& p : cdc::cdc_pipelines(project, o.pipelines)) {
    cdc::DropOutcome done = cdc::drop_objects(p, all);
    std::string where = p.connection.describe();
    std::cout << (done.slot_dropped
                      ? fmt::format("pipeline {}: dropped replication slot `{}` on {}\n", p.pipeline->name, p.slot, where)
                      : fmt::format("pipeline {}: replication slot `{}` does not exist on {}\n", p.pipeline->name,
                                    p.slot, where));
    if (done.publication_dropped)
      std::cout << fmt::format("pipeline {}: dropped publication `{}`\n", p.pipeline->name, p.publication);
    else if (!done.publication_kept.empty())
      std::cout << fmt::format("pipeline {}: {}\n", p.pipeline->name, done.publication_kept);
  }
  return 0;
}

}  // namespace

void add_cdc_command(CLI::App& app, const Globals& globals, Action& action) {
  auto options = std::make_shared<CdcOptions>();
  auto* cdc = app.add_subcommand("cdc", "Replication slots of postgres_cdc pipelines: status, drop, "
                                        "install-ddl-capture");
  cdc->require_subcommand(1);

  auto* show = cdc->add_subcommand("status", "Where each postgres_cdc pipeline's slot stands: lag, retained WAL, "
                                             "the last position saved");
  show->footer(
      "Columns (the JSON keys of --format json): pipeline, slot, slot_exists, active, active_pid, wal_status,\n"
      "confirmed_flush_lsn, lag_bytes (the server's WAL position less the confirmed flush),\n"
      "retained_wal_bytes (less the slot's restart LSN: WAL kept for it), last_seen_lsn, last_seen_index,\n"
      "last_seen_complete, last_saved_at (the pipeline's checkpoint), publication, publication_exists,\n"
      "publication_by_weir, database. Exit codes: 0 printed, 1 a server could not be asked, 2 bad input.");
  show->add_option("file", options->file, "The pipeline YAML file")->required()->check(CLI::ExistingFile);
  show->add_option("--pipeline", options->pipelines, "Only this pipeline (repeatable)");
  show->add_option("--format", options->format, "table or json")->capture_default_str();
  show->callback([&action, options] { action = [options] { return status(*options); }; });

  auto* remove = cdc->add_subcommand("drop", "Drop a postgres_cdc pipeline's replication slot, and its publication "
                                             "when weir created it");
  remove->footer(
      "Refuses while the slot is being read (stop the pipeline first). A publication is dropped only when\n"
      "weir created it (weir's comment on it) and no other pipeline of the file reads it.\n"
      "Exit codes: 0 dropped (or nothing was there), 1 the slot is active or the server failed, 2 bad input.");
  remove->add_option("file", options->file, "The pipeline YAML file")->required()->check(CLI::ExistingFile);
  remove->add_option("--pipeline", options->pipelines, "The pipeline whose slot goes (repeatable)")->required();
  remove->callback([&action, options] { action = [options] { return drop(*options); }; });

  auto* capture = cdc->add_subcommand("install-ddl-capture",
                                      "Install event triggers that write each DDL statement's table shape into the "
                                      "WAL, so postgres_cdc sees renames, drops and DDL with no change after it");
  capture->footer(
      "Installs, in one transaction, the functions public.weir_capture_ddl() and public.weir_capture_drop()\n"
      "and the event triggers of the same names (ddl_command_end, sql_drop) on the connection's database;\n"
      "running it again replaces them. Event triggers need a superuser. See docs/cdc.md, Schema changes.\n"
      "Exit codes: 0 installed (or removed), 1 the role is no superuser or the server failed, 2 bad input.");
  capture->add_option("connection", options->connection, "A postgres:// URL or a connection name from the config file")
      ->required();
  capture->add_flag("--remove", options->remove, "Remove the triggers and functions instead");
  capture->callback([&action, &globals, options] {
    action = [&globals, options] { return install_ddl_capture(globals, *options); };
  });
}

}  // namespace weir::cli
