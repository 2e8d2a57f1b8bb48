// What the sql_call filter tells about its lookups (tests, benchmarks, later metrics).
// The module itself is registered through modules/builtin.hpp.
#pragma once

#include <vector>

#include "lookup/lookup.hpp"
#include "pipeline/module.hpp"

namespace weir::modules {

// One entry per query of an sql_call filter made by sql_call_module().make, in order;
// empty for any other filter.
std::vector<lookup::LookupStats> sql_call_stats(const pipeline::Filter& filter);

}  // namespace weir::modules
