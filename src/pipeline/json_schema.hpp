// `weir schema`: the JSON Schema (draft 2020-12) of a weir project file, for editors
// (VS Code's YAML extension, JetBrains, …). Generated from the same option declarations
// that validation and docs/configuration.md use.
#pragma once

#include <string>

namespace weir::pipeline {

std::string project_json_schema();

}  // namespace weir::pipeline
