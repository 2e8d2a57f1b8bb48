#include "pipeline/error_limit.hpp"

#include <fmt/format.h>

#include <charconv>

#include "weir/error.hpp"

namespace weir::pipeline {

ErrorLimit ErrorLimit::parse(std::string_view text) {
  ErrorLimit limit;
  auto bad = [&] {
    return Error(ErrorKind::config,
                 fmt::format("`{}` is not a limit: expected a count of records (`10`) or a percentage of the "
                             "rows read (`1%`, `0.5%`)", text));
  };
  std::string_view number = text;
  limit.is_percent_ = number.ends_with('%');
  if (limit.is_percent_) number.remove_suffix(1);
  if (number.empty()) throw bad();
  const char* end = number.data() + number.size();
  auto parsed = limit.is_percent_ ? std::from_chars(number.data(), end, limit.percent_)
                                  : std::from_chars(number.data(), end, limit.count_);
  if (parsed.ec != std::errc{} || parsed.ptr != end) throw bad();
  if (limit.is_percent_ && !(limit.percent_ >= 0 && limit.percent_ <= 100)) throw bad();
  return limit;
}

bool ErrorLimit::passed(std::uint64_t letters, std::uint64_t rows_read) const noexcept {
  if (!is_percent_) return letters > count_;
  return double(letters) * 100.0 > percent_ * double(rows_read);
}

std::string ErrorLimit::to_string() const {
  return is_percent_ ? fmt::format("{}%", percent_) : std::to_string(count_);
}

}  // namespace weir::pipeline
