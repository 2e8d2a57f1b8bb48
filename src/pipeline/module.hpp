// The contract between the pipeline runtime and its modules (inputs, filters, outputs).
//
// A module is a name, a config Spec and a factory. Factories run while the whole file is
// validated, before anything runs: they check what they can (connection names, option
// combinations) and throw Error{config}. open() is where connections are made.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/config_spec.hpp"
#include "db/connections.hpp"
#include "weir/batch.hpp"
#include "weir/db/connection.hpp"

namespace weir::pipeline {

// What a module may use while it is built and run.
class ModuleContext {
 public:
  ModuleContext(const db::Connections& connections, std::string pipeline)
      : connections_(&connections), pipeline_(std::move(pipeline)) {}

  const std::string& pipeline() const noexcept { return pipeline_; }
  // The connection named by option `field` of `section`; throws Error{config} naming the
  // YAML path and the closest configured name when there is none.
  const db::ConnectionConfig& connection(const config::Section& section, std::string_view field) const;

 private:
  const db::Connections* connections_;
  std::string pipeline_;
};

class Input {
 public:
  virtual ~Input() = default;
  virtual void open() = 0;
  // Replaces `out` with the next rows; false when the input is exhausted (for this run).
  virtual bool read(Batch& out) = 0;
};

class Output {
 public:
  virtual ~Output() = default;
  virtual void open() = 0;
  // Takes a batch; commits whenever its own batch size is reached.
  virtual void write(const Batch& batch) = 0;
  // Commits pending rows if the batch interval has passed (called when input is idle).
  virtual void flush_if_due() = 0;
  // Commits everything pending.
  virtual void flush() = 0;
  virtual std::uint64_t rows_written() const noexcept = 0;
};

struct InputModule {
  std::string_view name;
  const config::Spec& (*spec)();
  std::unique_ptr<Input> (*make)(const config::Section& section, const ModuleContext& context);
};

struct OutputModule {
  std::string_view name;
  const config::Spec& (*spec)();
  std::unique_ptr<Output> (*make)(const config::Section& section, const ModuleContext& context);
};

// Every module compiled in (modules/builtin.cpp).
std::span<const InputModule> input_modules();
std::span<const OutputModule> output_modules();

}  // namespace weir::pipeline
