// weir sync's summary, in --format table | json | csv: one table's report, or with --tables
// each table's as it ends and the totals at the end (docs/sync.md shows each shape).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sync/sync.hpp"

namespace weir::cli {

class SyncOutput {
 public:
  SyncOutput(std::ostream& out, std::string format, bool many) : out_(out), format_(std::move(format)), many_(many) {}
  // A table's report, as it ends.
  void table(const sync::Report& report);
  // --tables: the totals, after every table.
  void totals(const std::vector<sync::Report>& reports, double seconds);

 private:
  std::ostream& out_;
  std::string format_;
  bool many_;
  bool first_ = true;
};

// The progress on stderr: on a terminal a bar redrawn in place (rows, rows/s, bytes, ETA from
// the source's row estimate); elsewhere, or for several tables at once, a plain line each time.
class SyncProgress {
 public:
  SyncProgress(std::ostream& err, bool bar) : err_(err), bar_(bar) {}
  void show(const sync::Progress& progress);
  // Ends the bar's line, so that what follows starts on its own.
  void finish();

 private:
  std::ostream& err_;
  bool bar_;
  bool drawn_ = false;
};

}  // namespace weir::cli
