// `max_errors`: how many records a pipeline may send to its dead letters before its run stops.
//
//   max_errors: 10     # at most 10 records in all
//   max_errors: 1%     # at most 1% of the rows read so far
//
// Without it any dead letter makes `weir run` exit 3 ("completed with rejected rows"); with it,
// letters within the limit are accepted (exit 0), and the batch that passes it is not
// committed and fails the pipeline (exit 1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weir::pipeline {

class ErrorLimit {
 public:
  // Parses "10" or "1%" / "0.5%"; throws Error{config} naming the expected forms.
  static ErrorLimit parse(std::string_view text);

  // Whether `letters` dead letters out of `rows_read` rows read go beyond the limit.
  bool passed(std::uint64_t letters, std::uint64_t rows_read) const noexcept;
  // "10" or "1%", as written in the file.
  std::string to_string() const;

 private:
  std::uint64_t count_ = 0;
  double percent_ = 0;
  bool is_percent_ = false;
};

}  // namespace weir::pipeline
