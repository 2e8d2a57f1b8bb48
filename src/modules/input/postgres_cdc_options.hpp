// postgres_cdc's option spec, and the change kinds its `operations:` names.
#pragma once

#include <vector>

#include "core/config_spec.hpp"
#include "weir/change.hpp"

namespace weir::modules {

const config::Spec& postgres_cdc_spec();

// `operations:` as change kinds; throws Error{config} naming a word that is none.
std::vector<ChangeOp> postgres_cdc_operations(const config::Section& section);

}  // namespace weir::modules
