// The `columns:` option of the SQL outputs: which input field each target column is written
// from. sql_write has one for its table, sql_apply one per source table.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config_spec.hpp"
#include "weir/schema.hpp"

namespace weir::modules {

// Target column → input field, in the order written; empty when `field` is not a map.
using ColumnMap = std::vector<std::pair<std::string, std::string>>;

// Reads `field` of `section` when it is a map; throws Error{config} for a target column that
// is no identifier.
ColumnMap read_column_map(const config::Section& section, std::string_view field);

// Where in `input` the field sits that target column `target` is written from (`source`);
// throws Error{config} naming `<path>.columns.<target>` and the closest field.
std::size_t mapped_field(const Schema& input, std::string_view path, const std::string& target,
                         const std::string& source);

}  // namespace weir::modules
