// A weir project file: named connections and pipelines, validated as a whole before
// anything runs. Every problem is reported at once, each with file, line and YAML path.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/yaml_document.hpp"
#include "db/connections.hpp"
#include "pipeline/module.hpp"

namespace weir::pipeline {

struct Pipeline {
  std::string name;
  std::unique_ptr<Input> input;
  std::unique_ptr<Output> output;
};

struct Project {
  config::Document document;
  db::Connections connections;
  std::vector<Pipeline> pipelines;
};

const config::Spec& pipeline_spec();

// Loads `file`; throws one Error{config} listing every problem.
Project load_project(const std::string& file);
// The same from a parsed document (tests).
Project build_project(config::Document document);

}  // namespace weir::pipeline
