// Printing explore's results (weir connections, tables, describe) in the format asked for:
// an aligned table, CSV, or the documented JSON (explore/json.hpp).
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "explore/json.hpp"
#include "weir/batch.hpp"

namespace weir::cli {

enum class ExploreFormat { table, json, csv };

// Throws Error{config} for a name other than table, json or csv.
ExploreFormat parse_explore_format(std::string_view name);

// `rows` as a table (with its row count) or CSV.
void print_rows(const Batch& rows, ExploreFormat format, std::ostream& out);
// `json` indented, one value.
void print_json(const explore::Json& json, std::ostream& out);

}  // namespace weir::cli
