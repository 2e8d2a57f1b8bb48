// docs/types.md, generated from each driver's own type tables so the documentation is the
// mapping the code uses. A test fails when the committed file is stale.
#pragma once

#include <string>

namespace weir::db {

std::string types_reference_markdown();

}  // namespace weir::db
