// The list of every module compiled into weir. Registered here, explicitly, rather than by
// static initialisers that a static library would silently drop.
#include "modules/builtin.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

#include "core/text.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {

std::span<const InputModule> input_modules() {
  static const std::array modules{modules::sql_poll_module(), modules::postgres_cdc_module()};
  return modules;
}

std::span<const FilterModule> filter_modules() {
  static const std::array modules{modules::sql_call_module()};
  return modules;
}

std::span<const OutputModule> output_modules() {
  static const std::array modules{modules::sql_write_module(), modules::sql_apply_module(), modules::jsonl_module()};
  return modules;
}

const db::ConnectionConfig& ModuleContext::connection(const config::Section& section,
                                                      std::string_view field) const {
  std::string name = section.string(field);
  if (auto it = connections_->find(name); it != connections_->end()) return it->second;
  if (std::find(unreadable_.begin(), unreadable_.end(), name) != unreadable_.end())
    throw Error(ErrorKind::config,
                fmt::format("{}: connection `{}` could not be read (reported above)", section.path_of(field), name),
                std::string(config::kReportedElsewhere));
  std::vector<std::string_view> names;
  for (const auto& [n, c] : *connections_) names.push_back(n);
  throw Error(ErrorKind::config, fmt::format("{}: connection `{}` is not defined under `connections:`{}",
                                             section.path_of(field), name, did_you_mean(name, names)));
}

}  // namespace weir::pipeline
