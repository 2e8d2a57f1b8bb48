// The configuration reference (docs/configuration.md), generated from the modules' Specs so
// the docs cannot drift from what validation accepts. A test fails when the file is stale.
#pragma once

#include <string>

namespace weir::pipeline {

std::string configuration_reference_markdown();

}  // namespace weir::pipeline
