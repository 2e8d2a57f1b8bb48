#include "modules/output/column_map.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "weir/db/catalog.hpp"
#include "weir/error.hpp"

namespace weir::modules {

ColumnMap read_column_map(const config::Section& section, std::string_view field) {
  ColumnMap map;
  if (!section.node(field).IsMap()) return map;
  for (auto& [target, source] : section.string_map(field)) {
    db::validate_identifier(target, "column");
    map.emplace_back(target, source);
  }
  return map;
}

std::size_t mapped_field(const Schema& input, std::string_view path, const std::string& target,
                         const std::string& source) {
  if (auto index = input.find(source)) return *index;
  std::vector<std::string_view> names;
  for (const Column& c : input.columns()) names.push_back(c.name);
  throw Error(ErrorKind::config, fmt::format("{}.columns.{}: the input has no field `{}`{}", path, target, source,
                                             did_you_mean(source, names)));
}

}  // namespace weir::modules
