// Dead letters of a change stream and their replay (issue 17, item 2): a real PostgreSQL
// source streamed by postgres_cdc into sql_apply on PostgreSQL, MariaDB and SQLite targets whose
// foreign keys refuse an update, an insert, a delete and an update that moves its row to
// another key. Each lands in the dead letters as the change it was (op, before image, position
// LSN:index) while the changes around it commit. `weir deadletters replay` before the target
// is fixed keeps them; after, it applies each as the change it was (the update by its key, the
// delete, the key moved by its before image), empties the letters and leaves the stream's
// checkpoint alone; replaying again changes nothing.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

using ::testing::HasSubstr;

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file in the test's directory
};

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

class CdcDeadLetterReplay : public PostgresCdcTest, public ::testing::WithParamInterface<Target> {
 protected:
  void TearDown() override {
    if (target_)
      for (const std::string& t : {child_, dst_, grp_, letters_}) target_->connection->execute("DROP TABLE IF EXISTS " + t);
    PostgresCdcTest::TearDown();
  }

  // src(id, g, note) streamed into dst(id, g → grp, note), child(parent → dst) on the target.
  bool start() {
    target_ = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!target_) return false;
    src_ = table("src", "id bigint PRIMARY KEY, g bigint NOT NULL, note text");
    grp_ = "grp_" + s_, dst_ = "dst_" + s_, child_ = "child_" + s_, letters_ = "letters_" + s_;
    target_->connection->execute(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY)", grp_));
    target_->connection->execute(fmt::format("INSERT INTO {} VALUES (1)", grp_));
    target_->connection->execute(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, g bigint NOT NULL REFERENCES "
                                             "{} (id), note varchar(20))",
                                             dst_, grp_));
    target_->connection->execute(
        fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, parent bigint REFERENCES {} (id))", child_, dst_));
    file_ = pipeline_file({src_}, "\"${WEIR_TEST_PG_URL}\"", "",
                          fmt::format("sql_apply: {{ connection: dst, tables: {{ public.{}: {} }} }}", src_, dst_),
                          target_->yaml_url);
    test::write_file(file_, test::read_file(file_) +
                                fmt::format("    dead_letter: {{ connection: dst, table: {} }}\n", letters_));
    auto first = run_once(file_);
    EXPECT_EQ(first.exit_code, 0) << first.err;
    return true;
  }

  test::CommandResult replay() {
    return test::run_weir({"deadletters", "replay", file_, "--pipeline", pipeline_}, dir_.path());
  }
  // dst's rows as "id:g:note …" in id order.
  std::string rows() {
    Batch batch;
    auto cursor = target_->connection->query(fmt::format("SELECT id, g, note FROM {} ORDER BY id", dst_));
    std::string out;
    while (cursor->next(batch, 100))
      for (std::size_t r = 0; r < batch.rows(); ++r)
        out += fmt::format("{}{}:{}:{}", out.empty() ? "" : " ", batch.at(r, 0).to_text(), batch.at(r, 1).to_text(),
                           batch.at(r, 2).to_text());
    return out;
  }
  std::string letters(const std::string& what) {
    Batch batch;
    auto cursor = target_->connection->query(fmt::format("SELECT {} FROM {} ORDER BY id", what, letters_));
    std::string out;
    while (cursor->next(batch, 100))
      for (std::size_t r = 0; r < batch.rows(); ++r) out += (out.empty() ? "" : "\n") + batch.at(r, 0).to_text();
    return out;
  }

  std::optional<test::TargetDatabase> target_;
  std::string src_, grp_, dst_, child_, letters_, file_;
};

TEST_P(CdcDeadLetterReplay, RefusedChangesComeBackAsTheChangesTheyWereOnceTheTargetIsFixed) {
  if (!start()) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 1, 'c'), (4, 1, 'd')", src_));
  auto filled = run_once(file_);
  ASSERT_EQ(filled.exit_code, 0) << filled.err;
  ASSERT_EQ(rows(), "1:1:a 2:1:b 3:1:c 4:1:d");
  target_->connection->execute(fmt::format("INSERT INTO {} VALUES (1, 3)", child_));

  // Each its own transaction: group 2 is missing in the target, and child 1 refers to row 3.
  const std::string lsn = test::scalar(*db_, "SELECT pg_current_wal_lsn()::text");
  db_->execute(fmt::format("UPDATE {} SET g = 2, note = 'b2' WHERE id = 2", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (5, 2, 'e')", src_));
  db_->execute(fmt::format("DELETE FROM {} WHERE id = 3", src_));
  db_->execute(fmt::format("UPDATE {} SET id = 14, g = 2 WHERE id = 4", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (6, 1, 'f')", src_));
  auto refused = run_once(file_);
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_EQ(rows(), "1:1:a 2:1:b 3:1:c 4:1:d 6:1:f") << "the changes around the refused ones committed";
  const std::string checkpoint = saved_position();

  // Four letters, as the changes they were, each at its own position (a transaction's first
  // change: index 0) and after the LSN before them.
  EXPECT_EQ(letters("error_kind"), "foreign_key\nforeign_key\nforeign_key\nforeign_key");
  const std::string positions = letters("position");
  std::vector<std::string> at;
  for (const std::string& p : lines_of(positions)) {
    EXPECT_TRUE(p.ends_with(":0")) << p;
    EXPECT_TRUE(lsn_at_most(*db_, lsn, p.substr(0, p.size() - 2))) << p << " is before " << lsn;
    at.push_back(p);
  }
  ASSERT_EQ(at.size(), 4u) << positions;
  const std::string table = "public." + src_;
  EXPECT_EQ(letters("original"),
            fmt::format(R"({{"op":"update","table":"{0}","position":"{1}","before":{{"id":2,"g":null,"note":null}},)"
                        R"("after":{{"id":2,"g":2,"note":"b2"}}}})"
                        "\n"
                        R"({{"op":"insert","table":"{0}","position":"{2}","after":{{"id":5,"g":2,"note":"e"}}}})"
                        "\n"
                        R"({{"op":"delete","table":"{0}","position":"{3}","before":{{"id":3,"g":null,"note":null}}}})"
                        "\n"
                        R"({{"op":"update","table":"{0}","position":"{4}","before":{{"id":4,"g":null,"note":null}},)"
                        R"("after":{{"id":14,"g":2,"note":"d"}}}})",
                        table, at[0], at[1], at[2], at[3]));
  const std::string ids = letters("id");

  auto unfixed = replay();
  EXPECT_EQ(unfixed.exit_code, 3) << unfixed.out << unfixed.err;
  EXPECT_THAT(unfixed.out, HasSubstr(fmt::format("pipeline {}: replayed 4 dead letters: wrote 0 rows, 4 to dead letters",
                                                 pipeline_)));
  EXPECT_EQ(letters("id"), ids) << "the same letters, under their ids";
  EXPECT_EQ(letters("position"), positions);
  EXPECT_EQ(rows(), "1:1:a 2:1:b 3:1:c 4:1:d 6:1:f");

  target_->connection->execute(fmt::format("INSERT INTO {} VALUES (2)", grp_));
  target_->connection->execute("DELETE FROM " + child_);
  auto fixed = replay();
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_THAT(fixed.out, HasSubstr(fmt::format("pipeline {}: replayed 4 dead letters: ", pipeline_)));
  EXPECT_THAT(fixed.out, HasSubstr("; 0 left in table"));
  EXPECT_EQ(test::scalar(*target_->connection, "SELECT count(*) FROM " + letters_), "0");
  EXPECT_EQ(rows(), "1:1:a 2:2:b2 5:2:e 6:1:f 14:2:d");
  EXPECT_EQ(saved_position(), checkpoint) << "a replay leaves the stream's checkpoint alone";

  auto again = replay();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr(fmt::format("pipeline {}: replayed 0 dead letters", pipeline_)));
  EXPECT_EQ(rows(), "1:1:a 2:2:b2 5:2:e 6:1:f 14:2:d");
  // The stream goes on where it stood: nothing read twice.
  db_->execute(fmt::format("INSERT INTO {} VALUES (7, 1, 'g')", src_));
  auto next = run_once(file_);
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(rows(), "1:1:a 2:2:b2 5:2:e 6:1:f 7:1:g 14:2:d");
}

// Letters as a weir version before the typed form wrote them (before commit 171b892): the row
// after the change typed as a plain row's (`original`, `original_values`), the change as JSON in
// `record` only. A replay reads them back as the changes they were, rows found by the target's
// primary key: the update, the insert, the delete, the key moved by its JSON before image.
TEST_P(CdcDeadLetterReplay, LettersOfTheOlderFormComeBackAsTheChangesTheyWere) {
  if (!start()) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 1, 'c'), (4, 1, 'd')", src_));
  ASSERT_EQ(run_once(file_).exit_code, 0);
  target_->connection->execute(fmt::format("INSERT INTO {} VALUES (1, 3)", child_));
  db_->execute(fmt::format("UPDATE {} SET g = 2, note = 'b2' WHERE id = 2", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (5, 2, 'e')", src_));
  db_->execute(fmt::format("DELETE FROM {} WHERE id = 3", src_));
  db_->execute(fmt::format("UPDATE {} SET id = 14, g = 2 WHERE id = 4", src_));
  ASSERT_EQ(run_once(file_).exit_code, 3);
  const std::vector<std::pair<std::string, std::string>> older{
      {R"({"id":2,"g":2,"note":"b2"})", R"([["int64","2"],["int64","2"],["text","b2"]])"},
      {R"({"id":5,"g":2,"note":"e"})", R"([["int64","5"],["int64","2"],["text","e"]])"},
      {R"({"id":3,"g":null,"note":null})", R"([["int64","3"],["null",""],["null",""]])"},
      {R"({"id":14,"g":2,"note":"d"})", R"([["int64","14"],["int64","2"],["text","d"]])"}};
  const std::vector<std::string> ids = lines_of(letters("id"));
  ASSERT_EQ(ids.size(), older.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::vector<Value> params{Value(older[i].first), Value(older[i].second), Value(ids[i])};
    auto& target = *target_->connection;
    EXPECT_EQ(target.execute(fmt::format("UPDATE {} SET original = {}, original_values = {} WHERE id = {}", letters_,
                                         target.dialect().placeholder(1), target.dialect().placeholder(2),
                                         target.dialect().placeholder(3)),
                             params),
              1u);
  }
  target_->connection->execute(fmt::format("INSERT INTO {} VALUES (2)", grp_));
  target_->connection->execute("DELETE FROM " + child_);
  auto fixed = replay();
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_THAT(fixed.out, HasSubstr(fmt::format("pipeline {}: replayed 4 dead letters: ", pipeline_)));
  EXPECT_EQ(test::scalar(*target_->connection, "SELECT count(*) FROM " + letters_), "0");
  EXPECT_EQ(rows(), "1:1:a 2:2:b2 5:2:e 14:2:d");
}

// Array columns (text[] with NULL items, quotes, backslashes, commas and braces; int[][]) in a
// refused change: the letter keeps them typed, and the replay writes them into the target
// exactly as the source holds them.
class CdcArrayLetterReplay : public CdcDeadLetterReplay {
 protected:
  std::string arrays(db::Connection& db, const std::string& table) {
    return test::scalar(db, fmt::format("SELECT string_agg(id || ':' || tags::text || ':' || coalesce(grid::text, '-'), ' ' "
                                        "ORDER BY id) FROM {}",
                                        table));
  }
};

TEST_P(CdcArrayLetterReplay, AnArrayColumnComesBackExactly) {
  target_ = test::open_target(GetParam().url_variable, dir_, "dst.db");
  if (!target_) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
  src_ = table("src", "id bigint PRIMARY KEY, g bigint NOT NULL, tags text[], grid int[]");
  grp_ = "grp_" + s_, dst_ = "dst_" + s_, child_ = "child_" + s_, letters_ = "letters_" + s_;
  target_->connection->execute(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY)", grp_));
  target_->connection->execute(fmt::format("INSERT INTO {} VALUES (1)", grp_));
  target_->connection->execute(fmt::format(
      "CREATE TABLE {} (id bigint PRIMARY KEY, g bigint NOT NULL REFERENCES {} (id), tags text[], grid int[])", dst_,
      grp_));
  file_ = pipeline_file({src_}, "\"${WEIR_TEST_PG_URL}\"", "",
                        fmt::format("sql_apply: {{ connection: dst, tables: {{ public.{}: {} }} }}", src_, dst_),
                        target_->yaml_url);
  test::write_file(file_, test::read_file(file_) + fmt::format("    dead_letter: {{ connection: dst, table: {} }}\n", letters_));
  ASSERT_EQ(run_once(file_).exit_code, 0);

  db_->execute(fmt::format(R"(INSERT INTO {} VALUES (1, 1, ARRAY['plain', NULL, 'say "hi"', 'back\slash', 'a,b', )"
                           R"('{{x}}', '', 'NULL'], '{{{{1,2}},{{3,NULL}}}}'))",
                           src_));
  db_->execute(fmt::format(R"(INSERT INTO {} VALUES (2, 2, ARRAY[NULL, 'two words', '"', '\'], '{{{{-1}},{{NULL}}}}'))",
                           src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (3, 2, '{{}}', NULL)", src_));
  auto refused = run_once(file_);
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_EQ(test::scalar(*target_->connection, "SELECT count(*) FROM " + letters_), "2");
  const std::string source = arrays(*db_, src_);
  EXPECT_EQ(source,
            R"(1:{plain,NULL,"say \"hi\"","back\\slash","a,b","{x}","","NULL"}:{{1,2},{3,NULL}} )"
            R"(2:{NULL,"two words","\"","\\"}:{{-1},{NULL}} 3:{}:-)");
  EXPECT_EQ(arrays(*target_->connection, dst_), source.substr(0, source.find(" 2:")));

  target_->connection->execute(fmt::format("INSERT INTO {} VALUES (2)", grp_));
  auto fixed = replay();
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_EQ(test::scalar(*target_->connection, "SELECT count(*) FROM " + letters_), "0");
  EXPECT_EQ(arrays(*target_->connection, dst_), source) << "the arrays as the source holds them";
}

INSTANTIATE_TEST_SUITE_P(Targets, CdcArrayLetterReplay, ::testing::Values(Target{"Postgres", "WEIR_TEST_PG_URL"}),
                         [](const auto& info) { return std::string(info.param.name); });

const Target kTargets[] = {{"Postgres", "WEIR_TEST_PG_URL"}, {"Mariadb", "WEIR_TEST_MYSQL_URL"}, {"Sqlite", nullptr}};
INSTANTIATE_TEST_SUITE_P(Targets, CdcDeadLetterReplay, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir::cdc_test
