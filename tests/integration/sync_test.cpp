// `weir sync` between the harness's PostgreSQL and MariaDB and SQLite files, as a user runs it:
// values carried exactly (each one pinned as weir reads it back from the target) or the column
// refused by name; incremental runs; a kill -9 midway resumed without copying again what was
// committed; bad input in one line with exit 2; no password in any output.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "sync_fixture.hpp"
#include "support/test_support.hpp"

namespace weir {
namespace {

using test::run_weir;

constexpr const char* kPgTypes =
    "CREATE TABLE {0} (id bigint PRIMARY KEY, \"Order\" integer NOT NULL, \"MixedCase\" text, "
    "amount numeric(38,10), at_local timestamp, at_instant timestamptz, doc jsonb, tags integer[], flag boolean, "
    "raw bytea);\n"
    "INSERT INTO {0} VALUES (1, 7, 'emoji \xF0\x9F\x98\x80 and \xC3\xBC', 1234567890123456789012345678.0123456789, "
    "'2024-02-29 23:59:59.123456', '2024-06-01 12:00:00.5+02', '{{\"a\": [1, 2.50], \"b\": null}}', "
    "'{{1,NULL,3}}', true, '\\x00ff10'), (2, -1, NULL, -0.0000000001, NULL, NULL, NULL, NULL, false, NULL);\n";

TEST_F(Sync, PostgresValuesArriveExactlyInMariadbAndSqlite) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  std::string src = table("src");
  drop_later("pg", src);
  drop_later("maria", src);
  drop_later("maria", "weir_state");
  sql("pg", fmt::format(kPgTypes, src));

  auto r = sync({"pg." + src, "--to", "maria", "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find(" in ")), fmt::format("sync pg.{0} to maria.{0}: read 2, wrote 2, skipped 0", src));
  EXPECT_NE(r.out.find(", table created\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": match\n"), std::string::npos) << r.out;
  EXPECT_EQ(rows("maria", "SELECT * FROM " + src + " ORDER BY id"),
            "{\"id\":1,\"Order\":7,\"MixedCase\":\"emoji \xF0\x9F\x98\x80 and \xC3\xBC\","
            "\"amount\":\"1234567890123456789012345678.0123456789\",\"at_local\":\"2024-02-29 23:59:59.123456\","
            "\"at_instant\":\"2024-06-01 10:00:00.5\",\"doc\":{\"a\": [1, 2.50], \"b\": null},\"tags\":[1,null,3],"
            "\"flag\":true,\"raw\":\"AP8Q\"}\n"
            "{\"id\":2,\"Order\":-1,\"MixedCase\":null,\"amount\":\"-0.0000000001\",\"at_local\":null,"
            "\"at_instant\":null,\"doc\":null,\"tags\":null,\"flag\":false,\"raw\":null}\n");

  r = sync({"pg." + src, "--to", "lite", "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": match\n"), std::string::npos) << r.out;
  EXPECT_EQ(rows("lite", "SELECT * FROM " + src + " ORDER BY id"),
            "{\"id\":1,\"Order\":7,\"MixedCase\":\"emoji \xF0\x9F\x98\x80 and \xC3\xBC\","
            "\"amount\":\"1234567890123456789012345678.0123456789\",\"at_local\":\"2024-02-29 23:59:59.123456\","
            "\"at_instant\":\"2024-06-01 10:00:00.5+00:00\",\"doc\":{\"a\": [1, 2.50], \"b\": null},\"tags\":[1,null,3],"
            "\"flag\":true,\"raw\":\"AP8Q\"}\n"
            "{\"id\":2,\"Order\":-1,\"MixedCase\":null,\"amount\":\"-0.0000000001\",\"at_local\":null,"
            "\"at_instant\":null,\"doc\":null,\"tags\":null,\"flag\":false,\"raw\":null}\n");
}

TEST_F(Sync, MariadbUnsignedAndZeroDatesArriveInPostgresOrNameTheColumn) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  std::string src = table("msrc");
  drop_later("maria", src);
  drop_later("pg", src);
  drop_later("pg", "weir_state");
  sql("maria", fmt::format("SET SESSION sql_mode = '';\n"
                           "CREATE TABLE {0} (id BIGINT UNSIGNED PRIMARY KEY, `select` INT NOT NULL, "
                           "amount DECIMAL(38,10), at_local DATETIME(6), flag TINYINT(1), raw BLOB, "
                           "note VARCHAR(20) CHARACTER SET utf8mb4, d DATE) DEFAULT CHARSET=utf8mb4;\n"
                           "INSERT INTO {0} VALUES (18446744073709551615, 1, 9999999999999999999999999999.9999999999, "
                           "'1999-12-31 23:59:59.999999', 1, X'00FF', '\xF0\x9F\x98\x80', '0000-00-00');\n",
                           src));

  auto r = sync({"maria." + src, "--to", "pg"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Named by table, the row's key and column, in one line.
  EXPECT_NE(r.err.find("table `" + src + "`: reading from connection `maria`"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the row (id)=(18446744073709551615): column `d`: the server returned a zero date"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // Nothing was committed: the table it created is gone again.
  EXPECT_EQ(rows("pg", "SELECT count(*) AS n FROM pg_tables WHERE tablename = '" + src + "'"), "{\"n\":0}\n");

  r = sync({"maria." + src, "--to", "pg", "--on-bad-value", "null", "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(rows("pg", "SELECT * FROM " + src),
            "{\"id\":\"18446744073709551615\",\"select\":1,\"amount\":\"9999999999999999999999999999.9999999999\","
            "\"at_local\":\"1999-12-31 23:59:59.999999\",\"flag\":true,\"raw\":\"AP8=\",\"note\":\"\xF0\x9F\x98\x80\","
            "\"d\":null}\n");
  EXPECT_EQ(rows("pg", "SELECT format_type(atttypid, atttypmod) AS t, attnotnull AS nn FROM pg_attribute WHERE "
                       "attrelid = '" + src + "'::regclass AND attnum > 0 ORDER BY attnum"),
            "{\"t\":\"numeric(20,0)\",\"nn\":true}\n{\"t\":\"bigint\",\"nn\":true}\n"
            "{\"t\":\"numeric(38,10)\",\"nn\":false}\n{\"t\":\"timestamp without time zone\",\"nn\":false}\n"
            "{\"t\":\"boolean\",\"nn\":false}\n{\"t\":\"bytea\",\"nn\":false}\n"
            "{\"t\":\"text\",\"nn\":false}\n{\"t\":\"date\",\"nn\":false}\n");
}

// The pairs the tests above leave out — MariaDB into SQLite and back, MariaDB into PostgreSQL
// with MixedCase and zone-aware columns — value by value.
TEST_F(Sync, MariadbValuesGoToSqliteAndBackAndIntoPostgresExactly) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  std::string src = table("mx");
  drop_later("maria", src);
  drop_later("maria", src + "_back");
  drop_later("pg", src);
  drop_later("maria", "weir_state");
  drop_later("pg", "weir_state");
  sql("maria", fmt::format("CREATE TABLE {0} (id BIGINT UNSIGNED PRIMARY KEY, `Order` INT NOT NULL, "
                           "`MixedCase` VARCHAR(20) CHARACTER SET utf8mb4, amount DECIMAL(38,10), at_local DATETIME(6), "
                           "at_instant TIMESTAMP(6) NULL, flag BOOLEAN, raw BLOB, doc JSON, d DATE) "
                           "DEFAULT CHARSET=utf8mb4;\n"
                           "SET SESSION sql_mode = '', time_zone = '+00:00';\n"
                           "INSERT INTO {0} VALUES (18446744073709551615, 7, 'emoji \xF0\x9F\x98\x80 \xC3\xBC', "
                           "-1234567890123456789012345678.0123456789, '2024-02-29 23:59:59.123456', "
                           "'2024-06-01 10:00:00.5', 1, X'00FF10', '{{\"a\": [1, 2.50], \"b\": null}}', '0000-00-00'), "
                           "(1, -1, NULL, 0.0000000001, NULL, NULL, 0, NULL, NULL, '2024-01-02');\n",
                           src));
  const std::string second = "{\"id\":\"1\",\"Order\":-1,\"MixedCase\":null,\"amount\":\"0.0000000001\",\"at_local\":null,"
                             "\"at_instant\":null,\"flag\":false,\"raw\":null,\"doc\":null,\"d\":\"2024-01-02\"}\n";
  auto first = [](const std::string& instant) {
    return "{\"id\":\"18446744073709551615\",\"Order\":7,\"MixedCase\":\"emoji \xF0\x9F\x98\x80 \xC3\xBC\","
           "\"amount\":\"-1234567890123456789012345678.0123456789\",\"at_local\":\"2024-02-29 23:59:59.123456\","
           "\"at_instant\":\"" + instant + "\",\"flag\":true,\"raw\":\"AP8Q\",\"doc\":{\"a\": [1, 2.50], \"b\": null},"
           "\"d\":null}\n";
  };
  auto r = sync({"maria." + src, "--to", "lite", "--on-bad-value", "null", "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": match\n"), std::string::npos) << r.out;
  // SQLite orders the 20-digit decimal as text: the rows are asked for by `Order`.
  EXPECT_EQ(rows("lite", "SELECT * FROM " + src + " ORDER BY \"Order\""), second + first("2024-06-01 10:00:00.5+00:00"));

  r = sync({"lite." + src, "--to", "maria." + src + "_back", "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": match\n"), std::string::npos) << r.out;
  EXPECT_EQ(rows("maria", "SELECT * FROM " + src + "_back ORDER BY id"), second + first("2024-06-01 10:00:00.5"));

  r = sync({"maria." + src, "--to", "pg", "--on-bad-value", "null", "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": match\n"), std::string::npos) << r.out;
  EXPECT_EQ(rows("pg", "SELECT * FROM " + src + " ORDER BY id"), second + first("2024-06-01 10:00:00.5+00:00"));
}

TEST_F(Sync, SqliteValuesArriveInPostgres) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string src = table("lsrc");
  drop_later("pg", src);
  drop_later("pg", "weir_state");
  sql("lite", fmt::format("CREATE TABLE {0} (id INTEGER PRIMARY KEY, \"MixedCase\" TEXT NOT NULL, flag BOOLEAN, "
                          "raw BLOB, at_local TIMESTAMP, amount DECIMAL_TEXT);\n"
                          "INSERT INTO {0} VALUES (9223372036854775807, '\xF0\x9F\x98\x80', 1, X'00FF', "
                          "'2024-02-29 23:59:59.123456', '0.1000000000000000000000000001');\n",
                          src));
  auto r = sync({"lite." + src, "--to", "pg", "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(": match\n"), std::string::npos) << r.out;
  EXPECT_EQ(rows("pg", "SELECT * FROM " + src),
            "{\"id\":9223372036854775807,\"MixedCase\":\"\xF0\x9F\x98\x80\",\"flag\":true,\"raw\":\"AP8=\","
            "\"at_local\":\"2024-02-29 23:59:59.123456\",\"amount\":\"0.1000000000000000000000000001\"}\n");
}

// --with-indexes: secondary indexes and unique constraints built after the load, in both
// other databases; what another dialect cannot take (a partial or expression index) is named.
TEST_F(Sync, WithIndexesBuildsSecondaryIndexesAndUniqueConstraintsAfterTheLoad) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  std::string src = table("ix");
  drop_later("pg", src);
  drop_later("maria", src);
  drop_later("maria", "weir_state");
  sql("pg", fmt::format("CREATE TABLE {0} (id int PRIMARY KEY, a int, b int CONSTRAINT {0}_b_key UNIQUE, c int, "
                        "d varchar(20), e varchar(20));\n"
                        "CREATE INDEX {0}_a ON {0} (a);\n"
                        "CREATE UNIQUE INDEX {0}_cd ON {0} (c, d);\n"
                        "CREATE INDEX {0}_lower ON {0} (lower(e));\n"
                        "CREATE INDEX {0}_part ON {0} (a) WHERE a > 0;\n"
                        "INSERT INTO {0} VALUES (1, 5, 6, 7, 'x', 'E'), (2, 5, 7, 7, 'y', 'e');\n",
                        src));
  const std::string left_out = fmt::format("--with-indexes: index `{0}_lower` (on the expression lower(e::text)) of",
                                           src);
  auto r = sync({"pg." + src, "--to", "lite", "--with-indexes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read 2, wrote 2, skipped 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", 3 indexes built"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(left_out), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(fmt::format("index `{0}_part` (partial: WHERE a > 0)", src)), std::string::npos) << r.err;
  EXPECT_EQ(rows("lite", fmt::format("SELECT il.name, il.\"unique\" AS u, group_concat(ii.name) AS cols "
                                     "FROM pragma_index_list('{0}') il, pragma_index_info(il.name) ii "
                                     "WHERE il.origin = 'c' GROUP BY il.name ORDER BY il.name",
                                     src)),
            fmt::format("{{\"name\":\"{0}_a\",\"u\":0,\"cols\":\"a\"}}\n"
                        "{{\"name\":\"{0}_b_key\",\"u\":1,\"cols\":\"b\"}}\n"
                        "{{\"name\":\"{0}_cd\",\"u\":1,\"cols\":\"c,d\"}}\n",
                        src));
  // Into another table name: the indexes are named after it, beside the source's own.
  drop_later("pg", src + "_copy");
  r = sync({"pg." + src, "--to", "pg." + src + "_copy", "--with-indexes", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"indexes_built\":3,"), std::string::npos) << r.out;
  EXPECT_EQ(rows("pg", fmt::format("SELECT indexname FROM pg_indexes WHERE tablename = '{0}_copy' ORDER BY 1", src)),
            fmt::format("{{\"indexname\":\"{0}_copy_{0}_a\"}}\n{{\"indexname\":\"{0}_copy_{0}_b_key\"}}\n"
                        "{{\"indexname\":\"{0}_copy_{0}_cd\"}}\n{{\"indexname\":\"{0}_copy_pkey\"}}\n",
                        src));
  // A rerun finds them there.
  r = sync({"pg." + src, "--to", "maria", "--with-indexes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = sync({"pg." + src, "--to", "maria", "--with-indexes", "--on-conflict", "replace"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rows("maria", fmt::format("SELECT index_name AS name, non_unique AS nu, "
                                      "group_concat(column_name ORDER BY seq_in_index) AS cols "
                                      "FROM information_schema.statistics WHERE table_schema = database() AND "
                                      "table_name = '{0}' GROUP BY index_name, non_unique ORDER BY index_name",
                                      src)),
            fmt::format("{{\"name\":\"{0}_a\",\"nu\":1,\"cols\":\"a\"}}\n"
                        "{{\"name\":\"{0}_b_key\",\"nu\":0,\"cols\":\"b\"}}\n"
                        "{{\"name\":\"{0}_cd\",\"nu\":0,\"cols\":\"c,d\"}}\n"
                        "{{\"name\":\"PRIMARY\",\"nu\":0,\"cols\":\"id\"}}\n",
                        src));
}

// --tables: every matching table, several at once, in foreign-key order — the target's tables
// already hold the foreign keys (InnoDB checks them), so a child copied before its parent fails.
// The names sort children first: name order would fail too.
TEST_F(Sync, ManyTablesAreCopiedInForeignKeyOrderSeveralAtOnce) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  const std::string p = "m" + suffix_;
  for (const char* t : {"a_grand", "b_child", "c_parent", "d_free"}) drop_later("pg", p + "_" + t);
  drop_later("pg", "x" + p);
  for (const char* t : {"a_grand", "b_child", "c_parent", "d_free"}) drop_later("maria", p + "_" + t);
  drop_later("maria", "weir_state");
  sql("pg", fmt::format("CREATE TABLE {0}_c_parent (id int PRIMARY KEY, name text NOT NULL);\n"
                        "CREATE TABLE {0}_b_child (id int PRIMARY KEY, parent int NOT NULL REFERENCES {0}_c_parent);\n"
                        "CREATE TABLE {0}_a_grand (id int PRIMARY KEY, child int REFERENCES {0}_b_child);\n"
                        "CREATE TABLE {0}_d_free (id int PRIMARY KEY);\n"
                        "CREATE TABLE x{0} (id int PRIMARY KEY);\n"
                        "INSERT INTO {0}_c_parent SELECT g, 'p' || g FROM generate_series(1, 30000) g;\n"
                        "INSERT INTO {0}_b_child SELECT g, g FROM generate_series(1, 30000) g;\n"
                        "INSERT INTO {0}_a_grand SELECT g, g FROM generate_series(1, 1000) g;\n"
                        "INSERT INTO {0}_d_free SELECT g FROM generate_series(1, 5) g;\n",
                        p));
  // Bottom-up, so that the DROPs of TearDown (in the order given) do not meet a reference.
  sql("maria", fmt::format("CREATE TABLE {0}_c_parent (id INT PRIMARY KEY, name LONGTEXT NOT NULL) ENGINE=InnoDB;\n"
                           "CREATE TABLE {0}_b_child (id INT PRIMARY KEY, parent INT NOT NULL, "
                           "FOREIGN KEY (parent) REFERENCES {0}_c_parent (id)) ENGINE=InnoDB;\n"
                           "CREATE TABLE {0}_a_grand (id INT PRIMARY KEY, child INT, "
                           "FOREIGN KEY (child) REFERENCES {0}_b_child (id)) ENGINE=InnoDB;\n",
                           p));
  auto r = sync({"pg", "--to", "maria", "--tables", "public." + p + "_*", "--jobs", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The parent first (alone: it creates the state store), the child after it, the grandchild last.
  auto at = [&](const std::string& t) { return r.out.find(fmt::format("sync pg.public.{0}_{1} to maria.{0}_{1}:", p, t)); };
  ASSERT_NE(at("c_parent"), std::string::npos) << r.out;
  ASSERT_NE(at("d_free"), std::string::npos) << r.out;
  EXPECT_LT(at("c_parent"), at("b_child")) << r.out;
  EXPECT_LT(at("b_child"), at("a_grand")) << r.out;
  EXPECT_EQ(r.out.find("x" + p), std::string::npos) << "not matched: " << r.out;
  EXPECT_NE(r.out.find(fmt::format("sync pg.public.{0}_b_child to maria.{0}_b_child: read 30000, wrote 30000,", p)),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("synced 4 tables: read 61005, wrote 61005, skipped 0 in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("; 0 failed\n"), std::string::npos) << r.out;
  EXPECT_EQ(rows("maria", fmt::format("SELECT (SELECT count(*) FROM {0}_a_grand) AS g, (SELECT count(*) FROM "
                                      "{0}_b_child) AS c, (SELECT count(*) FROM {0}_c_parent) AS p, "
                                      "(SELECT count(*) FROM {0}_d_free) AS f",
                                      p)),
            "{\"g\":1000,\"c\":30000,\"p\":30000,\"f\":5}\n");

  r = sync({"pg", "--to", "maria", "--tables", "public." + p + "_*", "--format", "json", "--on-conflict", "replace"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.front(), '[') << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '{'), 4) << r.out;
  EXPECT_NE(r.out.find("\"rows_written\":30000,"), std::string::npos) << r.out;

  r = sync({"pg", "--to", "maria", "--tables", "public.nosuch" + p + "*"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--tables `public.nosuch" + p + "*`: no table of connection `pg`"), std::string::npos)
      << r.err;
}

// Progress: a plain line every --progress when stderr is not a terminal, a bar redrawn in place
// on one (script(1) gives it a pseudo-terminal), both with the share of the source's row
// estimate, the bytes that makes and an ETA; the summary line after them.
TEST_F(Sync, ProgressIsALineOrOnATerminalABarWithTheEstimate) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string src = table("prog");
  drop_later("pg", src);
  sql("pg", fmt::format("CREATE TABLE {0} (id bigint PRIMARY KEY, v text NOT NULL);\n"
                        "INSERT INTO {0} SELECT g, md5(g::text) FROM generate_series(1, 1000000) g;\n"
                        "ANALYZE {0};\n",
                        src));
  auto r = run_weir({"sync", "--progress", "200ms", "pg." + src, "--to", "lite"}, dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string line = fmt::format("sync pg.{0} to lite.{0}: read ", src);
  ASSERT_NE(r.err.find(line), std::string::npos) << "the sync took under 200 ms?\n" << r.err;
  EXPECT_NE(r.err.find(" of ~1000000 ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" rows/s, ~"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" MB, ETA "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("read 1000000, wrote 1000000, skipped 0"), std::string::npos) << r.out;

  auto script = test::run_program({"sh", "-c", "command -v script"});
  if (script.exit_code != 0) GTEST_SKIP() << "script(1) is not installed: no pseudo-terminal to test the bar on";
  std::string command = fmt::format("'{}' sync --progress 200ms --on-conflict replace pg.{} --to lite", WEIR_BINARY, src);
  r = test::run_program({"script", "-qec", command, "/dev/null"}, dir());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\r[#"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("% "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" of ~1000000 rows, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\033[K"), std::string::npos) << r.out;
  // The bar's line is ended before the summary.
  EXPECT_NE(r.out.find("\033[K\r\nsync pg." + src), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(" of ~1000000 ("), std::string::npos) << "no plain lines on a terminal\n" << r.out;
}

// The run journal's id holds the pipeline's name, which a sync makes of both tables' names:
// long names once made it too long for its column (VARCHAR(120)) and the sync failed unrecorded.
TEST_F(Sync, LongTableNamesFitTheRunJournal) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  std::string src = table("a_table_name_that_is_long_enough_to_matter");
  drop_later("pg", src);
  drop_later("maria", src);
  sql("pg", fmt::format("CREATE TABLE {0} (id int PRIMARY KEY); INSERT INTO {0} VALUES (1), (2);", src));
  auto r = sync({"pg." + src, "--to", "maria"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read 2, wrote 2, skipped 0"), std::string::npos) << r.out;
  EXPECT_EQ(rows("maria", "SELECT status, char_length(run_id) AS n FROM weir_runs WHERE pipeline LIKE '%" + src + "%'"),
            "{\"status\":\"completed\",\"n\":120}\n");
}

TEST_F(Sync, IncrementalRunsCopyOnlyNewAndChangedRows) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string src = table("inc");
  drop_later("pg", src);
  sql("pg", fmt::format("CREATE TABLE {0} (id int PRIMARY KEY, v text, changed bigint NOT NULL);\n"
                        "INSERT INTO {0} VALUES (1, 'a', 10), (2, 'b', 10), (3, 'c', 11);\n",
                        src));
  std::vector<std::string> args = {"pg." + src, "--to", "lite", "--mode", "incremental", "--cursor", "changed,id"};
  auto r = sync(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read 3, wrote 3, skipped 0"), std::string::npos) << r.out;
  sql("pg", fmt::format("INSERT INTO {0} VALUES (4, 'd', 12); UPDATE {0} SET v = 'A', changed = 13 WHERE id = 1;", src));
  r = sync(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read 2, wrote 2, skipped 0"), std::string::npos) << r.out;
  r = sync(args);
  EXPECT_NE(r.out.find("read 0, wrote 0, skipped 0"), std::string::npos) << r.out;
  EXPECT_EQ(rows("lite", "SELECT id, v, changed FROM " + src + " ORDER BY id"),
            "{\"id\":1,\"v\":\"A\",\"changed\":13}\n{\"id\":2,\"v\":\"b\",\"changed\":10}\n"
            "{\"id\":3,\"v\":\"c\",\"changed\":11}\n{\"id\":4,\"v\":\"d\",\"changed\":12}\n");
  // Another condition is another position: refused until --reset, not silently mixed.
  args.insert(args.end(), {"--where", "id > 1"});
  r = sync(args);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--reset"), std::string::npos) << r.err;
}

TEST_F(Sync, KilledFullSyncResumesWithoutCopyingCommittedRowsAgain) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  constexpr int kRows = 400000;
  std::string src = table("big");
  drop_later("pg", src);
  sql("pg", fmt::format("CREATE TABLE {0} (id bigint PRIMARY KEY, v text NOT NULL, n numeric(12,2));\n"
                        "INSERT INTO {0} SELECT g, md5(g::text), g / 100.0 FROM generate_series(1, {1}) g;\n",
                        src, kRows));
  std::filesystem::create_directories(dir_.path() / ".weir");
  auto target = test::open_sqlite(dir_.file(".weir/local.db"));
  std::uint64_t copied_before_kill = 0;
  {
    // Its working directory is the test's: the config file names where .weir/ is.
    test::Background weir({"--config", dir_.file("weir.yaml"), "sync", "--progress", "0s", "pg." + src, "--to", "local"},
                          dir());
    for (int i = 0; i < 600 && weir.running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      try {
        copied_before_kill = std::stoull(test::scalar(*target, "SELECT count(*) FROM " + src));
      } catch (const std::exception&) {
        continue;  // not created yet
      }
      if (copied_before_kill > 0) break;
    }
    ASSERT_GT(copied_before_kill, 0u) << weir.err();
    weir.signal(SIGKILL);
    weir.wait();
  }
  std::uint64_t committed = std::stoull(test::scalar(*target, "SELECT count(*) FROM " + src));
  ASSERT_LT(committed, std::uint64_t(kRows)) << "the sync ended before it could be killed";
  auto r = sync({"pg." + src, "--to", "local", "--verify", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(fmt::format("\"rows_read\":{},", kRows - committed)), std::string::npos)
      << "committed before the kill: " << committed << "\n" << r.out;
  EXPECT_NE(r.out.find("\"resumed\":true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"matches\":true"), std::string::npos) << r.out;
  EXPECT_EQ(test::scalar(*target, "SELECT count(*) FROM " + src), std::to_string(kRows));
  // The next full sync starts from the first row again: every key is there, so it fails.
  r = sync({"pg." + src, "--to", "local"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  r = sync({"pg." + src, "--to", "local", "--on-conflict", "replace", "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format(",{0},{0},0,false,false,false,", kRows)), std::string::npos) << r.out;
}

TEST_F(Sync, BadInputIsOneLineWithExitTwoAndNothingWritten) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string src = table("bad");
  drop_later("pg", src);
  sql("pg", fmt::format("CREATE TABLE {0} (id int PRIMARY KEY, total numeric(10,2) NOT NULL, span interval);", src));
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"nosuch." + src, "--to", "lite"}, "`nosuch` is neither a URL nor a connection named in the config"},
      {{"pg." + src + "x", "--to", "lite"}, "table `" + src + "x` on connection `pg`"},
      {{"pg." + src, "--to", "lite", "--mode", "incremental", "--cursor", "totl"},
       "--cursor: table `" + src + "` on connection `pg`"},
      {{"pg." + src, "--to", "lite", "--where", "totl > 1"}, "--where `totl > 1` on table `" + src + "`"},
      {{"pg." + src, "--to", "maria"}, "column `span` of table `" + src + "`"},
  };
  for (const Case& c : cases) {
    auto r = sync(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(rows("lite", "SELECT count(*) AS n FROM sqlite_master WHERE name = '" + src + "'"), "{\"n\":0}\n");
  auto r = sync({"pg." + src, "--to", "lite", "--mode", "incremental", "--cursor", "totl"});
  EXPECT_NE(r.err.find("has no column `totl` (did you mean `total`?)"), std::string::npos) << r.err;
}

// A read-only target is refused before weir connects anywhere: the source is unreachable here
// and still the message is about the target.
TEST_F(Sync, AReadOnlyTargetIsRefusedBeforeAnythingReachesAServer) {
  test::write_file(dir_.file("weir.yaml"), test::read_file(dir_.file("weir.yaml")) +
                                               "  nowhere: \"postgres://none@127.0.0.1:1/none\"\n"
                                               "  archive: { url: \"sqlite:archive.db\", read_only: true }\n");
  auto r = sync({"nowhere.public.t", "--to", "archive"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("connection `archive` (sqlite:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is read-only (read_only: true): weir sync writes nothing to it"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("archive.db"))) << "nothing created";
  r = sync({"nowhere", "--to", "archive", "--tables", "public.*"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is read-only (read_only: true): weir sync writes nothing to it"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("archive.db"))) << "nothing created";
}

TEST_F(Sync, CanaryPasswordAppearsInNoOutput) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  const std::string canary = "Canary-Pw-5c1d9";
  std::string role = "sync_canary_" + suffix_;
  std::string src = table("can");
  drop_later("pg", src);
  sql("pg", fmt::format("CREATE ROLE {0} LOGIN PASSWORD '{1}' SUPERUSER; CREATE TABLE {2} (id int PRIMARY KEY);"
                        "INSERT INTO {2} VALUES (1);",
                        role, canary, src));
  std::string url = *pg;
  url = "postgres://" + role + "@" + url.substr(url.find('@') + 1);
  test::write_file(dir_.file("weir.yaml"),
                   test::read_file(dir_.file("weir.yaml")) + "  can: { url: \"" + url + "\", password: { env: CANARY } }\n" +
                       "  wrong: { url: \"" + url + "x\", password: { env: CANARY } }\n");
  std::vector<std::vector<std::string>> commands = {
      {"sync", "--progress", "1s", "can." + src, "--to", "lite", "--verify"},
      {"sync", "can." + src + "x", "--to", "lite"},
      {"sync", "can." + src, "--to", "lite", "--where", "nope"},
      {"sync", "wrong." + src, "--to", "lite"},
      {"sync", "can." + src, "--to", "lite", "--format", "json"},
  };
  for (const auto& args : commands) {
    auto r = run_weir(args, dir(), {"CANARY=" + canary});
    if (&args == &commands.front()) {
      EXPECT_NE(r.out.find("read 1, wrote 1, skipped 0"), std::string::npos) << r.err;
    }
    EXPECT_EQ(r.out.find(canary), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(canary), std::string::npos) << r.err;
  }
  run_weir({"query", "pg", "DROP ROLE " + role}, dir());
}

}  // namespace
}  // namespace weir
