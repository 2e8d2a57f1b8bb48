// A connection URL's options (`?name=value`), checked and read against its driver's spec
// (Driver::url_options), the same way a module's YAML options are against its ConfigSpec.
#pragma once

#include <string>
#include <vector>

#include "core/config_spec.hpp"
#include "weir/db/driver.hpp"

namespace weir::db {

// The problems with the options of `url` against `spec`, without connecting: one message per
// problem, e.g. "option `bulk_merge`: `cpy` is not one of: auto, copy, statements (did you
// mean `copy`?)" or "unknown option `bulkmerge` for postgres:// URLs (did you mean …?)".
std::vector<std::string> url_option_problems(const Url& url, const config::Spec& spec);
// The same against the spec of the driver registered for url.scheme.
std::vector<std::string> url_option_problems(const Url& url);

// The options of config.url as a Section of `spec` (typed reads, absent ones at their
// default). Throws Error{config} naming the connection and every problem.
config::Section read_url_options(const ConnectionConfig& config, const config::Spec& spec);

}  // namespace weir::db
