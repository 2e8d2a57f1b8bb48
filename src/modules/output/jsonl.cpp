// jsonl — writes one JSON object per record, one per line, to a file or to stdout.
//
// A change becomes the change envelope (docs/pipelines.md): op, before, after, source
// position, columns and the columns whose value was not sent; a plain row becomes
// {"op":"row","after":{…}}. Values are exact: numeric as text with all its digits, timestamps
// in ISO 8601 with microseconds (timestamptz in UTC, "Z"), json as JSON, arrays as arrays,
// bytes as base64. Lines are flushed at the end of each source transaction, when a megabyte of
// them waits (a large transaction is not held in memory), and at each commit of the commit
// engine, which saves the checkpoint only after that. A file has no
// transactions: after a crash the lines since the last checkpoint may be written again (at
// least once, never lost). A write the disk cut short (full) or a run killed mid-write leaves
// a line torn: it is cut off at once, and again when the file is next opened, so that no line
// ever continues a fragment.
#include <fmt/format.h>
#include <stdio_ext.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>

#include "cdc/lsn.hpp"
#include "modules/builtin.hpp"
#include "modules/retry_option.hpp"
#include "pipeline/commit_engine.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/temporal.hpp"

namespace weir::modules {
namespace {

using config::Field;

// Lines waiting for a transaction's end are written out past this: stdio takes them on.
constexpr std::size_t kFlushBytes = 1 << 20;

const config::Spec& spec() {
  static const config::Spec s{
      "jsonl",
      "Writes each record as one line of JSON (a change as the change envelope) to a file or stdout.",
      {
          Field{.name = "path", .required = true,
                .description = "The file to append to (relative to the project file's folder), or \"-\" for standard output (which "
                               "then carries nothing else: the run's summary goes to stderr).", .example = "changes.jsonl"},
          pipeline::batch_field(),
          retry_field(),
      }};
  return s;
}

// "2026-12-06T10:00:00.123456": always six digits of microseconds.
void append_iso(std::string& out, std::int64_t micros) {
  constexpr std::int64_t kPerDay = 86'400'000'000;
  std::int64_t days = micros / kPerDay - (micros % kPerDay < 0 ? 1 : 0);
  std::int64_t rest = micros - days * kPerDay;
  append_date(out, Date{static_cast<std::int32_t>(days)});
  // Digit by digit: a line per change of a timestamp column spends no time in a format string.
  char time[] = "T00:00:00.000000";
  auto put = [&](std::size_t at, std::int64_t value, int digits) {
    for (int d = digits - 1; d >= 0; --d, value /= 10) time[at + static_cast<std::size_t>(d)] = static_cast<char>('0' + value % 10);
  };
  put(1, rest / 3'600'000'000, 2);
  put(4, rest / 60'000'000 % 60, 2);
  put(7, rest / 1'000'000 % 60, 2);
  put(10, rest % 1'000'000, 6);
  out.append(time, sizeof time - 1);
}

void append_value(std::string& out, const Value& value) {
  switch (value.type()) {
    case Type::timestamptz:
      out += '"';
      append_iso(out, value.get<TimestampTz>().micros);
      out += "Z\"";
      return;
    case Type::timestamp:
      out += '"';
      append_iso(out, value.get<Timestamp>().micros);
      out += '"';
      return;
    case Type::array: {
      out += '[';
      const auto& items = value.get<Array>().items;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        append_value(out, items[i]);
      }
      out += ']';
      return;
    }
    default: value.append_json(out);
  }
}

// {"name":value,…} of `cells`, the columns `include` accepts and the source sent.
template <class Include>
void append_object(std::string& out, const Batch& rows, std::size_t row, std::span<const Value> cells,
                   bool check_sent, Include include) {
  out += '{';
  bool first = true;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (!include(c) || (check_sent && !rows.sent(row, c))) continue;
    if (!first) out += ',';
    first = false;
    append_json_string(out, rows.schema()[c].name);
    out += ':';
    append_value(out, cells[c]);
  }
  out += '}';
}

// The "source" member of an envelope up to its index: the same for every change of one table in
// one transaction, made once for them (the schema held, so its address names it while cached).
struct SourceJson {
  std::shared_ptr<const Schema> schema;
  ChangePosition at;  // its index unused
  std::string json;
};

void append_source(std::string& out, const Batch& rows, const ChangePosition& at, SourceJson& source) {
  if (source.schema != rows.schema_ptr() || source.at.commit_lsn != at.commit_lsn || source.at.txid != at.txid ||
      source.at.commit_time != at.commit_time || source.json.empty()) {
    const SourceTable& table = rows.schema().source();
    source.json.clear();
    fmt::format_to(std::back_inserter(source.json), R"(,"source":{{"lsn":"{}","txid":{},"commit_time":")",
                   cdc::format_lsn(at.commit_lsn), at.txid);
    append_iso(source.json, at.commit_time);
    source.json += "Z\",\"schema\":";
    append_json_string(source.json, table.schema);
    source.json += ",\"table\":";
    append_json_string(source.json, table.name);
    source.json += ",\"index\":";
    source.schema = rows.schema_ptr();
    source.at = at;
  }
  out += source.json;
  char index[24];
  out.append(index, std::to_chars(index, index + sizeof index, at.index).ptr);
  out += '}';
}

// The "columns" member of a schema's envelopes: the same for every row of it, made once (the
// schema held, so its address names it while cached).
struct ColumnsJson {
  std::shared_ptr<const Schema> schema;
  std::string json;
};

void append_columns(std::string& out, const Schema& schema) {
  out += ",\"columns\":[";
  for (std::size_t c = 0; c < schema.size(); ++c) {
    const Column& column = schema[c];
    if (c) out += ',';
    out += "{\"name\":";
    append_json_string(out, column.name);
    out += ",\"type\":";
    append_json_string(out, column.native_type.empty() ? to_string(column.type) : column.native_type);
    if (column.native_type_id) out += fmt::format(",\"oid\":{}", column.native_type_id);
    out += fmt::format(",\"key\":{}}}", column.primary_key ? "true" : "false");
  }
  out += ']';
}

// One record as its line, newline included.
void append_envelope(std::string& out, const Batch& rows, std::size_t row, ColumnsJson& columns, SourceJson& source) {
  const ChangeOp op = rows.op(row);
  const auto all = [](std::size_t) { return true; };
  out += "{\"op\":\"";
  out += to_string(op);
  out += '"';
  if (op == ChangeOp::row) {
    out += ",\"after\":";
    append_object(out, rows, row, rows.row(row), false, all);
    out += "}\n";
    return;
  }
  const Schema& schema = rows.schema();
  std::span<const Value> before = rows.before(row);
  out += ",\"before\":";
  if (before.empty() || op == ChangeOp::insert || op == ChangeOp::truncate) out += "null";
  else append_object(out, rows, row, before, false, [&](std::size_t c) { return schema[c].primary_key; });
  out += ",\"after\":";
  if (op == ChangeOp::insert || op == ChangeOp::update) append_object(out, rows, row, rows.row(row), true, all);
  else out += "null";
  if (const ChangePosition* at = rows.position(row)) append_source(out, rows, *at, source);
  if (columns.schema != rows.schema_ptr()) {
    columns.json.clear();
    append_columns(columns.json, schema);
    columns.schema = rows.schema_ptr();
  }
  out += columns.json;
  out += ",\"unchanged\":[";
  bool first = true;
  for (std::size_t c = 0; c < schema.size(); ++c) {
    if (rows.sent(row, c)) continue;
    if (!first) out += ',';
    first = false;
    append_json_string(out, schema[c].name);
  }
  out += "]}\n";
}

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

class JsonlSink final : public pipeline::Sink {
 public:
  JsonlSink(const config::Section& section, const pipeline::ModuleContext& context)
      : path_(section.path()), file_path_(section.string("path")) {
    if (file_path_ != "-" && !file_path_.empty()) file_path_ = context.resolve_path(file_path_);
    if (file_path_.empty())
      throw Error(ErrorKind::config, fmt::format("{}: give a file name, or \"-\" for standard output",
                                                 section.path_of("path")));
  }

  bool transactional() const noexcept override { return false; }
  void connect() override {
    if (file_path_ == "-" || file_) return;
    // a+: appending, and reading back the end of the file for a torn line.
    file_.reset(std::fopen(file_path_.c_str(), "a+b"));
    if (!file_) fail("opening");
    if (std::uint64_t dropped = drop_torn_line())
      log::warn(fmt::format("{}: removed an incomplete last line ({} bytes) of {}, left by a run that stopped while "
                            "writing it; its rows come again from the checkpoint",
                            path_, dropped, file_path_));
  }
  void disconnect() noexcept override { file_.reset(); }
  bool usable() const noexcept override { return file_path_ == "-" || file_ != nullptr; }

  db::WriteCounts write(const Batch& rows) override {
    db::WriteCounts counts;
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      if (!unsynced_from_ && rows.position(r)) unsynced_from_ = *rows.position(r);
      append_envelope(lines_, rows, r, columns_, source_);
      ++counts.inserted;
      if (rows.ends_transaction(r) || lines_.size() >= kFlushBytes) flush();
    }
    return counts;
  }
  // The commit engine saves the checkpoint after this: the lines must be on disk first.
  void commit() override {
    flush();
    // EINVAL: a pipe or a device such as /dev/null, which has nothing to sync.
    if (file_ && ::fsync(fileno(file_.get())) != 0 && errno != EINVAL) fail("syncing");
    unsynced_from_.reset();
  }
  void reset_writes() override {
    lines_.clear();
    unsynced_from_.reset();
  }

  std::string describe() const override { return fmt::format("{} writing to {}", path_, shown()); }
  std::string location() const override { return shown(); }
  std::string target() const override { return shown(); }
  pipeline::Identity identity() const override { return {{"path", file_path_}}; }
  bool writes_stdout() const noexcept override { return file_path_ == "-"; }

 private:
  std::string shown() const { return file_path_ == "-" ? "standard output" : file_path_; }
  std::FILE* stream() const { return file_path_ == "-" ? stdout : file_.get(); }

  void flush() {
    if (!lines_.empty() && std::fwrite(lines_.data(), 1, lines_.size(), stream()) != lines_.size()) fail_writing();
    lines_.clear();
    if (std::fflush(stream()) != 0) fail_writing();
  }

  // The bytes after the file's last newline (a line whose writing stopped half-way) are cut off;
  // returns how many. Only a regular file can be cut.
  std::uint64_t drop_torn_line() {
    const int fd = fileno(file_.get());
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    std::array<char, 4096> buffer;
    off_t keep = 0;
    for (off_t end = st.st_size; end > 0;) {
      const off_t from = end > off_t(buffer.size()) ? end - off_t(buffer.size()) : 0;
      if (::pread(fd, buffer.data(), std::size_t(end - from), from) != end - from) fail("reading back");
      const auto* last = static_cast<const char*>(::memrchr(buffer.data(), '\n', std::size_t(end - from)));
      if (last) {
        keep = from + (last - buffer.data()) + 1;
        break;
      }
      end = from;
    }
    if (keep == st.st_size) return 0;
    if (::ftruncate(fd, keep) != 0) fail("cutting an incomplete line off");
    return std::uint64_t(st.st_size - keep);
  }

  // A failed write may have written part of the lines: the stream forgets what it still holds
  // (closing it would append more) and the file loses its torn line.
  [[noreturn]] void fail_writing() {
    const int error = errno;
    if (file_) {
      __fpurge(file_.get());
      try {
        drop_torn_line();
      } catch (const Error&) {  // the write's error is the one to report
      }
    }
    errno = error;
    fail("writing");
  }

  // Names the file, and for changes where the lines not yet on disk start in the source. The
  // commit engine puts the stage in front (describe()): the message does not name it again.
  [[noreturn]] void fail(std::string_view doing) const {
    int error = errno;
    const std::string from =
        unsynced_from_ ? fmt::format(" (the lines from source position {} on)", to_string(*unsynced_from_)) : "";
    throw Error(error == ENOSPC || error == EDQUOT || error == EFBIG ? ErrorKind::storage : ErrorKind::connection,
                fmt::format("{} {}{}: {}", doing, shown(), from, std::strerror(error)),
                std::to_string(error), false);
  }

  std::string path_;
  std::string file_path_;
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::string lines_;
  ColumnsJson columns_;
  std::optional<ChangePosition> unsynced_from_;  // the first change written since the last commit
  SourceJson source_;
};

std::unique_ptr<pipeline::Output> make(const config::Section& section, const pipeline::ModuleContext& context) {
  auto policy = pipeline::read_commit_policy(section, false, read_retry_policy(section));
  return std::make_unique<pipeline::CommitEngine>(std::make_unique<JsonlSink>(section, context), std::move(policy));
}

}  // namespace

pipeline::OutputModule jsonl_module() { return {"jsonl", &spec, &make}; }

}  // namespace weir::modules
