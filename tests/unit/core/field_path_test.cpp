// Field paths (`record.a.b`) and reading them from records, into JSON cells too.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/field_path.hpp"
#include "support/filter_support.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

TEST(FieldPath, ParsesRecordPaths) {
  std::string problem;
  auto p = parse_field_path("record.customer.address.city", problem);
  ASSERT_TRUE(p) << problem;
  EXPECT_EQ(p->column, "customer");
  EXPECT_EQ(p->keys, (std::vector<std::string>{"address", "city"}));
  EXPECT_EQ(p->to_string(), "record.customer.address.city");
  EXPECT_FALSE(parse_field_path("row.x", problem));
  EXPECT_EQ(problem, "unknown root `row`: fields are written record.<name>");
  EXPECT_FALSE(parse_field_path("record", problem));
  EXPECT_FALSE(parse_field_path("", problem));
  EXPECT_EQ(problem, "empty field path");
  EXPECT_FALSE(parse_field_path("record.a-b", problem));
  EXPECT_EQ(problem, "`a-b` is not a field name (letters, digits, _ and $)");
}

TEST(FieldPath, ReaderReadsColumnsAndJson) {
  Schema schema(std::vector<Column>{test::column("id", Type::int64), test::column("doc", Type::json), test::column("text", Type::text)});
  std::vector<Value> row{Value(7), Value(Json{R"({"a":{"b":[1,2]},"n":12345678901234567890,"f":1.5,"s":"x","t":true})"}),
                         Value(R"({"k":"v"})")};
  std::string problem;
  auto reader = [&](const std::string& path) { return FieldReader(*parse_field_path(path, problem), schema); };
  Value scratch;
  JsonCells json;
  EXPECT_EQ(reader("record.id").read(row, 0, json, scratch), Value(7));
  EXPECT_FALSE(reader("record.id").nested());
  EXPECT_EQ(reader("record.doc.a.b").read(row, 0, json, scratch), Value(Json{"[1,2]"}));
  EXPECT_EQ(reader("record.doc.a").read(row, 0, json, scratch), Value(Json{R"({"b":[1,2]})"}));
  EXPECT_EQ(reader("record.doc.n").read(row, 0, json, scratch), Value(Decimal{"12345678901234567890"}));
  EXPECT_EQ(reader("record.doc.f").read(row, 0, json, scratch), Value(1.5));
  EXPECT_EQ(reader("record.doc.s").read(row, 0, json, scratch), Value("x"));
  EXPECT_EQ(reader("record.doc.t").read(row, 0, json, scratch), Value(true));
  EXPECT_TRUE(reader("record.doc.zz").read(row, 0, json, scratch).is_null());
  EXPECT_EQ(reader("record.text.k").read(row, 0, json, scratch), Value("v")) << "text holding JSON is read too";
  EXPECT_TRUE(reader("record.id.k").read(row, 0, json, scratch).is_null());
  EXPECT_EQ(reader("record.ID").column(), 0u) << "columns match case-insensitively, like SQL";
  EXPECT_THROW(reader("record.nope"), Error);
}

TEST(FieldPath, EachJsonCellIsParsedOncePerBatch) {
  Schema schema(std::vector<Column>{test::column("doc", Type::json), test::column("other", Type::json)});
  std::vector<std::vector<Value>> rows;
  for (int r = 0; r < 3; ++r)
    rows.push_back({Value(Json{fmt::format(R"({{"id":{},"tier":"gold","address":{{"city":"c{}"}}}})", r, r)}),
                    Value(Json{R"({"k":1})"})});
  std::string problem;
  auto reader = [&](const std::string& path) { return FieldReader(*parse_field_path(path, problem), schema); };
  std::vector<FieldReader> readers{reader("record.doc.id"), reader("record.doc.tier"), reader("record.doc.address.city"),
                                   reader("record.doc.id")};
  JsonCells json;
  Value scratch;
  std::uint64_t before = JsonCells::parses_on_this_thread();
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (const FieldReader& f : readers) f.read(rows[r], r, json, scratch);
  EXPECT_EQ(JsonCells::parses_on_this_thread() - before, 3u) << "one parse per cell read, not per read";
  EXPECT_EQ(reader("record.doc.address.city").read(rows[2], 2, json, scratch), Value("c2"));
  EXPECT_EQ(reader("record.other.k").read(rows[1], 1, json, scratch), Value(1));
  EXPECT_EQ(JsonCells::parses_on_this_thread() - before, 4u) << "another column is another cell";

  json.clear();  // the next batch
  rows[0][0] = Value(Json{R"({"id":"new"})"});
  EXPECT_EQ(reader("record.doc.id").read(rows[0], 0, json, scratch), Value("new"));
  EXPECT_EQ(JsonCells::parses_on_this_thread() - before, 5u);
}

TEST(FieldPath, CellsThatAreNotJsonReadAsNull) {
  Schema schema(std::vector<Column>{test::column("t", Type::text), test::column("n", Type::int64)});
  std::vector<Value> row{Value("not json {"), Value(5)};
  std::string problem;
  JsonCells json;
  Value scratch;
  FieldReader text(*parse_field_path("record.t.k", problem), schema);
  FieldReader number(*parse_field_path("record.n.k", problem), schema);
  EXPECT_TRUE(text.read(row, 0, json, scratch).is_null());
  EXPECT_TRUE(text.read(row, 0, json, scratch).is_null()) << "a cached failed parse stays NULL";
  EXPECT_TRUE(number.read(row, 0, json, scratch).is_null());
  std::vector<Value> nulls{Value(), Value()};
  EXPECT_TRUE(text.read(nulls, 1, json, scratch).is_null());
}

}  // namespace
}  // namespace weir
