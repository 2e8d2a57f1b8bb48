// An input that records what the runtime acknowledged to it (Input::committed), for the
// unit and integration tests of acknowledgements.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "pipeline/module.hpp"

namespace weir::test {

// What the input was told, with what the target and the state store held at that moment.
struct Acknowledged {
  std::string checkpoint;
  std::string target_rows;
  std::string stored;
  bool operator==(const Acknowledged&) const = default;
};

inline void PrintTo(const Acknowledged& a, std::ostream* os) {
  *os << "{" << a.checkpoint << ", rows " << a.target_rows << ", stored " << a.stored << "}";
}

// The pipeline's own input, recording each acknowledgement.
class RecordingInput final : public pipeline::Input {
 public:
  RecordingInput(std::unique_ptr<pipeline::Input> inner, std::function<Acknowledged(std::string_view)> look)
      : inner_(std::move(inner)), look_(std::move(look)) {}
  void restore(std::string_view checkpoint) override { inner_->restore(checkpoint); }
  void open(const pipeline::RunOptions& options) override { inner_->open(options); }
  bool read(Batch& out) override { return inner_->read(out); }
  State state() const noexcept override { return inner_->state(); }
  std::string checkpoint() const override { return inner_->checkpoint(); }
  void committed(std::string_view checkpoint) override {
    std::lock_guard lock(mutex_);
    acknowledged_.push_back(look_(checkpoint));
  }
  std::vector<Acknowledged> acknowledged() const {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }

 private:
  std::unique_ptr<pipeline::Input> inner_;
  std::function<Acknowledged(std::string_view)> look_;
  mutable std::mutex mutex_;
  std::vector<Acknowledged> acknowledged_;
};

}  // namespace weir::test
