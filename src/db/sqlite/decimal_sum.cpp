#include "db/sqlite/decimal_sum.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <utility>
#include <new>

#include "db/sqlite/errors.hpp"

namespace weir::db::sqlite {
namespace {

__extension__ typedef unsigned __int128 UInt128;

std::string strip_leading_zeros(std::string digits) {
  std::size_t nonzero = digits.find_first_not_of('0');
  if (nonzero == std::string::npos) return "0";
  return digits.substr(nonzero);
}

// a >= b, both digit strings of the same scale without leading zeros.
bool magnitude_less(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::string add_magnitudes(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
    int sum = carry + (i < a.size() ? a[a.size() - 1 - i] - '0' : 0) + (i < b.size() ? b[b.size() - 1 - i] - '0' : 0);
    out += static_cast<char>('0' + sum % 10);
    carry = sum / 10;
  }
  std::reverse(out.begin(), out.end());
  return strip_leading_zeros(out);
}

// a - b for a >= b.
std::string subtract_magnitudes(const std::string& a, const std::string& b) {
  std::string out;
  int borrow = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    int d = (a[a.size() - 1 - i] - '0') - borrow - (i < b.size() ? b[b.size() - 1 - i] - '0' : 0);
    borrow = d < 0;
    out += static_cast<char>('0' + (d + 10) % 10);
  }
  std::reverse(out.begin(), out.end());
  return strip_leading_zeros(out);
}

std::string_view text_of(sqlite3_value* value) {
  auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  return {text ? text : "", static_cast<std::size_t>(sqlite3_value_bytes(value))};
}

constexpr int kShortDigits = 18;
constexpr Int128 kSmallLimit = static_cast<Int128>(1'000'000'000'000'000'000) * 10'000'000'000'000'000'000ULL;  // 10^37

Int128 power_of_ten(int n) {
  Int128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// "-12.50" → (-1250, 2); nullopt for anything longer than kShortDigits digits, with an
// exponent, or no plain number (those take ExactDecimal::parse).
std::optional<std::pair<std::int64_t, int>> parse_short(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  std::int64_t mantissa = 0;
  int digits = 0, fraction = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      if (++digits > kShortDigits) return std::nullopt;
      mantissa = mantissa * 10 + (c - '0');
      fraction += point;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0) return std::nullopt;
  return std::pair{negative ? -mantissa : mantissa, fraction};
}

std::string small_text(Int128 value, int scale) {
  bool negative = value < 0;
  UInt128 magnitude = negative ? -static_cast<UInt128>(value) : static_cast<UInt128>(value);
  std::string digits;
  do {
    digits += static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude);
  while (digits.size() <= static_cast<std::size_t>(scale)) digits += '0';
  std::reverse(digits.begin(), digits.end());
  if (scale) digits.insert(digits.size() - static_cast<std::size_t>(scale), 1, '.');
  return negative ? "-" + digits : digits;
}

struct SumState {
  DecimalAccumulator* sum;  // null until the first non-NULL value
  bool any;                 // a value was added
};

void step(sqlite3_context* context, int, sqlite3_value** args) {
  int type = sqlite3_value_type(args[0]);
  if (type == SQLITE_NULL) return;
  auto* state = static_cast<SumState*>(sqlite3_aggregate_context(context, sizeof(SumState)));
  if (!state) return sqlite3_result_error_nomem(context);
  if (!state->sum) state->sum = new (std::nothrow) DecimalAccumulator();
  if (!state->sum) return sqlite3_result_error_nomem(context);
  if (type == SQLITE_INTEGER) {
    state->sum->add_integer(sqlite3_value_int64(args[0]));
  } else if (type == SQLITE_FLOAT) {  // its shortest text that reads back as it
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, sqlite3_value_double(args[0]));
    state->sum->add(ec == std::errc{} ? std::string_view(buffer, static_cast<std::size_t>(end - buffer))
                                      : std::string_view(fmt::format("{}", sqlite3_value_double(args[0]))));
  } else if (!state->sum->add(text_of(args[0]))) {
    std::string message = fmt::format("decimal_sum: `{}` is not a number", text_of(args[0]).substr(0, 64));
    return sqlite3_result_error(context, message.c_str(), -1);
  }
  state->any = true;
}

// SQLite calls this once per group, also when the statement stops early: the state is freed here.
void finish(sqlite3_context* context) {
  auto* state = static_cast<SumState*>(sqlite3_aggregate_context(context, 0));
  if (!state || !state->sum) return sqlite3_result_null(context);
  std::string text = state->sum->total().to_string();
  delete state->sum;
  state->sum = nullptr;
  if (!state->any) return sqlite3_result_null(context);
  sqlite3_result_text(context, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

}  // namespace

std::optional<ExactDecimal> ExactDecimal::parse(std::string_view text) {
  ExactDecimal d;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) d.negative_ = text[i++] == '-';
  std::string digits;
  std::size_t fraction = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i]))) {
      digits += text[i];
      fraction += point;
    } else if (text[i] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return std::nullopt;
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && text[i] == '+') ++i;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), exponent);
    if (ec != std::errc{} || exponent > 1000 || exponent < -1000) return std::nullopt;
    i = static_cast<std::size_t>(end - text.data());
  }
  if (i != text.size()) return std::nullopt;
  long scale = static_cast<long>(fraction) - exponent;
  if (scale < 0) {
    digits.append(static_cast<std::size_t>(-scale), '0');
    scale = 0;
  }
  d.digits_ = strip_leading_zeros(std::move(digits));
  d.scale_ = static_cast<std::size_t>(scale);
  return d;
}

void ExactDecimal::rescale(std::size_t scale) {
  if (scale <= scale_) return;
  if (digits_ != "0") digits_.append(scale - scale_, '0');
  scale_ = scale;
}

void ExactDecimal::add(const ExactDecimal& other) {
  ExactDecimal b = other;
  rescale(b.scale_);
  b.rescale(scale_);
  if (negative_ == b.negative_) {
    digits_ = add_magnitudes(digits_, b.digits_);
  } else if (magnitude_less(digits_, b.digits_)) {
    digits_ = subtract_magnitudes(b.digits_, digits_);
    negative_ = b.negative_;
  } else {
    digits_ = subtract_magnitudes(digits_, b.digits_);
  }
  if (digits_ == "0") negative_ = false;
}

int ExactDecimal::compare(const ExactDecimal& other) const {
  if (is_negative() != other.is_negative()) return is_negative() ? -1 : 1;
  ExactDecimal a = *this, b = other;
  a.rescale(b.scale_);
  b.rescale(a.scale_);
  int magnitude = a.digits_ == b.digits_ ? 0 : magnitude_less(a.digits_, b.digits_) ? -1 : 1;
  return is_negative() ? -magnitude : magnitude;
}

std::string ExactDecimal::to_string() const {
  std::string digits = digits_;
  if (digits.size() <= scale_) digits.insert(0, scale_ + 1 - digits.size(), '0');
  if (scale_) digits.insert(digits.size() - scale_, 1, '.');
  return negative_ && digits_ != "0" ? "-" + digits : digits;
}

bool DecimalAccumulator::add(std::string_view text, int sign) {
  if (auto fast = parse_short(text)) {
    add_short(sign * fast->first, fast->second);
    return true;
  }
  auto value = ExactDecimal::parse(text);
  if (!value) return false;
  if (sign < 0) {
    std::string negated = value->to_string();
    value = ExactDecimal::parse(negated.starts_with('-') ? negated.substr(1) : "-" + negated);
  }
  exact_.add(*value);
  return true;
}

void DecimalAccumulator::add_integer(std::int64_t value, int sign) {
  if (value > -1'000'000'000'000'000'000 && value < 1'000'000'000'000'000'000) return add_short(sign * value, 0);
  add(std::to_string(value), sign);
}

void DecimalAccumulator::add_short(std::int64_t mantissa, int scale) {
  bool large = small_ > kSmallLimit || small_ < -kSmallLimit;
  if (any_small_ && (scale > small_scale_ || large)) flush();
  if (!any_small_) small_scale_ = std::max(scale, small_scale_);
  small_ += mantissa * power_of_ten(small_scale_ - scale);
  any_small_ = true;
}

// Moves the running integer into exact_.
void DecimalAccumulator::flush() {
  if (!any_small_) return;
  exact_.add(*ExactDecimal::parse(small_text(small_, small_scale_)));
  small_ = 0;
  any_small_ = false;
}

ExactDecimal DecimalAccumulator::total() const {
  DecimalAccumulator copy = *this;
  copy.flush();
  return copy.exact_;
}

void register_decimal_sum(sqlite3* db) {
  int rc = sqlite3_create_function_v2(db, "decimal_sum", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, nullptr, &step,
                                      &finish, nullptr);
  if (rc != SQLITE_OK) throw_error(db, rc, "registering decimal_sum");
}

}  // namespace weir::db::sqlite
