// sql_poll's option spec (and its `cursor:` section's), and the cursor's `initial:` values.
#pragma once

#include <vector>

#include "core/config_spec.hpp"
#include "weir/value.hpp"

namespace weir::modules {

const config::Spec& sql_poll_spec();
const config::Spec& sql_poll_cursor_spec();

// Reads `initial:` scalars: integers as integers, anything else as text the database converts.
std::vector<Value> sql_poll_initial_values(const config::Section& cursor);

}  // namespace weir::modules
