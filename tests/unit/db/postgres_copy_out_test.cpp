// Which queries PostgreSQL's COPY cursor may run, and the reader of binary COPY streams.
#include <gtest/gtest.h>

#include "db/postgres/copy_in.hpp"
#include "db/postgres/copy_out.hpp"
#include "weir/error.hpp"

namespace weir::db::postgres {
namespace {

TEST(PostgresCopyableQuery, SelectsWithoutTheirTrailingSemicolons) {
  EXPECT_EQ(copyable_query("SELECT 1"), "SELECT 1");
  EXPECT_EQ(copyable_query("  select * from t ;; \n"), "  select * from t");
  EXPECT_EQ(copyable_query("SELECT 1; -- done"), "SELECT 1");
  EXPECT_EQ(copyable_query("-- the report\nWITH x AS (SELECT 1) SELECT * FROM x"), "-- the report\nWITH x AS (SELECT 1) SELECT * FROM x");
  EXPECT_EQ(copyable_query("/* a /* nested */ comment */ VALUES (1)"), "/* a /* nested */ comment */ VALUES (1)");
  EXPECT_EQ(copyable_query("(SELECT 1) UNION (SELECT 2)"), "(SELECT 1) UNION (SELECT 2)");
  EXPECT_EQ(copyable_query("TABLE t"), "TABLE t");
}

TEST(PostgresCopyableQuery, QuotedSemicolonsAndCommentMarkersDoNotCount) {
  EXPECT_TRUE(copyable_query("SELECT ';', '--', '/*' FROM t"));
  EXPECT_TRUE(copyable_query("SELECT 'it''s; fine'"));
  EXPECT_TRUE(copyable_query(R"(SELECT E'a\'; b')"));
  EXPECT_TRUE(copyable_query(R"(SELECT "we;ird" FROM t)"));
  EXPECT_TRUE(copyable_query("SELECT $$; -- $$, $tag$ $$ ; $tag$"));
  EXPECT_TRUE(copyable_query("SELECT a$b FROM t WHERE x = $1"));
}

TEST(PostgresCopyableQuery, OtherStatementsAndUnreadableTextAreNot) {
  for (std::string_view sql : {"INSERT INTO t VALUES (1) RETURNING *", "UPDATE t SET a = 1 RETURNING a", "SHOW work_mem",
                               "EXPLAIN SELECT 1", "CALL p()", "SELECT 1; SELECT 2", "SELECT 'open", "SELECT 1 /* open",
                               "SELECT $x$ open", "", " ; ", "selection", "COPY t TO STDOUT"})
    EXPECT_FALSE(copyable_query(sql)) << sql;
}

// One COPY stream's messages: the header rides with the first tuple.
std::string tuple(std::initializer_list<std::optional<std::string_view>> fields) {
  WireBuffer out;
  out.put_i16(static_cast<std::int16_t>(fields.size()));
  for (const auto& f : fields) {
    if (f) out.put_field(*f);
    else out.put_i32(-1);
  }
  return std::string(out.view());
}

std::string header() {
  WireBuffer out;
  append_binary_header(out);
  return std::string(out.view());
}

// The reader's fields point into the message it read (it reads libpq's buffer in place), so each
// message here lives in a variable while its fields are looked at.
TEST(PostgresBinaryCopyReader, ReadsTuplesAndTheEndMarker) {
  BinaryCopyReader reader(2);
  const std::string first = header() + tuple({"ab", std::nullopt});
  ASSERT_TRUE(reader.read(first));
  EXPECT_EQ(reader.fields()[0].bytes(), "ab");
  EXPECT_TRUE(reader.fields()[1].is_null());
  const std::string second = tuple({"", "xyz"});
  ASSERT_TRUE(reader.read(second));
  EXPECT_FALSE(reader.fields()[0].is_null()) << "an empty field is not NULL";
  EXPECT_EQ(reader.fields()[1].bytes(), "xyz");
  EXPECT_FALSE(reader.read(std::string_view("\xff\xff", 2)));
}

TEST(PostgresBinaryCopyReader, SkipsAHeaderExtension) {
  std::string h = header();
  h[h.size() - 1] = 3;
  BinaryCopyReader reader(1);
  const std::string message = h + "abc" + tuple({"v"});
  ASSERT_TRUE(reader.read(message));
  EXPECT_EQ(reader.fields()[0].bytes(), "v");
}

TEST(PostgresBinaryCopyReader, RefusesWhatIsNotAStreamOfItsWidth) {
  auto fails = [](std::size_t width, const std::string& message) {
    BinaryCopyReader reader(width);
    try {
      reader.read(message);
    } catch (const Error& e) {
      return true;
    }
    return false;
  };
  EXPECT_TRUE(fails(1, "PGCOPY\n"));
  EXPECT_TRUE(fails(1, "NOTCOPY\n\377\r\n" + std::string(9, '\0') + tuple({"a"})));
  EXPECT_TRUE(fails(2, header() + tuple({"a"}))) << "one field for two columns";
  std::string cut = header() + tuple({"abcdef"});
  EXPECT_TRUE(fails(1, cut.substr(0, cut.size() - 2))) << "a field runs past the message";
  EXPECT_TRUE(fails(1, header() + tuple({"a"}) + tuple({"b"}))) << "two tuples in one message";
}

}  // namespace
}  // namespace weir::db::postgres
