// Typed values as persisted text (pipeline/checkpoint.hpp): what a checkpoint and a dead
// letter's original_values hold. Arrays (PostgreSQL text[], int[], int[][]) come back exactly:
// NULL items, empty arrays, nested arrays, items holding quotes, backslashes, commas, braces.
#include <gtest/gtest.h>

#include "pipeline/change_letters.hpp"
#include "pipeline/checkpoint.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

Value array(std::vector<Value> items) { return Value(Array{std::move(items)}); }

TEST(Checkpoint, AnArrayIsItsItemsEncodedTheSameWayAsOneString) {
  const std::vector<Value> values{array({Value("a,b"), Value()}), Value(std::int64_t{7})};
  const std::string text = encode_position(values);
  EXPECT_EQ(text, R"([["array","[[\"text\",\"a,b\"],[\"null\",\"\"]]"],["int64","7"]])");
  EXPECT_EQ(decode_position(text), values);
}

TEST(Checkpoint, ArraysComeBackExactlyWithNullItemsNestingAndQuoting) {
  const std::vector<Value> values{
      array({Value("say \"hi\""), Value(), Value("back\\slash"), Value("{x,y}"), Value("two\nlines"), Value("")}),
      array({Value(std::int64_t{1}), Value(), Value(std::int64_t{-3})}),
      array({array({Value(std::int64_t{1}), Value(std::int64_t{2})}), array({Value(std::int64_t{3}), Value()})}),
      array({array({Value("\"]\\\""), Value()})}),
      array({}),
      array({Value(Bytes{std::string("\x00\"\\\xff", 4)}), Value(Decimal{"-0.50"}), Value(Date{19000})}),
      Value(),
  };
  const std::vector<Value> back = decode_position(encode_position(values));
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(back[i], values[i]) << i;
  // A second round changes nothing.
  EXPECT_EQ(encode_position(back), encode_position(values));
}

TEST(Checkpoint, ADamagedArrayNamesWhatIsWrong) {
  try {
    decode_position(R"([["array","[[\"int64\",\"x\"]]"]])");
    FAIL() << "a damaged array was read";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), R"(stored checkpoint `[["array","[[\"int64\",\"x\"]]"]]` is damaged: `x` is not a int64)");
  }
}

TEST(Checkpoint, AChangeWithArrayColumnsComesBackAsItWas) {
  std::vector<Column> columns(3);
  columns[0].name = "id", columns[0].type = Type::int64, columns[0].primary_key = true;
  columns[1].name = "tags", columns[1].type = Type::array, columns[1].native_type = "text[]";
  columns[1].native_type_id = 1009;
  columns[2].name = "grid", columns[2].type = Type::array, columns[2].native_type = "integer[]";
  columns[2].native_type_id = 1007;
  auto shape = std::make_shared<const Schema>(std::move(columns), SourceTable{"public", "t"});
  Batch rows(shape);
  auto row = rows.append_change(ChangeOp::update);
  row[0] = Value(std::int64_t{1});
  row[1] = array({Value("a \"q\""), Value(), Value("c\\d")});
  row[2] = array({array({Value(std::int64_t{1}), Value()}), array({Value(std::int64_t{3}), Value(std::int64_t{4})})});
  auto before = rows.set_before(0);
  before[0] = Value(std::int64_t{1});
  before[1] = array({Value()});
  before[2] = Value();
  rows.set_position(0, ChangePosition{.commit_lsn = 0x16B3748, .txid = 9, .commit_time = 0, .index = 0});

  const StoredChange change = decode_change(encode_change(rows, 0));
  EXPECT_EQ(change.columns[1].type, Type::array);
  EXPECT_EQ(change.columns[1].native_type, "text[]");
  ASSERT_EQ(change.after.size(), 3u);
  for (std::size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(change.after[c], rows.at(0, c)) << c;
    EXPECT_EQ(change.before[c], rows.before(0)[c]) << c;
  }
}

}  // namespace
}  // namespace weir::pipeline
