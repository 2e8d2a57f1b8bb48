#include "db/mysql/load_data.hpp"

#include <errmsg.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <string_view>

#include "db/mysql/errors.hpp"
#include "weir/temporal.hpp"

namespace weir::db::mysql {
namespace {

// The name weir asks the server to request; the callbacks serve memory whatever it is.
constexpr std::string_view kInfileName = "weir-rows";
// Rows are encoded into chunks of about this size as Connector/C reads (4 KiB at a time).
constexpr std::size_t kEncodeChunk = 64 * 1024;

// The letter after the backslash for each byte that needs an escape; 0 for the others.
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> e{};
  e['\\'] = '\\';
  e['\t'] = 't';
  e['\n'] = 'n';
  e['\r'] = 'r';
  e['\0'] = '0';
  return e;
}();

void append_escaped(std::string& out, std::string_view text) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* plain = p;
    while (p < end && !kEscapes[static_cast<unsigned char>(*p)]) ++p;
    out.append(plain, p);
    if (p == end) break;
    out += '\\';
    out += kEscapes[static_cast<unsigned char>(*p++)];
  }
}

template <class Number>
void append_number(std::string& out, Number n) {
  char digits[32];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, ec == std::errc{} ? end : digits);
}

// --- Connector/C callbacks. `userdata` is the connection's InfileSlot (or nullptr before one
// is installed); init hands the same pointer to the others as their handle.

int infile_init(void** handle, const char*, void* userdata) {
  *handle = userdata;
  auto* slot = static_cast<InfileSlot*>(userdata);
  return slot && slot->source ? 0 : 1;
}

int infile_read(void* handle, char* buffer, unsigned int size) {
  auto* slot = static_cast<InfileSlot*>(handle);
  try {
    return static_cast<int>(slot->source->read(buffer, size));
  } catch (...) {
    slot->error = std::current_exception();
    return -1;
  }
}

void infile_end(void*) {}

int infile_error(void* handle, char* message, unsigned int size) {
  auto* slot = static_cast<InfileSlot*>(handle);
  std::string_view text = slot && slot->source
                              ? "the rows for LOAD DATA could not be encoded"
                              : "weir serves LOAD DATA LOCAL INFILE only from its bulk writer, never from a file";
  std::size_t n = std::min<std::size_t>(text.size(), size ? size - 1 : 0);
  std::memcpy(message, text.data(), n);
  if (size) message[n] = '\0';
  return CR_UNKNOWN_ERROR;
}

}  // namespace

void append_load_data_value(std::string& out, const Value& value) {
  switch (value.type()) {
    case Type::null: out += "\\N"; return;
    case Type::boolean: out += value.as_bool() ? '1' : '0'; return;
    case Type::int64: append_number(out, value.as_int()); return;
    case Type::float64: append_number(out, value.as_double()); return;  // shortest exact form
    case Type::decimal: out += value.get<Decimal>().text; return;
    case Type::text: append_escaped(out, value.as_text()); return;
    case Type::bytes: append_escaped(out, value.get<Bytes>().data); return;
    case Type::json: append_escaped(out, value.get<Json>().text); return;
    // The session runs in UTC (see driver.cpp): TIMESTAMP columns take the UTC wall clock.
    case Type::timestamptz: out += format_timestamp(Timestamp{value.get<TimestampTz>().micros}); return;
    default: append_escaped(out, value.to_text()); return;  // dates, times, intervals, uuids, arrays
  }
}

std::string load_data_sql(const Dialect& dialect, const TableRef& table, const std::vector<std::string>& columns) {
  return fmt::format(
      "LOAD DATA LOCAL INFILE '{}' INTO TABLE {} CHARACTER SET utf8mb4 "
      "FIELDS TERMINATED BY X'09' ENCLOSED BY '' ESCAPED BY X'5C' LINES TERMINATED BY X'0A' ({})",
      kInfileName, dialect.quote_table(table), dialect.quote_identifiers(columns));
}

std::size_t BatchInfile::read(char* buffer, std::size_t size) {
  if (sent_ == pending_.size()) {
    encode_more();
    if (pending_.empty()) return 0;
  }
  std::size_t n = std::min(size, pending_.size() - sent_);
  std::memcpy(buffer, pending_.data() + sent_, n);
  sent_ += n;
  return n;
}

void BatchInfile::encode_more() {
  pending_.clear();
  sent_ = 0;
  for (; next_row_ < end_row_ && pending_.size() < kEncodeChunk; ++next_row_) {
    std::span<const Value> row = batch_->row(next_row_);
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) pending_ += '\t';
      append_load_data_value(pending_, row[c]);
    }
    pending_ += '\n';
  }
}

void enable_local_infile(MYSQL* db) {
  unsigned int on = 1;
  mysql_optionsv(db, MYSQL_OPT_LOCAL_INFILE, &on);
  install_local_infile(db, nullptr);
}

void install_local_infile(MYSQL* db, InfileSlot* slot) {
  mysql_set_local_infile_handler(db, infile_init, infile_read, infile_end, infile_error, slot);
}

std::optional<LoadWarning> first_load_warning(MYSQL* db, bool lost_data_only) {
  if (mysql_warning_count(db) == 0) return std::nullopt;
  constexpr std::string_view sql = "SHOW WARNINGS";
  if (mysql_real_query(db, sql.data(), sql.size()) != 0) throw_connection_error(db, "reading LOAD DATA warnings");
  MYSQL_RES* result = mysql_store_result(db);
  if (!result) throw_connection_error(db, "reading LOAD DATA warnings");
  std::optional<LoadWarning> first;
  std::size_t count = 0;
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    if (!row[0] || !row[1]) continue;  // Level, Code, Message
    auto code = static_cast<unsigned>(std::strtoul(row[1], nullptr, 10));
    if ((lost_data_only || std::string_view(row[0]) == "Note") && code != kDataTruncated) continue;
    if (!first) first = LoadWarning{code, row[2] ? row[2] : "", 0};
    ++count;
  }
  mysql_free_result(result);
  if (first) first->count = count;
  return first;
}

}  // namespace weir::db::mysql
