// `when:` conditions: parsed as a filter reads them from YAML, bound to a schema holding every
// field they name, and tested against a few records. Invariants: logic is two-valued, so
// `not (C)` is true exactly when C is false, and `(C) or not (C)` always holds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "fuzz_check.hpp"
#include "pipeline/expression.hpp"

namespace weir::fuzz {
namespace {

// Values the fields take in turn: each type the comparisons treat apart, NULL and JSON that
// nested paths (record.a.b) walk into.
const std::vector<Value>& sample_values() {
  static const std::vector<Value> values{
      Value(),          Value(std::int64_t{1}), Value(2.5),          Value(Decimal{"-1.50"}),
      Value("a"),       Value("10"),            Value(true),         Value(Json{R"({"a":{"b":1},"c":"x"})"}),
      Value(Date{19000}), Value(Json{"[1,2"}),  Value(Bytes{"\x01"}), Value(std::numeric_limits<double>::quiet_NaN())};
  return values;
}

bool test(const pipeline::Expression& e, std::size_t seed) {
  std::vector<Column> columns;
  for (const FieldPath& f : e.fields())
    if (std::none_of(columns.begin(), columns.end(), [&](const Column& c) { return c.name == f.column; }))
      columns.push_back(Column{.name = f.column});
  Schema schema(columns);
  std::vector<Value> row;
  for (std::size_t i = 0; i < columns.size(); ++i) row.push_back(sample_values()[(seed + i) % sample_values().size()]);
  JsonCells json;
  return e.bind(schema).test(row, 0, json);
}

void check(std::string_view text) {
  std::optional<pipeline::Expression> e;
  try {
    e = pipeline::Expression::parse(text);
  } catch (const Error& err) {
    expect_kind(err, {ErrorKind::config});
    return;
  }
  std::optional<pipeline::Expression> negated, tautology;
  try {
    negated = pipeline::Expression::parse(fmt::format("not ({})", text));
    tautology = pipeline::Expression::parse(fmt::format("({}) or not ({})", text, text));
  } catch (const Error& err) {
    // A condition at the nesting limit goes past it when wrapped: the one refusal allowed here.
    expect_kind(err, {ErrorKind::config});
    require(std::string_view(err.what()).find("nest deeper than") != std::string_view::npos,
            fmt::format("`{}` parses, but wrapped in `not (…)` it fails: {}", text, err.what()));
    return;
  }
  for (std::size_t seed = 0; seed < 3; ++seed) {
    bool holds = test(*e, seed);
    require(test(*negated, seed) == !holds, fmt::format("`not ({})` is not the negation of `{}`", text, text));
    require(test(*tautology, seed), fmt::format("`({0}) or not ({0})` is false", text));
  }
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check({reinterpret_cast<const char*>(data), size});
  return 0;
}
