#include "cli/explore_output.hpp"

#include <fmt/format.h>

#include "cli/result_printer.hpp"
#include "weir/error.hpp"

namespace weir::cli {

ExploreFormat parse_explore_format(std::string_view name) {
  if (name == "table") return ExploreFormat::table;
  if (name == "json") return ExploreFormat::json;
  if (name == "csv") return ExploreFormat::csv;
  throw Error(ErrorKind::config, fmt::format("unknown format `{}` (use table, json or csv)", name));
}

void print_rows(const Batch& rows, ExploreFormat format, std::ostream& out) {
  auto printer = make_printer(format == ExploreFormat::csv ? Format::csv : Format::table, out);
  printer->batch(rows);
  if (format == ExploreFormat::table) printer->finish(rows.rows());
}

void print_json(const explore::Json& json, std::ostream& out) { out << json.dump(2) << '\n'; }

}  // namespace weir::cli
