#include "db/postgres/copy_out.hpp"

#include <fmt/format.h>

#include <cstring>

#include "core/text.hpp"
#include "db/common/sql_lexer.hpp"
#include "db/postgres/dialect.hpp"
#include "db/postgres/wire_buffer.hpp"
#include "weir/error.hpp"

namespace weir::db::postgres {
namespace {

[[noreturn]] void not_binary_copy(std::string_view what) {
  throw Error(ErrorKind::internal, fmt::format("reading COPY data: {}", what));
}

}  // namespace

std::optional<std::string_view> copyable_query(std::string_view sql) {
  sql::Scan scan = sql::scan(sql, {.syntax = PgDialect::kSyntax});
  if (scan.unclosed) return std::nullopt;
  std::string_view first_word;
  std::size_t end = 0;
  bool after_semicolon = false;
  for (const sql::Token& t : scan.tokens) {
    if (t.kind == sql::TokenKind::space || t.kind == sql::TokenKind::comment) continue;
    if (t.kind == sql::TokenKind::semicolon) {
      after_semicolon = true;
      continue;
    }
    if (after_semicolon) return std::nullopt;  // a second statement
    if (first_word.empty() && t.kind == sql::TokenKind::word) first_word = t.text(sql);
    end = t.end;
  }
  if (!iequals(first_word, "select") && !iequals(first_word, "with") && !iequals(first_word, "values") &&
      !iequals(first_word, "table"))
    return std::nullopt;
  return sql.substr(0, end);
}

bool BinaryCopyReader::read(std::string_view message) {
  const char* p = message.data();
  const char* end = p + message.size();
  auto need = [&](std::size_t n) {
    if (static_cast<std::size_t>(end - p) < n) not_binary_copy("a message ends inside a tuple");
  };
  if (!header_read_) {
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
    need(sizeof kSignature + 8);
    if (std::memcmp(p, kSignature, sizeof kSignature) != 0) not_binary_copy("no binary COPY signature");
    std::uint32_t extension = load32(p + sizeof kSignature + 4);
    p += sizeof kSignature + 8;
    need(extension);
    p += extension;
    header_read_ = true;
  }
  need(2);
  auto count = static_cast<std::int16_t>(load16(p));
  p += 2;
  if (count == -1) return false;
  if (static_cast<std::size_t>(count) != fields_.size())
    not_binary_copy(fmt::format("a tuple has {} fields, the result {} columns", count, fields_.size()));
  for (Field& field : fields_) {
    need(4);
    field.length = static_cast<std::int32_t>(load32(p));
    p += 4;
    field.data = p;
    if (field.length < 0) continue;
    need(static_cast<std::size_t>(field.length));
    p += field.length;
  }
  if (p != end) not_binary_copy("a message holds more than one tuple");
  return true;
}

}  // namespace weir::db::postgres
