#include "cli/result_printer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "weir/error.hpp"

namespace weir::cli {
namespace {

// Display width in terminal columns, counting UTF-8 code points (not bytes).
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// A value on one line of the table: control characters escaped C-style (a newline as \n)
// so each row stays one line; NULL as `null_text` (psql's `\pset null`, empty by default).
std::string cell_text(const Value& v, const std::string& null_text) {
  if (v.is_null()) return null_text;
  std::string text = v.to_text();
  if (std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return text;
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else out += c;
    }
  }
  return out;
}

class TablePrinter final : public ResultPrinter {
 public:
  TablePrinter(std::ostream& out, std::string null_text) : out_(out), null_text_(std::move(null_text)) {}

  void batch(const Batch& b) override {
    if (widths_.empty()) start(b);
    for (std::size_t r = 0; r < b.rows(); ++r) {
      std::string line;
      for (std::size_t c = 0; c < b.width(); ++c) {
        std::string text = cell_text(b.at(r, c), null_text_);
        pad_into(line, text, c, is_numeric(b.at(r, c)));
      }
      out_ << line << '\n';
    }
    out_.flush();
  }

  void finish(std::uint64_t rows) override {
    out_ << fmt::format("({} row{})\n", rows, rows == 1 ? "" : "s");
  }

 private:
  static bool is_numeric(const Value& v) {
    return v.type() == Type::int64 || v.type() == Type::float64 || v.type() == Type::decimal;
  }

  // Column widths come from the header and the first batch; later wider cells overflow
  // rather than being cut, so nothing is hidden.
  void start(const Batch& b) {
    for (std::size_t c = 0; c < b.width(); ++c) {
      std::size_t w = display_width(b.schema()[c].name);
      for (std::size_t r = 0; r < b.rows(); ++r) w = std::max(w, display_width(cell_text(b.at(r, c), null_text_)));
      widths_.push_back(w);
    }
    std::string header, rule;
    for (std::size_t c = 0; c < b.width(); ++c) {
      pad_into(header, b.schema()[c].name, c, false);
      rule += (c ? "-+-" : "") + std::string(widths_[c], '-');
    }
    out_ << header << '\n' << rule << '\n';
  }

  void pad_into(std::string& line, std::string_view text, std::size_t column, bool right) {
    if (column) line += " | ";
    std::size_t w = display_width(text);
    std::string pad(widths_[column] > w ? widths_[column] - w : 0, ' ');
    bool last = column + 1 == widths_.size();
    if (right) line += pad;
    line += text;
    if (!right && !last) line += pad;
  }

  std::ostream& out_;
  std::string null_text_;
  std::vector<std::size_t> widths_;
};

class CsvPrinter final : public ResultPrinter {
 public:
  explicit CsvPrinter(std::ostream& out) : out_(out) {}
  // buf_ and scratch_ keep their capacity from batch to batch: a fresh buffer per batch grew
  // by doubling and page-faulted its way through the output again each time (most of weir's
  // CPU time in a streaming export).
  void batch(const Batch& b) override {
    std::string& buf = buf_;
    buf.clear();
    if (!header_done_) {
      for (std::size_t c = 0; c < b.width(); ++c) append_field(buf, b.schema()[c].name, c);
      buf += '\n';
      header_done_ = true;
    }
    for (std::size_t r = 0; r < b.rows(); ++r) {
      for (std::size_t c = 0; c < b.width(); ++c) append_field(buf, b.at(r, c), c, scratch_);
      buf += '\n';
    }
    out_.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    out_.flush();
  }
  void finish(std::uint64_t) override {}

 private:
  // NULL is an empty field, the empty string a quoted one (`""`), as PostgreSQL's COPY CSV
  // writes them, so the two survive a round trip.
  static void append_field(std::string& buf, const Value& value, std::size_t column, std::string& scratch) {
    if (value.is_null()) {
      if (column) buf += ',';
      return;
    }
    scratch.clear();
    value.append_text(scratch);
    if (scratch.empty()) {
      buf += column ? ",\"\"" : "\"\"";
      return;
    }
    append_field(buf, scratch, column);
  }
  // One pass over the bytes: string_view::find_first_of calls memchr on the set per byte.
  static bool needs_quotes(std::string_view text) noexcept {
    for (char c : text)
      if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
    return false;
  }
  static void append_field(std::string& buf, std::string_view text, std::size_t column) {
    if (column) buf += ',';
    if (!needs_quotes(text)) {
      buf += text;
      return;
    }
    buf += '"';
    for (char ch : text) {
      if (ch == '"') buf += '"';
      buf += ch;
    }
    buf += '"';
  }
  std::ostream& out_;
  bool header_done_ = false;
  std::string buf_, scratch_;
};

class JsonPrinter final : public ResultPrinter {
 public:
  JsonPrinter(std::ostream& out, bool lines) : out_(out), lines_(lines) {}
  void batch(const Batch& b) override {
    std::string& buf = buf_;  // reused, as in CsvPrinter
    buf.clear();
    for (std::size_t r = 0; r < b.rows(); ++r) {
      if (!lines_) buf += first_ ? "[\n" : ",\n";
      first_ = false;
      buf += '{';
      for (std::size_t c = 0; c < b.width(); ++c) {
        if (c) buf += ',';
        append_json_string(buf, b.schema()[c].name);
        buf += ':';
        b.at(r, c).append_json(buf);
      }
      buf += '}';
      if (lines_) buf += '\n';
    }
    out_.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    out_.flush();
  }
  void finish(std::uint64_t) override {
    if (!lines_) out_ << (first_ ? "[]\n" : "\n]\n");
  }

 private:
  std::ostream& out_;
  bool lines_;
  bool first_ = true;
  std::string buf_;
};

}  // namespace

Format parse_format(std::string_view name) {
  if (name == "table") return Format::table;
  if (name == "csv") return Format::csv;
  if (name == "json") return Format::json;
  if (name == "ndjson" || name == "jsonl") return Format::ndjson;
  throw Error(ErrorKind::config, fmt::format("unknown format `{}` (use table, csv, json or ndjson)", name));
}

std::unique_ptr<ResultPrinter> make_printer(Format format, std::ostream& out, std::string null_text) {
  switch (format) {
    case Format::csv: return std::make_unique<CsvPrinter>(out);
    case Format::json: return std::make_unique<JsonPrinter>(out, false);
    case Format::ndjson: return std::make_unique<JsonPrinter>(out, true);
    case Format::table: break;
  }
  return std::make_unique<TablePrinter>(out, std::move(null_text));
}

}  // namespace weir::cli
