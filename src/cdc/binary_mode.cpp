#include "cdc/binary_mode.hpp"

#include <fmt/format.h>

#include "db/postgres/binary_codec.hpp"
#include "weir/batch.hpp"

namespace weir::cdc {

std::optional<std::string> column_without_binary_reader(db::Connection& sql, std::string_view publication) {
  Value name(publication);
  auto cursor = sql.query(
      "SELECT p.schemaname::text, p.tablename::text, a.attname::text, a.atttypid::bigint, "
      "format_type(a.atttypid, NULL) FROM pg_publication_tables p "
      "JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = "
      "p.tablename JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
      "WHERE p.pubname = $1 ORDER BY 1, 2, a.attnum",
      std::span(&name, 1));
  Batch rows;
  while (cursor->next(rows, 1024))
    for (std::size_t r = 0; r < rows.rows(); ++r)
      if (!db::postgres::BinaryCodec::for_type(static_cast<Oid>(rows.at(r, 3).as_int())))
        return fmt::format("{}.{}.{} ({})", rows.at(r, 0).as_text(), rows.at(r, 1).as_text(), rows.at(r, 2).as_text(),
                           rows.at(r, 4).as_text());
  return std::nullopt;
}

}  // namespace weir::cdc
