#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "weir/batch.hpp"
#include "weir/error.hpp"
#include "weir/schema.hpp"

namespace weir {
namespace {

std::shared_ptr<const Schema> make_schema(std::vector<std::string> names) {
  std::vector<Column> columns;
  for (auto& n : names) columns.push_back(Column{std::move(n), Type::text, "text", true});
  return std::make_shared<const Schema>(std::move(columns));
}

Column col(std::string name, Type type = Type::text) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  return c;
}

std::string error_of(const std::function<void()>& fn, ErrorKind expected) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), expected);
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}

TEST(Schema, FindPrefersExactMatchThenCaseInsensitive) {
  Schema s({col("id", Type::int64), col("Name", Type::text), col("name", Type::text),
            col("Email", Type::text)});
  EXPECT_EQ(s.size(), 4u);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.find("id"), 0u);
  EXPECT_EQ(s.find("Name"), 1u);
  EXPECT_EQ(s.find("name"), 2u) << "an exact match beats an earlier case-insensitive one";
  EXPECT_EQ(s.find("NAME"), 1u);
  EXPECT_EQ(s.find("email"), 3u);
  EXPECT_EQ(s.find("ID"), 0u);
  EXPECT_FALSE(s.find("missing"));
  EXPECT_FALSE(s.find(""));
  EXPECT_FALSE(s.find("emai"));
  EXPECT_EQ(s.index_of("EMAIL"), 3u);
  EXPECT_EQ(s[3].name, "Email");
}

TEST(Schema, IndexOfUnknownColumnSuggestsTheClosest) {
  Schema s({col("customer_id"), col("order_total"), col("created_at")});
  std::string msg = error_of([&] { (void)s.index_of("ordr_total"); }, ErrorKind::config);
  EXPECT_NE(msg.find("ordr_total"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean `order_total`"), std::string::npos) << msg;

  std::string far = error_of([&] { (void)s.index_of("zzzzzz"); }, ErrorKind::config);
  EXPECT_NE(far.find("zzzzzz"), std::string::npos) << far;
  EXPECT_EQ(far.find("did you mean"), std::string::npos) << far;

  Schema empty;
  EXPECT_TRUE(empty.empty());
  error_of([&] { (void)empty.index_of("x"); }, ErrorKind::config);
}

TEST(Schema, Equality) {
  EXPECT_EQ(*make_schema({"a", "b"}), *make_schema({"a", "b"}));
  EXPECT_NE(*make_schema({"a", "b"}), *make_schema({"b", "a"}));
}

TEST(Batch, DefaultIsEmpty) {
  Batch b;
  EXPECT_EQ(b.rows(), 0u);
  EXPECT_EQ(b.width(), 0u);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.schema().empty());
  ASSERT_NE(b.schema_ptr(), nullptr);
}

TEST(Batch, AppendRowAndReadBack) {
  auto schema = make_schema({"id", "name"});
  Batch b(schema);
  EXPECT_EQ(b.width(), 2u);
  EXPECT_EQ(b.schema_ptr(), schema);

  std::vector<Value> first{Value(1), Value("ann")};
  b.append_row(first);
  auto cells = b.append_row();
  ASSERT_EQ(cells.size(), 2u);
  cells[0] = Value(2);
  cells[1].set_text("bob");

  EXPECT_EQ(b.rows(), 2u);
  EXPECT_FALSE(b.empty());
  EXPECT_EQ(b.at(0, 0), Value(1));
  EXPECT_EQ(b.at(0, 1), Value("ann"));
  EXPECT_EQ(b.at(1, 0).as_int(), 2);
  EXPECT_EQ(b.at(1, 1).as_text(), "bob");
  auto row1 = std::as_const(b).row(1);
  ASSERT_EQ(row1.size(), 2u);
  EXPECT_EQ(row1[1], Value("bob"));

  b.at(0, 1) = Value("anna");
  EXPECT_EQ(b.row(0)[1], Value("anna"));
}

TEST(Batch, ManyRowsSurviveGrowth) {
  Batch b(make_schema({"i", "s"}));
  for (int i = 0; i < 1000; ++i) {
    auto cells = b.append_row();
    cells[0] = Value(i);
    cells[1] = Value(std::string(40, static_cast<char>('a' + i % 26)));
  }
  ASSERT_EQ(b.rows(), 1000u);
  for (std::size_t i = 0; i < 1000; i += 7) {
    EXPECT_EQ(b.at(i, 0).as_int(), static_cast<std::int64_t>(i));
    EXPECT_EQ(b.at(i, 1).as_text(), std::string(40, static_cast<char>('a' + i % 26)));
  }
}

TEST(Batch, AppendRowOfWrongWidthThrows) {
  Batch b(make_schema({"a", "b"}));
  std::vector<Value> one{Value(1)};
  EXPECT_THROW(b.append_row(one), Error);
  std::vector<Value> three{Value(1), Value(2), Value(3)};
  EXPECT_THROW(b.append_row(three), Error);
  EXPECT_EQ(b.rows(), 0u) << "a rejected row is not added";
}

TEST(Batch, AppendRowCopiedFromTheSameBatch) {
  Batch b(make_schema({"id", "name"}));
  std::vector<Value> first{Value(1), Value(std::string(64, 'n'))};
  b.append_row(first);
  for (int i = 0; i < 4; ++i) b.append_row(std::as_const(b).row(0));
  ASSERT_EQ(b.rows(), 5u);
  for (std::size_t r = 0; r < 5; ++r) {
    EXPECT_EQ(b.at(r, 0), Value(1)) << r;
    EXPECT_EQ(b.at(r, 1), Value(std::string(64, 'n'))) << r;
  }
}

TEST(Batch, ReserveKeepsCellsInPlaceWhileFilling) {
  Batch b(make_schema({"id", "name"}));
  b.reserve(100);
  EXPECT_EQ(b.rows(), 0u) << "reserve adds no rows";
  b.append_row()[0] = Value(0);
  const Value* first = &b.at(0, 0);
  for (int i = 1; i < 100; ++i) {
    auto cells = b.append_row();
    cells[0] = Value(i);
    cells[1] = Value(std::string(30, 'v'));
  }
  EXPECT_EQ(&b.at(0, 0), first) << "filling reserved rows must not move cells";
  EXPECT_EQ(b.rows(), 100u);
  EXPECT_EQ(b.at(99, 0), Value(99));
  b.reserve(10);  // smaller than what is there: keeps every row
  EXPECT_EQ(b.rows(), 100u);
  EXPECT_EQ(b.at(50, 0), Value(50));
}

TEST(Batch, ClearKeepsBuffersForReuse) {
  Batch b(make_schema({"id", "payload"}));
  auto cells = b.append_row();
  cells[0] = Value(1);
  cells[1] = Value(std::string(500, 'p'));
  const char* buffer = b.at(0, 1).as_text().data();

  b.clear();
  EXPECT_EQ(b.rows(), 0u);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.width(), 2u);

  auto again = b.append_row();
  again[0].set_int(2);
  again[1].set_text("short");
  EXPECT_EQ(b.rows(), 1u);
  EXPECT_EQ(b.at(0, 1).as_text(), "short");
  EXPECT_EQ(b.at(0, 1).as_text().data(), buffer) << "the recycled cell must reuse its buffer";
}

TEST(Batch, ResetWithSameWidthKeepsBuffers) {
  Batch b(make_schema({"a", "b"}));
  auto cells = b.append_row();
  cells[0] = Value(std::string(300, 'x'));
  const char* buffer = b.at(0, 0).as_text().data();
  auto other = make_schema({"c", "d"});
  b.reset(other);
  EXPECT_EQ(b.rows(), 0u);
  EXPECT_EQ(b.schema_ptr(), other);
  EXPECT_EQ(b.schema()[0].name, "c");
  b.append_row()[0].set_text("y");
  EXPECT_EQ(b.at(0, 0).as_text().data(), buffer);
}

TEST(Batch, ResetWithDifferentWidth) {
  Batch b(make_schema({"a", "b"}));
  for (int i = 0; i < 3; ++i) {
    std::vector<Value> row{Value(i), Value(i * 10)};
    b.append_row(row);
  }
  b.reset(make_schema({"x", "y", "z"}));
  EXPECT_EQ(b.rows(), 0u);
  EXPECT_EQ(b.width(), 3u);
  EXPECT_EQ(b.schema().size(), 3u);
  std::vector<Value> wide{Value("p"), Value("q"), Value("r")};
  b.append_row(wide);
  std::vector<Value> wide2{Value("s"), Value("t"), Value("u")};
  b.append_row(wide2);
  EXPECT_EQ(b.at(0, 2), Value("r"));
  EXPECT_EQ(b.at(1, 0), Value("s"));
  EXPECT_EQ(b.row(1).size(), 3u);

  b.reset(make_schema({"only"}));
  b.append_row()[0] = Value(9);
  EXPECT_EQ(b.at(0, 0), Value(9));
  EXPECT_EQ(b.row(0).size(), 1u);
}

TEST(Record, GetAndFindByName) {
  Batch b(make_schema({"id", "Name"}));
  std::vector<Value> r0{Value(1), Value("ann")};
  std::vector<Value> r1{Value(2), Value("bob")};
  b.append_row(r0);
  b.append_row(r1);

  Record rec = b.record(1);
  EXPECT_EQ(rec.size(), 2u);
  EXPECT_EQ(&rec.schema(), &b.schema());
  EXPECT_EQ(rec[0], Value(2));
  EXPECT_EQ(rec.get("Name"), Value("bob"));
  EXPECT_EQ(rec.get("name"), Value("bob")) << "column lookup is case-insensitive";
  ASSERT_NE(rec.find("ID"), nullptr);
  EXPECT_EQ(*rec.find("ID"), Value(2));
  EXPECT_EQ(rec.find("missing"), nullptr);
  EXPECT_EQ(b.record(0).get("id"), Value(1));

  std::string msg = error_of([&] { (void)rec.get("nmae"); }, ErrorKind::config);
  EXPECT_NE(msg.find("did you mean `Name`"), std::string::npos) << msg;
}

}  // namespace
}  // namespace weir
