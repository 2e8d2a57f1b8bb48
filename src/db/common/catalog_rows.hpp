// Reading catalog queries' small results whole, for each driver's catalog.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/db/connection.hpp"

namespace weir::db {

using Row = std::vector<Value>;

// Every row `sql` returns (a catalog query: small by nature).
std::vector<Row> fetch_rows(Connection& connection, std::string_view sql, std::span<const Value> params = {});

// A cell as text ("" for NULL), as an optional text or integer (nullopt for NULL).
std::string text_of(const Value& cell);
std::optional<std::string> optional_text(const Value& cell);
std::optional<std::int64_t> optional_int(const Value& cell);
// The items of an array cell (PostgreSQL's text[]) as text; empty for NULL.
std::vector<std::string> text_items(const Value& cell);

// A foreign key action as SQL spells it, from MySQL's and SQLite's words or PostgreSQL's code
// letter (a r c n d): "NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT".
std::string foreign_key_action(std::string_view word_or_code);

}  // namespace weir::db
