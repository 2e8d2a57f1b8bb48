#include "weir/db/catalog.hpp"

#include <fmt/format.h>

#include "weir/error.hpp"

namespace weir::db {

namespace {
// The identifier with control characters shown as \xNN, safe to put in a one-line message.
std::string printable(std::string_view identifier) {
  std::string out;
  for (unsigned char c : identifier) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}
}  // namespace

void validate_identifier(std::string_view identifier, std::string_view what) {
  if (identifier.empty()) throw Error(ErrorKind::config, fmt::format("{} name is empty", what));
  if (identifier.size() > 128)
    throw Error(ErrorKind::config, fmt::format("{} name `{}…` is longer than 128 bytes", what,
                                               printable(identifier.substr(0, 32))));
  for (unsigned char c : identifier)
    if (c < 0x20 || c == 0x7f)
      throw Error(ErrorKind::config,
                  fmt::format("{} name `{}` contains a control character", what, printable(identifier)));
}

std::string_view to_string(TableKind kind) noexcept {
  switch (kind) {
    case TableKind::view: return "view";
    case TableKind::materialized_view: return "materialized view";
    case TableKind::foreign_table: return "foreign table";
    case TableKind::table: break;
  }
  return "table";
}

TableRef TableRef::parse(std::string_view text) {
  TableRef ref;
  auto dot = text.find('.');
  if (dot == std::string_view::npos) {
    ref.name = std::string(text);
  } else {
    ref.schema = std::string(text.substr(0, dot));
    ref.name = std::string(text.substr(dot + 1));
    validate_identifier(ref.schema, "schema");
  }
  validate_identifier(ref.name, "table");
  return ref;
}

}  // namespace weir::db
