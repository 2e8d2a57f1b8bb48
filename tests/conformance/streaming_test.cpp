// Conformance: cursors stream in order, in batches no larger than asked, into a reused Batch.
#include <fmt/format.h>

#include <limits>

#include "conformance/conformance_test.hpp"

namespace weir::conformance {
namespace {

class ConformanceStreaming : public ConformanceTest {
 protected:
  // id 1..n, name "row-<id>", written in one transaction.
  std::string make_numbers(int n) {
    std::string t = create_table("nums", q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("name") + " VARCHAR(40)");
    std::vector<std::string> cols{"id", "name"};
    db::Transaction tx(conn());
    auto writer = conn().bulk_writer({db::TableRef{"", t}, cols, db::WriteMode::insert, {}});
    Batch batch(std::make_shared<const Schema>(std::vector<Column>{{"id", Type::int64, "", false}, {"name", Type::text, "", true}}));
    for (int id = 1; id <= n; ++id) {
      auto row = batch.append_row();
      row[0] = Value(id);
      row[1] = Value(fmt::format("row-{}", id));
      if (batch.rows() == 5000 || id == n) {
        writer->write(batch);
        batch.clear();
      }
    }
    EXPECT_EQ(writer->finish().inserted, static_cast<std::uint64_t>(n));
    writer.reset();
    tx.commit();
    return t;
  }
  std::string select_numbers(const std::string& t, std::string_view where = "") {
    return fmt::format("SELECT {}, {} FROM {}{} ORDER BY {}", q("id"), q("name"), q(t), where, q("id"));
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceStreaming, ::testing::ValuesIn(all_contexts()), context_name);

TEST_P(ConformanceStreaming, HundredThousandRowsArriveInOrderInBoundedBatches) {
  constexpr int kRows = 100'000;
  std::string t = make_numbers(kRows);
  auto cursor = conn().query(select_numbers(t));
  Batch batch;  // one object for every call
  std::int64_t expected = 1;
  std::size_t calls = 0;
  std::string name;
  while (cursor->next(batch, 1000)) {
    ++calls;
    ASSERT_LE(batch.rows(), 1000u);
    ASSERT_GT(batch.rows(), 0u);
    ASSERT_EQ(batch.width(), 2u);
    for (std::size_t r = 0; r < batch.rows(); ++r, ++expected) {
      ASSERT_EQ(batch.at(r, 0), Value(expected)) << "row " << expected;
      name = fmt::format("row-{}", expected);
      ASSERT_EQ(batch.at(r, 1), Value(name)) << "row " << expected;
    }
  }
  EXPECT_EQ(expected - 1, kRows);
  EXPECT_GE(calls, 100u);
  EXPECT_TRUE(batch.empty()) << "the false call leaves the batch empty";
  EXPECT_FALSE(cursor->next(batch, 1000)) << "an exhausted cursor stays exhausted";
}

TEST_P(ConformanceStreaming, EmptyResultReturnsFalseWithTheSchema) {
  std::string t = make_numbers(3);
  auto cursor = conn().query(select_numbers(t, fmt::format(" WHERE {} > 1000", q("id"))));
  ASSERT_EQ(cursor->schema()->size(), 2u);
  EXPECT_EQ((*cursor->schema())[0].name, "id");
  EXPECT_EQ((*cursor->schema())[1].name, "name");
  EXPECT_EQ((*cursor->schema())[0].type, Type::int64);
  EXPECT_EQ((*cursor->schema())[1].type, Type::text);
  Batch batch;
  EXPECT_FALSE(cursor->next(batch, 1000));
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.schema().size(), 2u) << "the batch takes the cursor's schema even when empty";
}

TEST_P(ConformanceStreaming, BatchSizesOneAndLargerThanTheResult) {
  std::string t = make_numbers(5);
  auto cursor = conn().query(select_numbers(t));
  Batch batch;
  for (int id = 1; id <= 2; ++id) {
    ASSERT_TRUE(cursor->next(batch, 1));
    ASSERT_EQ(batch.rows(), 1u);
    EXPECT_EQ(batch.at(0, 0), Value(id));
  }
  ASSERT_TRUE(cursor->next(batch, 10'000));
  ASSERT_EQ(batch.rows(), 3u);
  EXPECT_EQ(batch.at(2, 1), Value("row-5"));
  EXPECT_FALSE(cursor->next(batch, 10'000));
}

TEST_P(ConformanceStreaming, UnboundedMaxRowsReadsEverything) {
  // "Up to max_rows": SIZE_MAX means "all of it" and must not be taken as a size to allocate.
  std::string t = make_numbers(3);
  auto cursor = conn().query(select_numbers(t));
  Batch batch;
  bool more = false;
  EXPECT_NO_THROW(more = cursor->next(batch, std::numeric_limits<std::size_t>::max()));
  ASSERT_TRUE(more);
  EXPECT_EQ(batch.rows(), 3u);
  EXPECT_FALSE(cursor->next(batch, std::numeric_limits<std::size_t>::max()));
}

TEST_P(ConformanceStreaming, ReusedBatchTakesEachCursorsSchema) {
  std::string t = make_numbers(10);
  Batch batch;
  auto wide = conn().query(fmt::format("SELECT {}, {}, {} AS {} FROM {} ORDER BY {}", q("id"), q("name"), q("id"),
                                       q("again"), q(t), q("id")));
  ASSERT_TRUE(wide->next(batch, 4));
  EXPECT_EQ(batch.width(), 3u);
  wide.reset();
  auto narrow = conn().query(fmt::format("SELECT {} FROM {} WHERE {} > 5 ORDER BY {}", q("name"), q(t), q("id"), q("id")));
  ASSERT_TRUE(narrow->next(batch, 4));
  ASSERT_EQ(batch.width(), 1u);
  EXPECT_EQ(batch.schema()[0].name, "name");
  ASSERT_EQ(batch.rows(), 4u);
  for (std::size_t r = 0; r < 4; ++r) EXPECT_EQ(batch.at(r, 0), Value(fmt::format("row-{}", r + 6)));
  ASSERT_TRUE(narrow->next(batch, 4));
  ASSERT_EQ(batch.rows(), 1u);
  EXPECT_EQ(batch.at(0, 0), Value("row-10"));
}

TEST_P(ConformanceStreaming, AbandonedCursorLeavesTheConnectionUsable) {
  std::string t = make_numbers(2000);
  {
    auto cursor = conn().query(select_numbers(t));
    Batch batch;
    ASSERT_TRUE(cursor->next(batch, 10));
  }  // destroyed with 1990 rows unread
  EXPECT_EQ(conn().execute(fmt::format("UPDATE {} SET {} = {} WHERE {} = 1", q(t), q("name"), p(1), q("id")),
                           std::vector{Value("first")}),
            1u);
  auto again = conn().query(select_numbers(t));  // the same SQL starts from the beginning
  Batch batch;
  ASSERT_TRUE(again->next(batch, 2));
  EXPECT_EQ(batch.at(0, 0), Value(1));
  EXPECT_EQ(batch.at(0, 1), Value("first"));
  EXPECT_EQ(batch.at(1, 0), Value(2));
}

TEST_P(ConformanceStreaming, ResultColumnsFollowATableChange) {
  // Drivers cache prepared statements by their SQL; the same SELECT * after ALTER TABLE
  // returns the table as it is now, and the connection stays usable.
  std::string t = make_numbers(2);
  const std::string sql = fmt::format("SELECT * FROM {} ORDER BY {}", q(t), q("id"));
  EXPECT_EQ(rows(sql).at(0).size(), 2u);
  conn().execute(fmt::format("ALTER TABLE {} ADD {} INTEGER", q(t), q("extra")));
  conn().execute(fmt::format("UPDATE {} SET {} = 7", q(t), q("extra")));
  auto cursor = conn().query(sql);
  ASSERT_EQ(cursor->schema()->size(), 3u);
  EXPECT_EQ((*cursor->schema())[2].name, "extra");
  Batch batch;
  ASSERT_TRUE(cursor->next(batch, 10));
  ASSERT_EQ(batch.rows(), 2u);
  EXPECT_EQ(batch.row(0)[0], Value(1));
  EXPECT_EQ(batch.row(0)[2], Value(7));
  cursor.reset();
  EXPECT_EQ(count_rows(t), 2);
}

TEST_P(ConformanceStreaming, ResultColumnsKeepTheirAliases) {
  auto cursor = conn().query(fmt::format("SELECT 1 AS {}, 'x' AS {}", q("Mixed Case"), q("order")));
  ASSERT_EQ(cursor->schema()->size(), 2u);
  EXPECT_EQ((*cursor->schema())[0].name, "Mixed Case");
  EXPECT_EQ((*cursor->schema())[1].name, "order");
  Batch batch;
  ASSERT_TRUE(cursor->next(batch, 10));
  EXPECT_EQ(batch.record(0).get("Mixed Case"), Value(1));
  EXPECT_EQ(batch.record(0).get("order"), Value("x"));
}

// PostgreSQL and MySQL stream one result per connection: a second statement drops the rest of
// an open cursor, which must then say so rather than end as if the result were complete.
// SQLite keeps both cursors open. `params` picks the path (PostgreSQL: COPY without, text
// rows in single-row mode with).
class ConformanceCursorCutOff : public ConformanceStreaming {
 protected:
  std::string select_from(const std::string& t, bool with_param, std::vector<Value>& params) {
    if (!with_param) return select_numbers(t);
    params = {Value(0)};
    return select_numbers(t, fmt::format(" WHERE {} > {}", q("id"), p(1)));
  }
  // Runs select_from() as a query (or a page) and reads its first 10 rows, ids 1 to 10.
  std::unique_ptr<db::Cursor> read_first_ten(const std::string& t, bool with_param, bool page) {
    std::vector<Value> params;
    std::string sql = select_from(t, with_param, params);
    auto cursor = page ? conn().query_page(sql, params) : conn().query(sql, params);
    Batch batch;
    EXPECT_TRUE(cursor->next(batch, 10));
    EXPECT_EQ(batch.rows(), 10u);
    if (batch.rows() == 10) {
      EXPECT_EQ(batch.at(9, 0), Value(10));
    }
    return cursor;
  }
  // `first` was read up to id 10: it throws if the driver cut it off, else goes on at 11.
  void expect_cut_off_or_intact(db::Cursor& first, int total) {
    Batch batch;
    if (ctx().caps.one_result_at_a_time) {
      auto error = error_from([&] { first.next(batch, 10); });
      ASSERT_TRUE(error) << "next() on a cursor whose connection ran another statement did not throw";
      EXPECT_EQ(error->kind(), ErrorKind::internal);
      EXPECT_NE(std::string(error->what()).find("cut off before its end"), std::string::npos) << error->what();
      EXPECT_TRUE(error_from([&] { first.next(batch, 10); })) << "a second next() ended the result after all";
      return;
    }
    std::int64_t expected = 11;
    while (first.next(batch, 500))
      for (std::size_t r = 0; r < batch.rows(); ++r, ++expected) ASSERT_EQ(batch.at(r, 0), Value(expected));
    EXPECT_EQ(expected - 1, total);
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceCursorCutOff, ::testing::ValuesIn(all_contexts()), context_name);

TEST_P(ConformanceCursorCutOff, SecondQueryCutsTheFirstCursorOffOrLeavesItIntact) {
  std::string t = make_numbers(2000);
  for (bool with_param : {false, true}) {
    SCOPED_TRACE(with_param ? "with a parameter" : "without parameters");
    auto first = read_first_ten(t, with_param, false);
    auto second = conn().query(select_numbers(t, fmt::format(" WHERE {} > 1990", q("id"))));
    Batch tail;
    ASSERT_TRUE(second->next(tail, 100));
    ASSERT_EQ(tail.rows(), 10u);
    EXPECT_EQ(tail.at(0, 0), Value(1991));
    EXPECT_FALSE(second->next(tail, 100));
    expect_cut_off_or_intact(*first, 2000);
  }
}

// A page (query_page) may come whole, as one result (PostgreSQL): rows not read yet when the
// connection runs another statement are cut off as streaming ones are; a page read to its end
// stays ended.
TEST_P(ConformanceCursorCutOff, APageIsCutOffLikeAStreamedResultAndEndsWhenRead) {
  std::string t = make_numbers(2000);
  for (bool with_param : {false, true}) {
    SCOPED_TRACE(with_param ? "with a parameter" : "without parameters");
    auto first = read_first_ten(t, with_param, true);
    EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {}", q(t))), Value(2000));
    expect_cut_off_or_intact(*first, 2000);

    std::vector<Value> params;
    const std::string sql = select_from(t, with_param, params);
    auto whole = conn().query_page(sql, params);
    Batch batch;
    std::int64_t expected = 1;
    while (whole->next(batch, 300))
      for (std::size_t r = 0; r < batch.rows(); ++r, ++expected) ASSERT_EQ(batch.at(r, 0), Value(expected));
    EXPECT_EQ(expected - 1, 2000);
    EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {}", q(t))), Value(2000));
    EXPECT_FALSE(whole->next(batch, 300)) << "a page read to its end must stay ended";
  }
}

TEST_P(ConformanceCursorCutOff, ExecuteCutsTheCursorOffOrLeavesItIntact) {
  std::string t = make_numbers(2000);
  auto first = conn().query(select_numbers(t));
  Batch batch;
  ASSERT_TRUE(first->next(batch, 10));
  EXPECT_EQ(conn().execute(fmt::format("UPDATE {} SET {} = 'x' WHERE {} = 1", q(t), q("name"), q("id"))), 1u);
  expect_cut_off_or_intact(*first, 2000);
}

TEST_P(ConformanceCursorCutOff, ACursorReadToItsEndStaysEndedAfterAnotherStatement) {
  std::string t = make_numbers(20);
  auto first = conn().query(select_numbers(t));
  Batch batch;
  std::size_t read = 0;
  while (first->next(batch, 500)) read += batch.rows();
  EXPECT_EQ(read, 20u);
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {}", q(t))), Value(20));
  EXPECT_FALSE(first->next(batch, 500));
}

TEST_P(ConformanceCursorCutOff, DestroyingACutOffCursorLeavesTheNextOneInCharge) {
  std::string t = make_numbers(2000);
  auto first = conn().query(select_numbers(t));
  Batch batch;
  ASSERT_TRUE(first->next(batch, 10));
  auto second = conn().query(select_numbers(t));
  ASSERT_TRUE(second->next(batch, 10));
  first.reset();  // the older cursor goes after the newer one took the connection
  // The connection still knows the second cursor, ends it before this statement, and cuts it off.
  EXPECT_EQ(conn().execute(fmt::format("UPDATE {} SET {} = 'x' WHERE {} = 1", q(t), q("name"), q("id"))), 1u);
  expect_cut_off_or_intact(*second, 2000);
}

TEST_P(ConformanceCursorCutOff, ACursorOutlivingItsConnectionThrowsIfRowsWereLeft) {
  if (!ctx().caps.one_result_at_a_time)
    GTEST_SKIP() << ctx().name << ": a cursor must not outlive its connection (its statement belongs to it)";
  std::string t = make_numbers(2000);
  auto other = ctx().connect();
  auto cursor = other->query(select_numbers(t));
  Batch batch;
  ASSERT_TRUE(cursor->next(batch, 10));
  other.reset();
  auto error = error_from([&] { cursor->next(batch, 10); });
  ASSERT_TRUE(error) << "next() after the connection closed did not throw";
  EXPECT_EQ(error->kind(), ErrorKind::internal);
}

}  // namespace
}  // namespace weir::conformance
