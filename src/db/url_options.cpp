#include "db/url_options.hpp"

#include <fmt/format.h>

#include "weir/error.hpp"

namespace weir::db {

std::vector<std::string> url_option_problems(const Url& url, const config::Spec& spec) {
  std::vector<std::string> problems;
  for (const auto& [key, value] : url.options) {
    const config::Field* field = spec.find(key);
    if (!field) {
      problems.push_back(config::unknown_option(key, spec));
      continue;
    }
    if (std::string problem = config::scalar_problem(value, *field); !problem.empty())
      problems.push_back(fmt::format("option `{}`: {}", key, problem));
    if (!field->alias_of.empty() && url.option(field->alias_of))
      problems.push_back(fmt::format("option `{}` is given twice (`{}` is another name for it)", field->alias_of, key));
  }
  if (spec.cross_check) {
    auto option = [&](std::string_view name) -> std::string {
      for (const auto& [key, value] : url.options) {
        const config::Field* field = spec.find(key);
        if (key == name || (field && field->alias_of == name)) return value;
      }
      return {};
    };
    if (std::string problem = spec.cross_check(option); !problem.empty()) problems.push_back(std::move(problem));
  }
  return problems;
}

std::vector<std::string> url_option_problems(const Url& url) {
  return url_option_problems(url, Registry::builtin().for_scheme(url.scheme).url_options());
}

config::Section read_url_options(const ConnectionConfig& config, const config::Spec& spec) {
  if (auto problems = url_option_problems(config.url, spec); !problems.empty())
    throw Error(ErrorKind::config, fmt::format("{}: {}", config.describe(), fmt::join(problems, "; ")));
  YAML::Node options(YAML::NodeType::Map);
  for (const auto& [key, value] : config.url.options) {
    const std::string& alias_of = spec.find(key)->alias_of;
    options[alias_of.empty() ? key : alias_of] = value;
  }
  return config::Section(options, spec, "url");
}

}  // namespace weir::db
