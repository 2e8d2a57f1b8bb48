// An input that hands out the batches a test built, once each: how tests give outputs change
// records or shapes no real input makes yet.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/module.hpp"

namespace weir::test {

class ScriptedInput final : public pipeline::Input {
 public:
  // With `positions`, the checkpoint after the n-th batch is "c<n>", else there is none.
  // `committed` hears each acknowledgement (Input::committed), on the output's thread.
  explicit ScriptedInput(std::vector<Batch> batches, bool positions = false,
                         std::function<void(std::string_view)> committed = {})
      : batches_(std::move(batches)), positions_(positions), committed_(std::move(committed)) {}
  void restore(std::string_view) override {}
  void open(const pipeline::RunOptions&) override {}
  bool read(Batch& out) override {
    if (next_ == batches_.size()) return false;
    out = batches_[next_++];
    return true;
  }
  State state() const noexcept override { return next_ == batches_.size() ? State::run_ended : State::reading; }
  std::string checkpoint() const override { return positions_ ? "c" + std::to_string(next_) : ""; }
  void committed(std::string_view checkpoint) override {
    if (committed_) committed_(checkpoint);
  }

 private:
  std::vector<Batch> batches_;
  std::size_t next_ = 0;
  bool positions_;
  std::function<void(std::string_view)> committed_;
};

}  // namespace weir::test
