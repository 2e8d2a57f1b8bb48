// decimal_sum(x): an exact sum for SQLite, registered on every connection weir opens.
//
// SQLite's sum() adds REALs, so prices of 0.99 sum to 523.060000000003. decimal_sum adds the
// decimal text of each value instead (a REAL as the shortest text that reads back as it, so
// 0.99 counts as 0.99), and returns the sum as text with the largest scale it saw: 523.06.
// Exact decimals weir stores in DECIMAL_TEXT columns sum without any rounding at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>

struct sqlite3;

namespace weir::db::sqlite {

// An exact decimal of any size: digits without a point, and how many of them are fractional.
class ExactDecimal {
 public:
  // "-12.50", "1e-7", "1.5E+20"; nullopt for anything else (text that is not a number).
  static std::optional<ExactDecimal> parse(std::string_view text);
  void add(const ExactDecimal& other);
  // <0, 0, >0 as this is less than, equal to or greater than `other` (1.50 equals 1.5).
  int compare(const ExactDecimal& other) const;
  bool is_negative() const noexcept { return negative_ && digits_ != "0"; }
  std::string to_string() const;

 private:
  void rescale(std::size_t scale);
  bool negative_ = false;
  std::string digits_ = "0";  // most significant first, no leading zeros but one
  std::size_t scale_ = 0;
};

// Registers decimal_sum on `db`; throws Error on failure.
void register_decimal_sum(sqlite3* db);

}  // namespace weir::db::sqlite
