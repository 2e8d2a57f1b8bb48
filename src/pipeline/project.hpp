// A weir project file: named connections and pipelines, validated as a whole before
// anything runs. Every problem is reported at once, each with file, line and YAML path.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/yaml_document.hpp"
#include "db/connections.hpp"
#include "pipeline/dead_letters.hpp"
#include "pipeline/error_limit.hpp"
#include "pipeline/module.hpp"
#include "pipeline/state_store.hpp"

namespace weir::pipeline {

struct Pipeline {
  std::string name;
  std::unique_ptr<Input> input;
  std::vector<std::unique_ptr<Filter>> filters;  // applied in order
  std::unique_ptr<Output> output;
  std::shared_ptr<StateStore> state;              // shared by the pipelines that name the same one
  std::unique_ptr<DeadLetterTable> dead_letters;
  std::optional<ErrorLimit> max_errors;  // absent: any dead letter makes the run exit 3
  StateOwner owner;  // whose checkpoints in `state` are this pipeline's
};

struct Project {
  config::Document document;
  db::Connections connections;
  // One pool per connection, shared by every module, state store and dead-letter table of the
  // run that names it.
  std::shared_ptr<db::Pools> pools = std::make_shared<db::Pools>();
  std::vector<Pipeline> pipelines;
  std::vector<std::pair<Url, std::shared_ptr<StateStore>>> state_stores;  // one per database
};

const config::Spec& project_spec();
const config::Spec& pipeline_spec();

// Loads `file`; throws one Error{config} listing every problem.
Project load_project(const std::string& file);
// The same from a parsed document (tests).
Project build_project(config::Document document);

}  // namespace weir::pipeline
