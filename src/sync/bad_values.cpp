#include "sync/bad_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/text.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::sync {
namespace {

// The digits of a decimal's text before its point, leading zeros and sign left out; nullopt
// for a text that is no plain decimal (NaN, an exponent).
std::optional<int> integer_digits(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  std::string_view whole = text.substr(0, text.find('.'));
  if (whole.empty() && text.empty()) return std::nullopt;
  if (!std::all_of(whole.begin(), whole.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  std::size_t first = whole.find_first_not_of('0');
  return first == std::string_view::npos ? 0 : static_cast<int>(whole.size() - first);
}

bool has_fraction(std::string_view text) {
  std::size_t dot = text.find('.');
  return dot != std::string_view::npos && text.find_first_not_of('0', dot + 1) != std::string_view::npos;
}

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// An integer column of `bits` (Column::bits: one more for an unsigned one): its range. 64-bit
// columns are left to the database: every int64 fits a signed one.
std::string integer_misfit(const Value& value, const Column& column) {
  if (column.bits <= 0 || column.bits >= 64) return {};
  const bool is_unsigned = column.bits % 2 == 1;
  // An unsigned column's bits count one more than it has; a signed one's sign bit holds no value.
  const int value_bits = column.bits - 1;
  const std::int64_t high = (std::int64_t{1} << value_bits) - 1;
  const std::int64_t low = is_unsigned ? 0 : -high - 1;
  std::int64_t n = 0;
  if (const auto* integer = value.get_if<std::int64_t>()) {
    n = *integer;
  } else if (const auto* decimal = value.get_if<Decimal>()) {
    std::string_view text = decimal->text;
    if (has_fraction(text)) return fmt::format("{} has a fraction, which {} cannot hold", text, column.native_type);
    auto digits = integer_digits(text);
    if (!digits) return {};
    if (*digits > 18) return fmt::format("{} is out of the range of {} ({} to {})", text, column.native_type, low, high);
    n = std::stoll(std::string(text.substr(0, text.find('.'))));
  } else {
    return {};
  }
  if (n >= low && n <= high) return {};
  return fmt::format("{} is out of the range of {} ({} to {})", n, column.native_type, low, high);
}

// The value's digits before the point against what numeric(p,s) leaves them (p - s).
std::string decimal_misfit(const Value& value, const Column& column) {
  if (column.precision <= 0) return {};
  std::optional<int> digits;
  std::string text;
  if (const auto* decimal = value.get_if<Decimal>()) text = decimal->text;
  else if (const auto* integer = value.get_if<std::int64_t>()) text = std::to_string(*integer);
  else return {};
  digits = integer_digits(text);
  const int room = column.precision - column.scale;
  if (!digits || *digits <= room) return {};
  return fmt::format("{} has {} digit(s) before the point, {} leaves {}", text, *digits, column.native_type, room);
}

std::string text_misfit(const Value& value, const Column& column) {
  const auto* text = value.get_if<std::string>();
  if (!text || column.length <= 0) return {};
  const std::size_t length = code_points(*text);
  if (length <= static_cast<std::size_t>(column.length)) return {};
  return fmt::format("a text of {} characters is longer than {} holds", length, column.native_type);
}

// The number in a declared type's parentheses: 40 of "varchar(40)"; 0 when there is none.
int declared_size(std::string_view type) {
  std::size_t open = type.find('(');
  if (open == std::string_view::npos) return 0;
  int n = 0;
  for (std::size_t i = open + 1; i < type.size() && type[i] >= '0' && type[i] <= '9'; ++i) n = n * 10 + (type[i] - '0');
  return n;
}

// A catalog that describes a column by its declared type only (MySQL's information_schema:
// "smallint(6) unsigned", "varchar(3)") leaves Column::bits and length unset: they are read
// from the declaration.
Column with_declared_range(Column column) {
  const std::string type = to_lower(column.native_type);
  auto is = [&](std::string_view name) { return type.rfind(name, 0) == 0; };
  if (column.type == Type::int64 && column.bits == 0) {
    const bool is_unsigned = type.find("unsigned") != std::string::npos;
    column.bits = is("tinyint") ? 8 : is("smallint") ? 16 : is("mediumint") ? 24 : is("bigint") ? 64
                : is("int") ? 32 : 0;
    if (column.bits && is_unsigned) ++column.bits;
  }
  if (column.type == Type::text && column.length == 0 && (is("varchar") || is("char") || is("character")))
    column.length = declared_size(type);
  return column;
}

class TargetFit final : public pipeline::Filter {
 public:
  TargetFit(std::vector<std::string> key, std::vector<std::optional<Column>> limits, std::shared_ptr<BadValues> bad)
      : key_(std::move(key)), limits_(std::move(limits)), bad_(std::move(bad)) {}

  void open(const pipeline::RunOptions&) override {}

  void process(const Batch& in, Batch& out, pipeline::DeadLetterSink&) override {
    out = in;
    for (std::size_t r = 0; r < out.rows(); ++r)
      for (std::size_t c = 0; c < out.width() && c < limits_.size(); ++c) {
        if (!limits_[c] || out.at(r, c).is_null()) continue;
        std::string why = misfit(out.at(r, c), *limits_[c]);
        if (why.empty()) continue;
        std::string what = fmt::format("{}: column `{}`: {}", row_named(out, r, key_), limits_[c]->name, why);
        if (!bad_->replaced_by_null()) throw Error(ErrorKind::data, fmt::format("{}: {}", bad_->table(), what));
        if (!limits_[c]->nullable)
          throw Error(ErrorKind::data, fmt::format("{}: {}, and the target column is NOT NULL, so --on-bad-value "
                                                   "null cannot write NULL instead",
                                                   bad_->table(), what));
        out.at(r, c).set_null();
        bad_->replaced(what);
      }
  }

 private:
  std::vector<std::string> key_;
  std::vector<std::optional<Column>> limits_;  // per source column: the target column, when it limits values
  std::shared_ptr<BadValues> bad_;
};

}  // namespace

void BadValues::replaced(const std::string& what, std::uint64_t values) {
  const std::uint64_t n = count_ += values;
  if (n - values < kMaxNamed) log::warn(fmt::format("{}: {}: NULL written instead (--on-bad-value null)", table_, what));
  if (n - values < kMaxNamed && n >= kMaxNamed)
    log::warn(fmt::format("{}: {} values replaced by NULL so far; further ones are counted, not named", table_, n));
}

std::string row_named(const Batch& rows, std::size_t row, const std::vector<std::string>& key) {
  std::vector<std::string> values;
  for (const std::string& column : key) {
    auto index = rows.schema().find(column);
    const Value* v = index ? &rows.at(row, *index) : nullptr;
    values.push_back(!v || v->is_null() ? "NULL" : v->to_text());
  }
  if (key.empty()) return fmt::format("row {}", row + 1);
  return fmt::format("the row ({})=({})", fmt::join(key, ", "), fmt::join(values, ", "));
}

std::string misfit(const Value& value, const Column& column) {
  switch (column.type) {
    case Type::int64: return integer_misfit(value, column);
    case Type::decimal: return decimal_misfit(value, column);
    case Type::text: return text_misfit(value, column);
    default: return {};
  }
}

std::unique_ptr<pipeline::Filter> target_fit_filter(const TablePlan& plan, const std::vector<Column>& target,
                                                    std::shared_ptr<BadValues> bad) {
  std::vector<std::optional<Column>> limits;
  bool any = false;
  for (const Column& c : plan.source.columns) {
    auto t = std::find_if(target.begin(), target.end(), [&](const Column& column) { return column.name == c.name; });
    std::optional<Column> limit;
    if (t != target.end()) limit = with_declared_range(*t);
    const bool limits_values = limit && ((limit->type == Type::int64 && limit->bits > 0 && limit->bits < 64) ||
                                         (limit->type == Type::decimal && limit->precision > 0) ||
                                         (limit->type == Type::text && limit->length > 0));
    limits.push_back(limits_values ? limit : std::nullopt);
    any = any || limits_values;
  }
  if (!any) return nullptr;
  return std::make_unique<TargetFit>(plan.key, std::move(limits), std::move(bad));
}

}  // namespace weir::sync
