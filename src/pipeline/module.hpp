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
#include "weir/error.hpp"

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

// Where records that cannot be processed go, with why (see dead_letters.hpp for the table).
struct DeadLetter {
  std::string stage;       // YAML path of the module that gave up on the record
  ErrorKind kind;          // what went wrong (constraint, data, syntax …)
  std::string message;     // the error's one-line message (credentials already redacted)
  std::string record_json; // the record as a JSON object
};

class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  virtual void add(DeadLetter letter) = 0;
};

// Turns one batch into another: enriches, drops or reroutes records. Runs on its own thread;
// one instance is used by one thread at a time.
class Filter {
 public:
  virtual ~Filter() = default;
  virtual void open() = 0;
  // Replaces `out` with the processed records of `in` (out's schema may differ from in's).
  // Records given up on go to `dead` when the module's on_error says so.
  virtual void process(const Batch& in, Batch& out, DeadLetterSink& dead) = 0;
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

struct FilterModule {
  std::string_view name;
  const config::Spec& (*spec)();
  std::unique_ptr<Filter> (*make)(const config::Section& section, const ModuleContext& context);
};

struct OutputModule {
  std::string_view name;
  const config::Spec& (*spec)();
  std::unique_ptr<Output> (*make)(const config::Section& section, const ModuleContext& context);
};

// Every module compiled in (modules/builtin.cpp).
std::span<const InputModule> input_modules();
std::span<const FilterModule> filter_modules();
std::span<const OutputModule> output_modules();

}  // namespace weir::pipeline
