#include "query/decimal_order.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <charconv>
#include <optional>

#include "db/sqlite/decimal_sum.hpp"
#include "weir/error.hpp"

namespace weir::query {
namespace {

using db::sqlite::DecimalAccumulator;
using db::sqlite::ExactDecimal;

int collate(void*, int na, const void* a, int nb, const void* b) {
  return compare_decimal_text({static_cast<const char*>(a), static_cast<std::size_t>(na)},
                              {static_cast<const char*>(b), static_cast<std::size_t>(nb)});
}

struct SumState {
  std::int64_t count = 0;  // values in the frame (a window function's inverse takes them out)
  bool any_real = false;
  bool any_text = false;
  double real_sum = 0;                  // the values that are no exact number, in double
  DecimalAccumulator* exact = nullptr;  // the others; made on the first one, freed by xFinal
};

std::string_view text_of(sqlite3_value* v) {
  auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return {p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(v))};
}

// Adds (sign 1) or takes out (sign -1, a window frame moving on) one value. An integer or
// numeric text adds exactly, and only there: reading it as a double too cost every row of a
// large sum a conversion (SQLite's text-to-double) whose result was thrown away.
void sum_add(sqlite3_context* context, sqlite3_value* arg, int sign) {
  auto* state = static_cast<SumState*>(sqlite3_aggregate_context(context, sizeof(SumState)));
  if (!state) return sqlite3_result_error_nomem(context);
  int type = sqlite3_value_type(arg);
  if (type == SQLITE_NULL) return;
  state->count += sign;
  if (type == SQLITE_INTEGER || type == SQLITE_TEXT) {
    if (!state->exact) state->exact = new (std::nothrow) DecimalAccumulator();
    if (!state->exact) return sqlite3_result_error_nomem(context);
    if (type == SQLITE_INTEGER) return state->exact->add_integer(sqlite3_value_int64(arg), sign);
    if (state->exact->add(text_of(arg), sign)) {
      state->any_text = true;
      return;
    }
  }
  // A REAL, a blob or text that is no number: SQLite's own arithmetic, in double.
  state->any_real = true;
  state->real_sum += sign * sqlite3_value_double(arg);
}

void sum_step(sqlite3_context* context, int, sqlite3_value** args) { sum_add(context, args[0], 1); }
void sum_inverse(sqlite3_context* context, int, sqlite3_value** args) { sum_add(context, args[0], -1); }

void result_exact(sqlite3_context* context, const ExactDecimal& sum, bool any_text) {
  std::string text = sum.to_string();
  if (!any_text) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return sqlite3_result_error(context, "integer overflow", -1);
    return sqlite3_result_int64(context, v);
  }
  double real = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), real);
  auto back = ExactDecimal::parse(fmt::format("{}", real));
  if (ec == std::errc{} && back && back->compare(sum) == 0) return sqlite3_result_double(context, real);
  sqlite3_result_text(context, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void sum_value(sqlite3_context* context) {
  auto* state = static_cast<SumState*>(sqlite3_aggregate_context(context, 0));
  if (!state || state->count == 0) return sqlite3_result_null(context);
  if (state->any_real || !state->exact) {
    // The exact values' sum rounded once, with the others' double sum.
    double exact = 0;
    if (state->exact) {
      std::string text = state->exact->total().to_string();
      std::from_chars(text.data(), text.data() + text.size(), exact);
    }
    return sqlite3_result_double(context, exact + state->real_sum);
  }
  result_exact(context, state->exact->total(), state->any_text);
}

void sum_finish(sqlite3_context* context) {
  sum_value(context);
  if (auto* state = static_cast<SumState*>(sqlite3_aggregate_context(context, 0))) {
    delete state->exact;
    state->exact = nullptr;
  }
}

}  // namespace

int compare_decimal_text(std::string_view a, std::string_view b) {
  auto da = ExactDecimal::parse(a);
  auto db = ExactDecimal::parse(b);
  if (da && db) return da->compare(*db);
  if (da || db) return da ? -1 : 1;
  return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
}

void register_decimal_functions(sqlite3* db) {
  if (sqlite3_create_collation_v2(db, "weir_decimal", SQLITE_UTF8, nullptr, &collate, nullptr) != SQLITE_OK ||
      sqlite3_create_window_function(db, "sum", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, &sum_step,
                                     &sum_finish, &sum_value, &sum_inverse, nullptr) != SQLITE_OK)
    throw Error(ErrorKind::internal, fmt::format("registering exact decimals: {}", sqlite3_errmsg(db)));
}

}  // namespace weir::query
