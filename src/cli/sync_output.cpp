#include "cli/sync_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "weir/value.hpp"

namespace weir::cli {
namespace {

std::string json_text(const std::string& s) {
  std::string out;
  Value(s).append_json(out);
  return out;
}

std::string json_of(const sync::Report& s) {
  const auto* v = s.verification ? &*s.verification : nullptr;
  std::string verify =
      v ? fmt::format(
              R"({{"source_rows":{},"target_rows":{},"source_checksum":"{:016x}","target_checksum":"{:016x}","matches":{}}})",
              v->source_rows, v->target_rows, v->source_checksum, v->target_checksum, v->matches())
        : "null";
  return fmt::format(
      R"({{"source":{},"target":{},"rows_read":{},"rows_written":{},"rows_skipped":{},"indexes_built":{},"values_nulled":{},"created":{},"resumed":{},"interrupted":{},"seconds":{:.3f},"verify":{},"error":{}}})",
      json_text(s.source), json_text(s.target), s.rows_read, s.rows_written, s.rows_skipped, s.indexes_built,
      s.values_nulled, s.created, s.resumed, s.interrupted, s.seconds, verify, s.error.empty() ? "null" : json_text(s.error));
}

std::string csv_of(const sync::Report& s) {
  const auto* v = s.verification ? &*s.verification : nullptr;
  return fmt::format("{},{},{},{},{},{},{},{},{:.3f},{}\n", s.source, s.target, s.rows_read, s.rows_written,
                     s.rows_skipped, s.created, s.resumed, s.interrupted, s.seconds,
                     v ? (v->matches() ? "match" : "MISMATCH") : "");
}

std::string lines_of(const sync::Report& s) {
  double rate = s.seconds > 0 ? double(s.rows_written) / s.seconds : 0;
  std::string notes = std::string(s.created ? ", table created" : "") +
                      (s.indexes_built ? fmt::format(", {} indexes built", s.indexes_built) : "") +
                      (s.values_nulled ? fmt::format(", {} values written as NULL", s.values_nulled) : "") +
                      (s.resumed ? ", resumed" : "") +
                      (!s.error.empty() ? ", FAILED" : s.interrupted ? ", INTERRUPTED" : "");
  std::string out = fmt::format("sync {} to {}: read {}, wrote {}, skipped {} in {:.2f} s ({:.0f} rows/s){}\n",
                                s.source, s.target, s.rows_read, s.rows_written, s.rows_skipped, s.seconds, rate, notes);
  if (const auto* v = s.verification ? &*s.verification : nullptr)
    out += fmt::format("verify: source {} rows, checksum {:016x}; target {} rows, checksum {:016x}: {}\n",
                       v->source_rows, v->source_checksum, v->target_rows, v->target_checksum,
                       v->matches() ? "match" : "MISMATCH");
  return out;
}

// "12.3 MB"
std::string bytes_text(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  for (; bytes >= 1000 && unit < 4; ++unit) bytes /= 1000;
  return fmt::format(fmt::runtime(unit == 0 ? "{:.0f} {}" : "{:.1f} {}"), bytes, units[unit]);
}

// What the estimate says of the rows read: the share done, the bytes that makes of the table's
// size, the time left at the current rate. Empty parts where the database gives no estimate.
struct Estimate {
  std::optional<double> fraction;
  std::string bytes;
  std::string eta;
};

Estimate estimate(const sync::Progress& p) {
  Estimate e;
  if (!p.row_estimate || *p.row_estimate <= 0) return e;
  double total = double(std::max<std::int64_t>(*p.row_estimate, std::int64_t(p.rows_read)));
  e.fraction = double(p.rows_read) / total;
  if (p.size_bytes) e.bytes = fmt::format("~{} of ~{}", bytes_text(*e.fraction * double(*p.size_bytes)), bytes_text(double(*p.size_bytes)));
  if (p.rows_per_second > 0) {
    auto left = static_cast<long long>((total - double(p.rows_read)) / p.rows_per_second + 0.5);
    e.eta = fmt::format("ETA {}:{:02d}", left / 60, left % 60);
  }
  return e;
}

}  // namespace

void SyncProgress::show(const sync::Progress& p) {
  Estimate e = estimate(p);
  std::string share = e.fraction ? fmt::format(" of ~{} ({:.0f}%)", *p.row_estimate, *e.fraction * 100) : "";
  std::string tail = (e.bytes.empty() ? "" : ", " + e.bytes) + (e.eta.empty() ? "" : ", " + e.eta);
  if (!bar_) {
    err_ << fmt::format("sync {} to {}: read {}{}, wrote {}, {:.0f} rows/s{}\n", p.source, p.target, p.rows_read, share,
                        p.rows_written, p.rows_per_second, tail);
    err_.flush();
    return;
  }
  constexpr int kWidth = 24;
  int filled = e.fraction ? static_cast<int>(*e.fraction * kWidth) : 0;
  std::string bar = e.fraction ? "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " : "";
  // \r back to the line's start, \033[K clears what a longer line before left.
  std::string of = e.fraction ? fmt::format("{:3.0f}% {} of ~{}", *e.fraction * 100, p.rows_read, *p.row_estimate)
                              : std::to_string(p.rows_read);
  err_ << fmt::format("\r{}{} rows, {:.0f} rows/s{}\033[K", bar, of, p.rows_per_second, tail);
  err_.flush();
  drawn_ = true;
}

void SyncProgress::finish() {
  if (drawn_) err_ << "\n";
  drawn_ = false;
}

void SyncOutput::table(const sync::Report& report) {
  if (format_ == "json") {
    // --tables: one array of the tables' objects, opened by the first.
    out_ << (many_ ? (first_ ? "[" : ",\n") : "") << json_of(report) << (many_ ? "" : "\n");
  } else if (format_ == "csv") {
    if (first_) out_ << "source,target,rows_read,rows_written,rows_skipped,created,resumed,interrupted,seconds,verified\n";
    out_ << csv_of(report);
  } else {
    out_ << lines_of(report);
  }
  first_ = false;
  out_.flush();
}

void SyncOutput::totals(const std::vector<sync::Report>& reports, double seconds) {
  if (format_ == "json") {
    out_ << (first_ ? "[]\n" : "]\n");
    return;
  }
  if (format_ == "csv") return;
  std::uint64_t read = 0, written = 0, skipped = 0;
  std::size_t failed = 0;
  for (const sync::Report& r : reports) {
    read += r.rows_read;
    written += r.rows_written;
    skipped += r.rows_skipped;
    failed += !r.error.empty() || r.interrupted;
  }
  out_ << fmt::format("synced {} tables: read {}, wrote {}, skipped {} in {:.2f} s; {} failed\n",
                      reports.size() - failed, read, written, skipped, seconds, failed);
}

}  // namespace weir::cli
