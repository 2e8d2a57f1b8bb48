// Schema changes while postgres_cdc streams into sql_apply, on a real PostgreSQL source and
// PostgreSQL, MariaDB and SQLite targets: ADD COLUMN (with and without DEFAULT), DROP COLUMN,
// RENAME COLUMN, a widened type and numeric(5,3) → numeric(10,5), each with and without
// changes after it, each run of weir a new process (so every step crosses a restart), with and
// without DDL capture: the target altered or the run stopped as the policy says, and never a
// row written with shifted or misdecoded columns.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

enum class Target { postgres, mariadb, sqlite };

class CdcSchemaChangesTest : public PostgresCdcTest {
 protected:
  void TearDown() override {
    if (capture_) test::run_weir({"cdc", "install-ddl-capture", "--remove", *test::server_url("WEIR_TEST_PG_URL")});
    if (target_ && kind_ != Target::sqlite) target_->connection->execute("DROP TABLE IF EXISTS " + dst_);
    PostgresCdcTest::TearDown();
  }

  // A source table `src` (id, v text, n numeric(5,3)) streamed into `dst` on `kind`, holding
  // the same columns, with `policy` (YAML) as schema_changes; the slot made, one row applied.
  bool start(Target kind, const std::string& policy = "") {
    kind_ = kind;
    target_ = test::open_target(kind == Target::postgres  ? "WEIR_TEST_PG_URL"
                                : kind == Target::mariadb ? "WEIR_TEST_MYSQL_URL"
                                                          : nullptr,
                                dir_, "dst.db");
    if (!target_) return false;
    src_ = table("src", "id bigint PRIMARY KEY, v text, n numeric(5,3)");
    dst_ = "dst_" + s_;
    const char* decimal = kind == Target::postgres ? "numeric(5,3)" : kind == Target::mariadb ? "decimal(5,3)"
                                                                                              : "DECIMAL_TEXT(5,3)";
    target_->connection->execute(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, v {}, n {})", dst_,
                                             kind == Target::mariadb ? "text" : "text", decimal));
    file_ = pipeline_file({src_}, "\"${WEIR_TEST_PG_URL}\"", "",
                          fmt::format("sql_apply: {{ connection: dst, tables: {{ public.{}: {} }} }}", src_, dst_),
                          target_->yaml_url);
    if (!policy.empty()) set_policy(policy);
    EXPECT_EQ(run_once(file_).exit_code, 0);
    db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'one', 1.5)", src_));
    auto r = run_once(file_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return true;
  }
  void set_policy(const std::string& policy) {
    std::string text = test::read_file(file_);
    auto at = text.find("        schema_changes:");
    if (at != std::string::npos) text.erase(at, text.find('\n', at) + 1 - at);
    text.insert(text.find("    output:"), "        schema_changes: " + policy + "\n");
    test::write_file(file_, text);
  }
  void install_capture() {
    auto r = test::run_weir({"cdc", "install-ddl-capture", *test::server_url("WEIR_TEST_PG_URL")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    capture_ = true;
  }
  // The rows of dst as "id|v|…", in id order, columns as given (each cast to text by the target).
  std::string dump(const std::vector<std::string>& columns) {
    std::string list;
    for (const std::string& c : columns) list += (list.empty() ? "" : ", ") + c;
    Batch batch;
    auto cursor = target_->connection->query(fmt::format("SELECT {} FROM {} ORDER BY id", list, dst_));
    std::string out;
    while (cursor->next(batch, 100))
      for (std::size_t r = 0; r < batch.rows(); ++r) {
        if (!out.empty()) out += " ";
        for (std::size_t c = 0; c < batch.width(); ++c)
          out += (c ? "|" : "") + (batch.at(r, c).is_null() ? std::string("NULL") : batch.at(r, c).to_text());
      }
    return out;
  }
  std::vector<std::string> target_columns() {
    auto info = target_->connection->describe_table(db::TableRef{"", dst_});
    std::vector<std::string> out;
    if (info)
      for (const Column& c : info->columns) out.push_back(c.name + " " + c.native_type);
    return out;
  }
  bool target_has(const std::string& column) {
    for (const std::string& c : target_columns())
      if (c.starts_with(column + " ")) return true;
    return false;
  }

  void added_column_is_applied(Target kind);
  void added_column_with_default(Target kind, bool capture);
  void widened_numeric(Target kind, const std::string& wide_type);
  void statement_alone_is_applied(Target kind, const std::string& wide_type);
  void altered_before_a_crash_is_not_altered_again(Target kind);

  Target kind_ = Target::postgres;
  std::optional<test::TargetDatabase> target_;
  std::string src_, dst_, file_;
  bool capture_ = false;
};

// ---- ADD COLUMN ---------------------------------------------------------------------------------

void CdcSchemaChangesTest::added_column_is_applied(Target kind) {
  if (!start(kind)) GTEST_SKIP() << "no such server in the harness";
  // No change after it: nothing to apply yet, nothing fails.
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN note text", src_));
  auto quiet = run_once(file_);
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_FALSE(target_has("note"));
  // Changes after it, in the next run: the column is added, then the rows written with it.
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two', 2.25, 'new')", src_));
  db_->execute(fmt::format("UPDATE {} SET note = 'set' WHERE id = 1", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(dump({"id", "v", "n", "note"}), "1|one|1.500|set 2|two|2.250|new");
  // A later run meets the same shape again: no change, nothing altered.
  db_->execute(fmt::format("INSERT INTO {} VALUES (3, 'three', 3, 'again')", src_));
  auto again = run_once(file_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("ALTER TABLE"), std::string::npos) << again.err;
  EXPECT_EQ(dump({"id", "note"}), "1|set 2|new 3|again");
}

TEST_F(CdcSchemaChangesTest, AnAddedColumnIsAddedToAPostgresTargetOnceAChangeNeedsIt) {
  added_column_is_applied(Target::postgres);
}
TEST_F(CdcSchemaChangesTest, AnAddedColumnIsAddedToAMariadbTargetOnceAChangeNeedsIt) {
  added_column_is_applied(Target::mariadb);
}
TEST_F(CdcSchemaChangesTest, AnAddedColumnIsAddedToASqliteTargetOnceAChangeNeedsIt) {
  added_column_is_applied(Target::sqlite);
}

TEST_F(CdcSchemaChangesTest, AnAddedColumnIgnoredIsNotWrittenAndStaysLeftOutAfterARestart) {
  if (!start(Target::postgres, "{ add_column: ignore }")) GTEST_SKIP();
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN note text", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two', 2.25, 'new')", src_));
  ASSERT_EQ(run_once(file_).exit_code, 0);
  db_->execute(fmt::format("INSERT INTO {} VALUES (3, 'three', 3, 'more')", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(target_has("note"));
  EXPECT_EQ(dump({"id", "v", "n"}), "1|one|1.500 2|two|2.250 3|three|3.000");
}

// ADD COLUMN … DEFAULT: the rows already there hold the default at the source, which the WAL
// does not carry; the source's catalog (attmissingval) or DDL capture says it, and the
// target's rows get it too.
void CdcSchemaChangesTest::added_column_with_default(Target kind, bool capture) {
  if (!start(kind)) GTEST_SKIP() << "no such server in the harness";
  if (capture) install_capture();
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN k integer DEFAULT 7", src_));
  db_->execute(fmt::format("INSERT INTO {} (id, v, n) VALUES (2, 'two', 2)", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(dump({"id", "k"}), "1|7 2|7");
}

TEST_F(CdcSchemaChangesTest, AnAddedColumnWithADefaultFillsTheRowsAlreadyInAPostgresTarget) {
  added_column_with_default(Target::postgres, false);
}
TEST_F(CdcSchemaChangesTest, AnAddedColumnWithADefaultFillsTheRowsAlreadyInASqliteTarget) {
  added_column_with_default(Target::sqlite, false);
}
TEST_F(CdcSchemaChangesTest, AnAddedColumnWithADefaultSeenByDdlCaptureFillsTheRowsAlreadyInAMariadbTarget) {
  added_column_with_default(Target::mariadb, true);
}

// ---- a widened type -------------------------------------------------------------------------------

void CdcSchemaChangesTest::widened_numeric(Target kind, const std::string& wide_type) {
  if (!start(kind)) GTEST_SKIP() << "no such server in the harness";
  db_->execute(fmt::format("ALTER TABLE {} ALTER COLUMN n TYPE numeric(10,5)", src_));
  ASSERT_EQ(run_once(file_).exit_code, 0);  // nothing after it yet
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two', 12345.12345)", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::ranges::count(target_columns(), "n " + wide_type)) << fmt::format("{}", fmt::join(target_columns(), ", "));
  EXPECT_EQ(dump({"id", "v", "n"}), kind == Target::sqlite ? "1|one|1.500 2|two|12345.12345"
                                                             : "1|one|1.50000 2|two|12345.12345");
}

TEST_F(CdcSchemaChangesTest, ANumericWidenedIsWidenedInAPostgresTarget) {
  widened_numeric(Target::postgres, "numeric(10,5)");
}
TEST_F(CdcSchemaChangesTest, ANumericWidenedIsWidenedInAMariadbTarget) {
  widened_numeric(Target::mariadb, "decimal(10,5)");
}
TEST_F(CdcSchemaChangesTest, ANumericWidenedIsWidenedInASqliteTargetByARebuild) {
  widened_numeric(Target::sqlite, "DECIMAL_TEXT(10,5)");
}

TEST_F(CdcSchemaChangesTest, AnIntegerWidenedToBigintIsAppliedAndANarrowedTypeStops) {
  if (!start(Target::postgres)) GTEST_SKIP() << "no PostgreSQL target in the harness (WEIR_TEST_PG_URL)";
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN q integer", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two', 2, 5)", src_));
  ASSERT_EQ(run_once(file_).exit_code, 0);
  db_->execute(fmt::format("ALTER TABLE {} ALTER COLUMN q TYPE bigint", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (3, 'three', 3, 9000000000)", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::ranges::count(target_columns(), "q bigint"));
  EXPECT_EQ(dump({"id", "q"}), "1|NULL 2|5 3|9000000000");

  db_->execute(fmt::format("ALTER TABLE {} ALTER COLUMN n TYPE numeric(4,1)", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (4, 'four', 4.5, 1)", src_));
  auto stop = run_once(file_);
  EXPECT_EQ(stop.exit_code, 2);
  EXPECT_NE(stop.err.find(fmt::format("table public.{}: column `n` changed type from numeric(5,3) to numeric(4,1), "
                                      "which is no widening",
                                      src_)),
            std::string::npos)
      << stop.err;
  EXPECT_NE(stop.err.find(".schema_changes.type_change is `widen`"), std::string::npos) << stop.err;
  EXPECT_EQ(dump({"id"}), "1 2 3");  // nothing from the change on
}

// ---- a statement no change follows -----------------------------------------------------------------

// With DDL capture a statement is seen where it happened: once the run has passed it the target
// is altered, though no change of the table follows. The next run (a restart) alters nothing
// again, and the table's changes then go into the altered target.
void CdcSchemaChangesTest::statement_alone_is_applied(Target kind, const std::string& wide_type) {
  if (!start(kind)) GTEST_SKIP() << "no such server in the harness";
  install_capture();
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN note text", src_));
  db_->execute(fmt::format("ALTER TABLE {} ALTER COLUMN n TYPE numeric(10,5)", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(target_has("note")) << fmt::format("{}", fmt::join(target_columns(), ", "));
  EXPECT_TRUE(std::ranges::count(target_columns(), "n " + wide_type)) << fmt::format("{}", fmt::join(target_columns(), ", "));
  EXPECT_EQ(dump({"id", "v", "n", "note"}), kind == Target::sqlite ? "1|one|1.500|NULL" : "1|one|1.50000|NULL");

  auto again = run_once(file_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("ALTER TABLE"), std::string::npos) << again.err;
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two', 12345.12345, 'new')", src_));
  auto rows = run_once(file_);
  ASSERT_EQ(rows.exit_code, 0) << rows.err;
  EXPECT_EQ(rows.err.find("ALTER TABLE"), std::string::npos) << rows.err;
  EXPECT_EQ(dump({"id", "v", "n", "note"}), kind == Target::sqlite ? "1|one|1.500|NULL 2|two|12345.12345|new"
                                                                     : "1|one|1.50000|NULL 2|two|12345.12345|new");
}

TEST_F(CdcSchemaChangesTest, AStatementNoChangeFollowsAltersAPostgresTargetWithDdlCapture) {
  statement_alone_is_applied(Target::postgres, "numeric(10,5)");
}
TEST_F(CdcSchemaChangesTest, AStatementNoChangeFollowsAltersAMariadbTargetWithDdlCapture) {
  statement_alone_is_applied(Target::mariadb, "decimal(10,5)");
}
TEST_F(CdcSchemaChangesTest, AStatementNoChangeFollowsAltersASqliteTargetWithDdlCapture) {
  statement_alone_is_applied(Target::sqlite, "DECIMAL_TEXT(10,5)");
}

// A target whose DDL commits at once (MariaDB), or one not holding the state (SQLite here: the
// state is on the source), can be altered and the run killed before the checkpoint past the
// statement is saved; the next run meets the statement again and alters nothing twice.
void CdcSchemaChangesTest::altered_before_a_crash_is_not_altered_again(Target kind) {
  if (!start(kind)) GTEST_SKIP() << "no such server in the harness";
  install_capture();
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN note text", src_));
  target_->connection->execute(fmt::format("ALTER TABLE {} ADD COLUMN note text", dst_));  // as the killed run did
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("ALTER TABLE"), std::string::npos) << r.err;
  EXPECT_EQ(std::ranges::count_if(target_columns(), [](const std::string& c) { return c.starts_with("note "); }), 1);
  EXPECT_NE(saved_position().find(R"("delivered":true)"), std::string::npos) << saved_position();
}

TEST_F(CdcSchemaChangesTest, AMariadbTargetAlteredBeforeACrashIsNotAlteredAgain) {
  altered_before_a_crash_is_not_altered_again(Target::mariadb);
}
TEST_F(CdcSchemaChangesTest, ASqliteTargetAlteredBeforeACrashIsNotAlteredAgain) {
  altered_before_a_crash_is_not_altered_again(Target::sqlite);
}

// Without DDL capture pgoutput sends a table's new shape only before its next change; when that
// change is one the input passes over (`operations`), the shape still reaches the target.
TEST_F(CdcSchemaChangesTest, AnAddedColumnBeforeAChangeFilteredOutIsAddedAllTheSame) {
  if (!start(Target::postgres)) GTEST_SKIP() << "no PostgreSQL target in the harness (WEIR_TEST_PG_URL)";
  std::string text = test::read_file(file_);
  text.insert(text.find("    output:"), "        operations: [insert, update]\n");
  test::write_file(file_, text);
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN note text", src_));
  db_->execute(fmt::format("DELETE FROM {} WHERE id = 1", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(target_has("note")) << fmt::format("{}", fmt::join(target_columns(), ", "));
  EXPECT_EQ(dump({"id", "v", "note"}), "1|one|NULL");  // the delete was not passed on
}

// ---- DROP COLUMN -----------------------------------------------------------------------------------

TEST_F(CdcSchemaChangesTest, ADroppedColumnStopsByDefaultThenIsDroppedOrKeptAsThePolicySays) {
  if (!start(Target::postgres)) GTEST_SKIP() << "no PostgreSQL target in the harness (WEIR_TEST_PG_URL)";
  db_->execute(fmt::format("ALTER TABLE {} DROP COLUMN v", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 2.5)", src_));
  auto stop = run_once(file_);
  EXPECT_EQ(stop.exit_code, 2);
  EXPECT_NE(stop.err.find(fmt::format("table public.{}: column `v` was dropped at ", src_)), std::string::npos)
      << stop.err;
  EXPECT_NE(stop.err.find("schema_changes.drop_column to `apply` (weir alters the target) or `ignore`"),
            std::string::npos)
      << stop.err;
  EXPECT_EQ(dump({"id", "v", "n"}), "1|one|1.500");
  auto again = run_once(file_);  // the restart meets the same change and stops again
  EXPECT_EQ(again.exit_code, 2);

  set_policy("{ drop_column: ignore }");
  auto kept = run_once(file_);
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(dump({"id", "v", "n"}), "1|one|1.500 2|NULL|2.500");

  db_->execute(fmt::format("ALTER TABLE {} DROP COLUMN n", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (3)", src_));
  set_policy("{ drop_column: apply }");
  auto dropped = run_once(file_);
  ASSERT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_FALSE(target_has("n"));
  EXPECT_TRUE(target_has("v"));
  EXPECT_EQ(dump({"id", "v"}), "1|one 2|NULL 3|NULL");
}

TEST_F(CdcSchemaChangesTest, ADroppedColumnAppliedToSqliteRebuildsTheTableWhenItIsIndexed) {
  if (!start(Target::sqlite, "{ drop_column: apply }")) GTEST_SKIP();
  target_->connection->execute(fmt::format("CREATE INDEX {0}_v ON {0} (v)", dst_));
  target_->connection->execute(fmt::format("CREATE INDEX {0}_n ON {0} (n)", dst_));
  db_->execute(fmt::format("ALTER TABLE {} DROP COLUMN v", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 2.5)", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(target_has("v"));
  EXPECT_EQ(dump({"id", "n"}), "1|1.500 2|2.500");
  EXPECT_EQ(test::scalar(*target_->connection,
                         fmt::format("SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' AND tbl_name = '{}' "
                                     "AND sql IS NOT NULL",
                                     dst_)),
            dst_ + "_n");
}

// ---- RENAME COLUMN ---------------------------------------------------------------------------------

// Without DDL capture a rename is a drop and an add: the drop stops by default, never guessed.
TEST_F(CdcSchemaChangesTest, ARenameWithoutDdlCaptureIsADropAndAnAddNeverGuessed) {
  if (!start(Target::postgres)) GTEST_SKIP() << "no PostgreSQL target in the harness (WEIR_TEST_PG_URL)";
  db_->execute(fmt::format("ALTER TABLE {} RENAME COLUMN v TO label", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two', 2)", src_));
  auto stop = run_once(file_);
  EXPECT_EQ(stop.exit_code, 2);
  EXPECT_NE(stop.err.find("column `v` was dropped"), std::string::npos) << stop.err;
  EXPECT_EQ(stop.err.find("renamed"), std::string::npos) << stop.err;
  set_policy("{ drop_column: apply }");
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(target_has("v"));
  EXPECT_EQ(dump({"id", "label", "n"}), "1|NULL|1.500 2|two|2.000");
}

TEST_F(CdcSchemaChangesTest, ARenameSeenByDdlCaptureStopsByDefaultAndIsAppliedWhenAsked) {
  if (!start(Target::postgres)) GTEST_SKIP() << "no PostgreSQL target in the harness (WEIR_TEST_PG_URL)";
  install_capture();
  db_->execute(fmt::format("ALTER TABLE {} RENAME COLUMN v TO label", src_));
  // Seen in order even with no change after it: the run stops there.
  auto stop = run_once(file_);
  EXPECT_EQ(stop.exit_code, 2);
  EXPECT_NE(stop.err.find(fmt::format("table public.{}: column `v` was renamed to `label`", src_)), std::string::npos)
      << stop.err;
  set_policy("{ rename: apply }");
  ASSERT_EQ(run_once(file_).exit_code, 0);
  // Then a column takes the old name: a new column, not the renamed one.
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN v text", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two', 2, 'new v')", src_));
  db_->execute(fmt::format("UPDATE {} SET label = 'ONE' WHERE id = 1", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(dump({"id", "label", "n", "v"}), "1|ONE|1.500|NULL 2|two|2.000|new v");
}

TEST_F(CdcSchemaChangesTest, ARenameIgnoredKeepsTheTargetsNameAndItsValuesAcrossARestart) {
  if (!start(Target::postgres, "{ rename: ignore }")) GTEST_SKIP();
  install_capture();
  db_->execute(fmt::format("ALTER TABLE {} RENAME COLUMN v TO label", src_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two', 2)", src_));
  ASSERT_EQ(run_once(file_).exit_code, 0);
  db_->execute(fmt::format("INSERT INTO {} VALUES (3, 'three', 3)", src_));
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(target_has("label"));
  EXPECT_EQ(dump({"id", "v"}), "1|one 2|two 3|three");
}

TEST_F(CdcSchemaChangesTest, InstallingDdlCaptureNeedsASuperuserAndSaysSo) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  std::string role = "weir_nosuper_" + s_;
  const std::string canary = "canary_" + s_ + "_pw";
  db_->execute(fmt::format("CREATE ROLE {} LOGIN PASSWORD '{}'", role, canary));
  roles_.push_back(role);
  auto r = test::run_weir({"cdc", "install-ddl-capture",
                           fmt::format("postgres://{}:{}@127.0.0.1:{}/weir_test", role, canary,
                                       std::getenv("WEIR_TEST_PG_PORT"))});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("needs a superuser (PostgreSQL lets only superusers create event triggers)"), std::string::npos)
      << r.err;
  EXPECT_EQ((r.out + r.err).find(canary), std::string::npos);
}

}  // namespace
}  // namespace weir::cdc_test
