#include "weir/schema.hpp"

#include <fmt/format.h>

#include "weir/error.hpp"
#include "core/text.hpp"

namespace weir {

Schema::Schema(std::vector<Column> columns, SourceTable source, std::shared_ptr<const ShapeChange> change)
    : columns_(std::move(columns)), source_(std::move(source)), change_(std::move(change)) {}

std::string_view to_string(ColumnChange::Kind kind) noexcept {
  switch (kind) {
    case ColumnChange::Kind::add: return "add_column";
    case ColumnChange::Kind::drop: return "drop_column";
    case ColumnChange::Kind::type: return "type_change";
    case ColumnChange::Kind::rename: return "rename";
  }
  return "?";
}

std::optional<std::size_t> Schema::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name == name) return i;
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (iequals(columns_[i].name, name)) return i;
  return std::nullopt;
}

std::size_t Schema::index_of(std::string_view name) const {
  if (auto i = find(name)) return *i;
  std::vector<std::string_view> names;
  for (const Column& c : columns_) names.push_back(c.name);
  throw Error(ErrorKind::config,
              fmt::format("no column `{}`{}", name, did_you_mean(name, names)));
}

}  // namespace weir
