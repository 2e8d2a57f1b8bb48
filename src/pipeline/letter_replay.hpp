// Dead letters sent through their pipeline again (`weir deadletters replay`): an Input that
// reads the letters' original records back, exactly as the pipeline's input had read them
// (their values with their types, DeadLetter::original_values), for the pipeline's filters and
// output to process once more. A change stream's letter comes back as the change it was (an
// insert, an update with its before image, a delete), of its table, at its position, ending a
// source transaction of its own.
//
// The run's checkpoints are not positions in the source but counts of the letters handed out:
// when a batch commits, the hooks (commit_hooks.hpp) delete the letters it covered from the
// table, except those given up on again, which keep their id with the new error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/change_letters.hpp"
#include "pipeline/dead_letters.hpp"
#include "pipeline/module.hpp"

namespace weir::pipeline {

class LetterReplay final : public Input {
 public:
  // `letters` in the order to send them; those without an original record (made by a weir
  // version before them) or whose record cannot be read back are left out, and skipped() says
  // why.
  explicit LetterReplay(const std::vector<DeadLetterTable::Stored>& letters);

  void restore(std::string_view checkpoint) override { (void)checkpoint; }
  void open(const RunOptions& options) override { (void)options; }
  // One batch per run of consecutive letters whose records have the same columns.
  bool read(Batch& out) override;
  State state() const noexcept override { return next_group_ == groups_.size() ? State::run_ended : State::reading; }
  // How many letters were handed out so far.
  std::string checkpoint() const override { return std::to_string(handed_out_); }
  bool source_forgets_committed() const noexcept override { return false; }
  std::string position_of(const Batch& rows, std::size_t row) const override;
  std::string replayed_letter(const Batch& rows, std::size_t row) const override;

  // The ids of the letters handed out before checkpoint `from` up to `to` (checkpoint() texts;
  // empty `from`: from the first).
  std::vector<std::string> ids_between(std::string_view from, std::string_view to) const;
  // One line per letter left out, with why.
  const std::vector<std::string>& skipped() const noexcept { return skipped_; }
  std::size_t size() const noexcept { return letters_.size(); }

 private:
  struct Letter {
    std::string id, position;
    std::vector<std::string> names;
    std::vector<Value> values;
    std::optional<StoredChange> change;  // a change stream's letter: applied as the change it was
  };
  struct Group {
    std::shared_ptr<const Schema> schema;
    std::size_t first = 0, count = 0;  // its letters in letters_
  };
  void group();
  void group_change(std::size_t i);
  const Letter* letter_of(const Batch& rows, std::size_t row) const;

  std::vector<Letter> letters_;
  std::vector<Group> groups_;
  std::vector<std::string> skipped_;
  std::size_t next_group_ = 0;
  std::size_t handed_out_ = 0;
};

}  // namespace weir::pipeline
