// decimal_sum(x): an exact sum for SQLite, registered on every connection weir opens.
//
// SQLite's sum() adds REALs, so prices of 0.99 sum to 523.060000000003. decimal_sum adds the
// decimal text of each value instead (a REAL as the shortest text that reads back as it, so
// 0.99 counts as 0.99), and returns the sum as text with the largest scale it saw: 523.06.
// Exact decimals weir stores in DECIMAL_TEXT columns sum without any rounding at all.
#pragma once

#include <cstdint>
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

// 128-bit integers (a GCC and Clang extension) hold the running sum of short decimals.
__extension__ typedef __int128 Int128;

// An exact running sum that adds short values (up to 18 digits, no exponent: what most columns
// hold) as one 128-bit integer at the largest scale seen, and the rest as ExactDecimal. Its
// total has the largest scale of any value added, as ExactDecimal::add gives.
class DecimalAccumulator {
 public:
  // Adds (sign 1) or takes out (sign -1) the number `text` reads as; false, adding nothing,
  // when it is none (ExactDecimal::parse's syntax).
  bool add(std::string_view text, int sign = 1);
  void add_integer(std::int64_t value, int sign = 1);
  // The sum so far (0 when nothing was added).
  ExactDecimal total() const;

 private:
  void add_short(std::int64_t mantissa, int scale);
  void flush();
  ExactDecimal exact_;
  Int128 small_ = 0;  // the short values' sum, in units of 10^-small_scale_
  int small_scale_ = 0;
  bool any_small_ = false;
};

// Registers decimal_sum on `db`; throws Error on failure.
void register_decimal_sum(sqlite3* db);

}  // namespace weir::db::sqlite
