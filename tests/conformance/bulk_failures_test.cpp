// Conformance: a bad row in a large bulk insert — a duplicate key, NULL for NOT NULL, a failed
// CHECK or foreign key, a value the column cannot take — fails write() with an Error of that
// kind, and the connection and the writer stay usable the way sql_write uses them: roll back
// to a savepoint taken before the write, write the next batch with the same writer, commit.
// Batches have 300 rows, so drivers with a path of their own for large batches (MySQL's LOAD
// DATA, which only warns about such rows) take it.
#include <fmt/format.h>

#include "conformance/conformance_test.hpp"
#include "weir/temporal.hpp"

namespace weir::conformance {
namespace {

constexpr int kRows = 300;
constexpr int kBadRow = 250;  // index of the broken row inside the failing batch

class ConformanceBulkFailures : public ConformanceTest {
 protected:
  const std::vector<std::string> columns_{"id", "name", "qty", "day"};

  // id INTEGER PK, name VARCHAR(20) NOT NULL, qty INTEGER CHECK (qty > 0), day DATE.
  std::string make_table(const std::string& extra_columns = "") {
    return create_table("bf", fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} VARCHAR(20) NOT NULL, {} INTEGER CHECK "
                                          "({} > 0), {} {}{}",
                                          q("id"), q("name"), q("qty"), q("qty"), q("day"),
                                          column_type(Type::date), extra_columns));
  }

  static Rows good_rows(int first_id) {
    Rows data;
    for (int id = first_id; id < first_id + kRows; ++id)
      data.push_back({Value(id), Value(fmt::format("r{}", id)), Value(1 + id % 5),
                      Value(Date{days_from_civil(2024, 1, 1) + id % 300})});
    return data;
  }

  // Writes a good batch, then — after a savepoint — `bad` (which must fail with `kind`), rolls
  // back to the savepoint, writes another good batch with the same writer and commits. Returns
  // the error for further checks.
  std::optional<Error> expect_failure(const std::string& table, const Rows& bad, ErrorKind kind,
                                      const std::vector<std::string>& columns) {
    auto writer = conn().bulk_writer({db::TableRef{"", table}, columns, db::WriteMode::insert, {}});
    std::int64_t before = count_rows(table);
    conn().begin();
    writer->write(make_batch(columns, project(good_rows(1), columns.size())));
    conn().savepoint("before_bad_batch");
    auto e = error_from([&] { writer->write(make_batch(columns, bad)); });
    EXPECT_TRUE(e) << "a batch with a bad row at index " << kBadRow << " was written";
    if (e) {
      EXPECT_EQ(e->kind(), kind) << e->what();
      EXPECT_FALSE(e->retryable()) << e->what();
      EXPECT_FALSE(e->code().empty()) << e->what();
    }
    EXPECT_TRUE(conn().in_transaction()) << "the caller's transaction survives the failed write";
    conn().rollback_to_savepoint("before_bad_batch");
    writer->write(make_batch(columns, project(good_rows(1 + 2 * kRows), columns.size())));
    conn().commit();
    EXPECT_EQ(count_rows(table), before + 2 * kRows) << "both good batches, nothing of the bad one";
    return e;
  }

  // A failing batch: good rows from id kRows + 1 with row kBadRow changed by `spoil`.
  template <class F>
  static Rows spoiled(F&& spoil, std::size_t width = 4) {
    Rows data = project(good_rows(1 + kRows), width);
    spoil(data[kBadRow]);
    return data;
  }

  static Rows project(Rows data, std::size_t width) {
    for (Row& r : data) r.resize(width);
    return data;
  }

  void expect_server_text(const std::optional<Error>& e, const std::string& scenario) {
    if (!e) return;
    auto text = ctx().server_text.find(scenario);
    ASSERT_NE(text, ctx().server_text.end()) << ctx().name << " has no server_text for " << scenario;
    EXPECT_TRUE(contains(e->what(), text->second)) << "message lacks `" << text->second << "`: " << e->what();
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceBulkFailures, ::testing::ValuesIn(all_contexts()), context_name);

TEST_P(ConformanceBulkFailures, DuplicateOfAnExistingKey) {
  std::string t = make_table();
  insert(t, {"id", "name"}, {Value(kRows + 1 + kBadRow), Value("existing")});
  auto e = expect_failure(t, spoiled([](Row&) {}), ErrorKind::unique, columns_);
  expect_server_text(e, "unique");
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {} WHERE {} = {}", q("name"), q(t), q("id"), kRows + 1 + kBadRow)),
            Value("existing"));
}

TEST_P(ConformanceBulkFailures, DuplicateKeyInsideTheBatch) {
  std::string t = make_table();
  auto e = expect_failure(t, spoiled([](Row& r) { r[0] = Value(kRows + 1); }), ErrorKind::unique, columns_);
  expect_server_text(e, "unique");
}

TEST_P(ConformanceBulkFailures, NullForNotNull) {
  std::string t = make_table();
  auto e = expect_failure(t, spoiled([](Row& r) { r[1] = Value(); }), ErrorKind::not_null, columns_);
  if (e) {
    EXPECT_TRUE(contains(e->what(), "name")) << "names the column: " << e->what();
  }
}

TEST_P(ConformanceBulkFailures, CheckConstraint) {
  std::string t = make_table();
  auto e = expect_failure(t, spoiled([](Row& r) { r[2] = Value(-3); }), ErrorKind::check, columns_);
  expect_server_text(e, "check");
}

TEST_P(ConformanceBulkFailures, ForeignKey) {
  std::string parent = create_table("bfp", q("id") + " INTEGER NOT NULL PRIMARY KEY");
  for (int i = 0; i < 5; ++i) insert(parent, {"id"}, {Value(i)});
  std::string t = make_table(fmt::format(", {} INTEGER REFERENCES {} ({})", q("parent"), q(parent), q("id")));
  std::vector<std::string> columns = columns_;
  columns.push_back("parent");
  auto with_parent = [](Rows data) {
    for (Row& r : data) r.push_back(Value(r[0].as_int() % 5));
    return data;
  };
  // good_rows() gives four cells; expect_failure pads them to five with NULL parents (allowed).
  Rows bad = with_parent(project(good_rows(1 + kRows), 4));
  bad[kBadRow][4] = Value(99);
  auto e = expect_failure(t, bad, ErrorKind::foreign_key, columns);
  expect_server_text(e, "foreign_key");
}

TEST_P(ConformanceBulkFailures, TextThatIsNotADate) {
  if (!ctx().caps.native_timestamp) GTEST_SKIP() << ctx().name << " stores any text in a date column";
  std::string t = make_table();
  expect_failure(t, spoiled([](Row& r) { r[3] = Value("not a date"); }), ErrorKind::data, columns_);
}

TEST_P(ConformanceBulkFailures, TextThatIsNotJson) {
  if (!ctx().caps.native_json) GTEST_SKIP() << ctx().name << " stores any text in a json column";
  std::string t = make_table(fmt::format(", {} {}", q("doc"), column_type(Type::json)));
  std::vector<std::string> columns = columns_;
  columns.push_back("doc");
  Rows bad = project(good_rows(1 + kRows), 5);
  bad[kBadRow][4] = Value("{not json");
  expect_failure(t, bad, ErrorKind::data, columns);
}

}  // namespace
}  // namespace weir::conformance
