#include "db/common/catalog_rows.hpp"

#include <cctype>

namespace weir::db {

std::vector<Row> fetch_rows(Connection& connection, std::string_view sql, std::span<const Value> params) {
  auto cursor = connection.query(sql, params);
  std::vector<Row> rows;
  Batch batch;
  while (cursor->next(batch, 1000)) {
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      auto cells = batch.row(r);
      rows.emplace_back(cells.begin(), cells.end());
    }
  }
  return rows;
}

std::string text_of(const Value& cell) { return cell.is_null() ? std::string() : cell.to_text(); }

std::optional<std::string> optional_text(const Value& cell) {
  if (cell.is_null()) return std::nullopt;
  return cell.to_text();
}

std::optional<std::int64_t> optional_int(const Value& cell) {
  if (cell.is_null()) return std::nullopt;
  if (cell.type() == Type::int64) return cell.as_int();
  return static_cast<std::int64_t>(std::stod(cell.to_text()));
}

std::vector<std::string> text_items(const Value& cell) {
  std::vector<std::string> out;
  if (const Array* array = cell.get_if<Array>())
    for (const Value& item : array->items) out.push_back(text_of(item));
  return out;
}

std::string foreign_key_action(std::string_view word_or_code) {
  if (word_or_code.size() == 1) {
    switch (word_or_code[0]) {
      case 'r': return "RESTRICT";
      case 'c': return "CASCADE";
      case 'n': return "SET NULL";
      case 'd': return "SET DEFAULT";
      default: return "NO ACTION";
    }
  }
  std::string out(word_or_code);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace weir::db
