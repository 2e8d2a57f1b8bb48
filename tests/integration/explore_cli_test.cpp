// `weir connect`, `connections`, `tables` and `describe` as a user runs them, against the
// harness's PostgreSQL and MariaDB and a SQLite file (Chinook): every field of the documented
// JSON pinned, keys and constraints in both directions, MixedCase and reserved-word names,
// comments; unknown names exit 2 with one line naming them; no password ever printed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using Json = nlohmann::json;
using test::run_weir;

const std::string kCanary = "Canary-Pw-7c41d";

std::string chinook_sqlite(const test::TempDir& dir) {
  std::string file = dir.file("chinook.db");
  std::filesystem::copy_file("/work/shared/data/chinook/Chinook_Sqlite.sqlite", file);
  return file;
}

Json json_of(const test::CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Json::parse(r.out.empty() ? "null" : r.out);
}

std::vector<std::string> names_of(const Json& list, const char* key = "name") {
  std::vector<std::string> out;
  for (const Json& item : list) out.push_back(item[key]);
  return out;
}

const Json& column(const Json& description, const std::string& name) {
  for (const Json& c : description["columns"])
    if (c["name"] == name) return c;
  throw std::runtime_error("no column " + name);
}

// The URL the harness exported, without its password (what a user gives `weir connect`).
std::string without_password(const std::string& url, const char* password_variable) {
  std::string password = std::getenv(password_variable);
  std::string out = url;
  out.replace(out.find(":" + password + "@"), password.size() + 2, "@");
  return out;
}

// ---------- SQLite: Chinook ----------

TEST(ExploreSqlite, TablesListsChinookWithKinds) {
  test::TempDir dir;
  std::string url = "sqlite:" + chinook_sqlite(dir);
  Json j = json_of(run_weir({"tables", url, "--format", "json"}));
  EXPECT_EQ(names_of(j["tables"]),
            (std::vector<std::string>{"Album", "Artist", "Customer", "Employee", "Genre", "Invoice", "InvoiceLine",
                                      "MediaType", "Playlist", "PlaylistTrack", "Track"}));
  EXPECT_EQ(j["tables"][0], Json::parse(R"J({"schema":"main","name":"Album","kind":"table","row_estimate":null,
                                            "size_bytes":null,"last_modified":null})J"));
  Json like = json_of(run_weir({"tables", url, "--like", "Play%", "--format", "json"}));
  EXPECT_EQ(names_of(like["tables"]), (std::vector<std::string>{"Playlist", "PlaylistTrack"}));
  auto csv = run_weir({"tables", url, "--like", "Genre", "--format", "csv"});
  EXPECT_EQ(csv.out, "schema,name,kind,row_estimate,size_bytes,last_modified\nmain,Genre,table,,,\n");
}

TEST(ExploreSqlite, DescribeTrackShowsTypesKeysBothWaysIndexesAndSample) {
  test::TempDir dir;
  std::string url = "sqlite:" + chinook_sqlite(dir);
  Json d = json_of(run_weir({"describe", url, "Track", "--sample", "2", "--format", "json"}));
  EXPECT_EQ(d["schema"], "main");
  EXPECT_EQ(d["name"], "Track");
  EXPECT_EQ(d["kind"], "table");
  EXPECT_EQ(names_of(d["columns"]), (std::vector<std::string>{"TrackId", "Name", "AlbumId", "MediaTypeId", "GenreId",
                                                              "Composer", "Milliseconds", "Bytes", "UnitPrice"}));
  EXPECT_EQ(column(d, "TrackId"), Json::parse(R"J({"name":"TrackId","native_type":"INTEGER","logical_type":"int64",
      "nullable":false,"default":null,"comment":"","primary_key":true,
      "types":{"postgres":"bigint","mysql":"bigint","duckdb":"BIGINT"}})J"));
  EXPECT_EQ(column(d, "Name")["types"], Json::parse(R"J({"postgres":"character varying(200)","mysql":"varchar(200)","duckdb":"VARCHAR"})J"));
  EXPECT_EQ(column(d, "UnitPrice")["types"],
            Json::parse(R"J({"postgres":"numeric(10,2)","mysql":"decimal(10,2)","duckdb":"DECIMAL(10,2)"})J"));
  EXPECT_EQ(column(d, "UnitPrice")["logical_type"], "decimal");
  EXPECT_EQ(d["primary_key"], Json::parse(R"J(["TrackId"])J"));
  EXPECT_EQ(d["foreign_keys"], Json::parse(R"J([
    {"name":"","schema":"main","table":"Track","columns":["MediaTypeId"],
     "references":{"schema":"main","table":"MediaType","columns":["MediaTypeId"]},"on_update":"NO ACTION","on_delete":"NO ACTION"},
    {"name":"","schema":"main","table":"Track","columns":["GenreId"],
     "references":{"schema":"main","table":"Genre","columns":["GenreId"]},"on_update":"NO ACTION","on_delete":"NO ACTION"},
    {"name":"","schema":"main","table":"Track","columns":["AlbumId"],
     "references":{"schema":"main","table":"Album","columns":["AlbumId"]},"on_update":"NO ACTION","on_delete":"NO ACTION"}])J"));
  std::vector<std::string> referencing;
  for (const Json& k : d["referenced_by"]) referencing.push_back(k["table"].get<std::string>() + "." + k["columns"][0].get<std::string>());
  EXPECT_EQ(referencing, (std::vector<std::string>{"InvoiceLine.TrackId", "PlaylistTrack.TrackId"}));
  EXPECT_EQ(names_of(d["indexes"]),
            (std::vector<std::string>{"IFK_TrackAlbumId", "IFK_TrackGenreId", "IFK_TrackMediaTypeId"}));
  EXPECT_EQ(d["sample"], Json::parse(R"J([
    {"TrackId":1,"Name":"For Those About To Rock (We Salute You)","AlbumId":1,"MediaTypeId":1,"GenreId":1,
     "Composer":"Angus Young, Malcolm Young, Brian Johnson","Milliseconds":343719,"Bytes":11170334,"UnitPrice":"0.99"},
    {"TrackId":2,"Name":"Balls to the Wall","AlbumId":2,"MediaTypeId":2,"GenreId":1,
     "Composer":"U. Dirkschneider, W. Hoffmann, H. Frank, P. Baltes, S. Kaufmann, G. Hoffmann",
     "Milliseconds":342562,"Bytes":5510424,"UnitPrice":"0.99"}])J"));
}

TEST(ExploreSqlite, DescribeReadsChecksDefaultsAndUniqueConstraintsFromTheSchema) {
  test::TempDir dir;
  std::string url = "sqlite:" + dir.file("f.db");
  ASSERT_EQ(run_weir({"query", url, "--file", [&] {
                        test::write_file(dir.file("s.sql"),
                                         "CREATE TABLE \"Parent\" (id INTEGER PRIMARY KEY, code TEXT UNIQUE);\n"
                                         "CREATE TABLE \"order\" (\"select\" INTEGER NOT NULL DEFAULT 7 CHECK (\"select\" > 0),\n"
                                         "  parent INTEGER REFERENCES \"Parent\" ON DELETE CASCADE,\n"
                                         "  note TEXT, CONSTRAINT \"note (short)\" CHECK (length(note) < 10),\n"
                                         "  UNIQUE (parent, note));\n"
                                         "CREATE INDEX order_note ON \"order\" (note) WHERE note IS NOT NULL;\n");
                        return dir.file("s.sql");
                      }()}).exit_code, 0);
  Json d = json_of(run_weir({"describe", url, "order", "--sample", "0", "--format", "json"}));
  EXPECT_EQ(column(d, "select")["default"], "7");
  EXPECT_EQ(column(d, "select")["nullable"], false);
  EXPECT_EQ(d["check_constraints"], Json::parse(R"J([{"name":"","definition":"\"select\" > 0"},
                                                     {"name":"note (short)","definition":"length(note) < 10"}])J"));
  EXPECT_EQ(d["unique_constraints"], Json::parse(R"J([{"name":"","columns":["parent","note"]}])J"));
  EXPECT_EQ(d["foreign_keys"][0]["references"], Json::parse(R"J({"schema":"main","table":"Parent","columns":["id"]})J"));
  EXPECT_EQ(d["foreign_keys"][0]["on_delete"], "CASCADE");
  EXPECT_EQ(d["sample"], Json::array());
  Json index = d["indexes"][0];
  EXPECT_EQ(index["name"], "order_note");
  EXPECT_EQ(index["predicate"], "note IS NOT NULL");
  Json parent = json_of(run_weir({"describe", url, "Parent", "--format", "json"}));
  EXPECT_EQ(parent["referenced_by"][0]["table"], "order");
  EXPECT_EQ(parent["referenced_by"][0]["columns"], Json::parse(R"J(["parent"])J"));
}

// ---------- PostgreSQL ----------

class ExplorePostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = test::server_url("WEIR_TEST_PG_URL");
    if (!url) GTEST_SKIP() << test::no_server_reason("WEIR_TEST_PG_URL");
    url_ = *url;
    schema_ = "explore_" + test::unique_suffix();
    std::string s = schema_;
    test::write_file(dir_.file("setup.sql"),
                     "CREATE SCHEMA " + s + ";\n"
                     "CREATE TABLE " + s + ".\"Customers\" (id bigint PRIMARY KEY, email varchar(80) UNIQUE NOT NULL,\n"
                     "  \"select\" integer CHECK (\"select\" >= 0), created timestamptz DEFAULT now());\n"
                     "COMMENT ON TABLE " + s + ".\"Customers\" IS 'people who buy';\n"
                     "COMMENT ON COLUMN " + s + ".\"Customers\".email IS 'where receipts go';\n"
                     "CREATE TABLE " + s + ".orders (id serial PRIMARY KEY,\n"
                     "  customer bigint NOT NULL CONSTRAINT orders_customer REFERENCES " + s + ".\"Customers\" (id) ON DELETE CASCADE,\n"
                     "  total numeric(12,2) CONSTRAINT positive CHECK (total > 0), tags text[], doc jsonb);\n"
                     "CREATE INDEX orders_by_customer ON " + s + ".orders (customer, lower(doc->>'k')) WHERE total > 10;\n"
                     "INSERT INTO " + s + ".\"Customers\" VALUES (1, 'a@x', 1, '2026-01-02 03:04:05+00'), (2, 'b@x', 2, NULL);\n"
                     "INSERT INTO " + s + ".orders (customer, total, tags) VALUES (1, 12.50, '{a,b}'), (1, 3, NULL), (2, 7.25, '{}');\n"
                     "CREATE VIEW " + s + ".big_orders AS SELECT * FROM " + s + ".orders WHERE total > 10;\n"
                     "CREATE MATERIALIZED VIEW " + s + ".totals AS SELECT customer, sum(total) FROM " + s + ".orders GROUP BY 1;\n"
                     "ANALYZE " + s + ".\"Customers\"; ANALYZE " + s + ".orders;\n");
    auto r = run_weir({"query", url_, "--file", dir_.file("setup.sql")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    if (!schema_.empty()) run_weir({"query", url_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE"});
  }
  std::string url_, schema_;
  test::TempDir dir_;
};

TEST_F(ExplorePostgres, TablesListsKindsEstimatesSizesAndAnalyzeTimes) {
  Json j = json_of(run_weir({"tables", url_, "--schema", schema_, "--format", "json"}));
  EXPECT_EQ(names_of(j["tables"]), (std::vector<std::string>{"Customers", "big_orders", "orders", "totals"}));
  std::vector<std::string> kinds;
  for (const Json& t : j["tables"]) kinds.push_back(t["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"table", "view", "table", "materialized view"}));
  const Json& orders = j["tables"][2];
  EXPECT_EQ(orders["schema"], schema_);
  EXPECT_EQ(orders["row_estimate"], 3);
  EXPECT_GT(orders["size_bytes"].get<std::int64_t>(), 8000);
  EXPECT_TRUE(std::regex_match(orders["last_modified"].get<std::string>(),
                               std::regex(R"J(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)J")))
      << orders["last_modified"];
  EXPECT_EQ(j["tables"][1]["size_bytes"], nullptr) << "a view has no size";
  EXPECT_EQ(j["tables"][1]["row_estimate"], nullptr);
  Json like = json_of(run_weir({"tables", url_, "--schema", schema_, "--like", "%orders", "--format", "json"}));
  EXPECT_EQ(names_of(like["tables"]), (std::vector<std::string>{"big_orders", "orders"}));
}

TEST_F(ExplorePostgres, DescribeShowsEveryConstraintCommentAndEquivalentType) {
  Json d = json_of(run_weir({"describe", url_, schema_ + ".orders", "--format", "json"}));
  EXPECT_EQ(d["type"], "postgres");
  EXPECT_EQ(d["row_estimate"], 3);
  EXPECT_EQ(d["comment"], "");
  EXPECT_EQ(column(d, "id"), Json::parse(fmt::format(R"J({{"name":"id","native_type":"integer","logical_type":"int64",
      "nullable":false,"default":"nextval('{}.orders_id_seq'::regclass)","comment":"","primary_key":true,
      "types":{{"sqlite":"INTEGER","mysql":"int","duckdb":"INTEGER"}}}})J", schema_)));
  EXPECT_EQ(column(d, "total")["types"], Json::parse(R"J({"sqlite":"DECIMAL_TEXT(12,2)","mysql":"decimal(12,2)","duckdb":"DECIMAL(12,2)"})J"));
  EXPECT_EQ(column(d, "tags")["types"]["duckdb"], "VARCHAR[]");
  EXPECT_EQ(column(d, "doc")["logical_type"], "json");
  EXPECT_EQ(d["foreign_keys"], Json::parse(fmt::format(R"J([{{"name":"orders_customer","schema":"{0}","table":"orders",
      "columns":["customer"],"references":{{"schema":"{0}","table":"Customers","columns":["id"]}},
      "on_update":"NO ACTION","on_delete":"CASCADE"}}])J", schema_)));
  EXPECT_EQ(d["check_constraints"], Json::parse(R"J([{"name":"positive","definition":"total > 0::numeric"}])J"));
  EXPECT_EQ(d["indexes"], Json::parse(R"J([
    {"name":"orders_by_customer","columns":["customer","lower(doc ->> 'k'::text)"],"unique":false,"primary":false,
     "method":"btree","predicate":"total > 10::numeric"},
    {"name":"orders_pkey","columns":["id"],"unique":true,"primary":true,"method":"btree","predicate":null}])J"));
  EXPECT_EQ(d["sample"].size(), 3u);
  EXPECT_EQ(d["sample"][0], Json::parse(R"J({"id":1,"customer":1,"total":"12.50","tags":["a","b"],"doc":null})J"));

  Json c = json_of(run_weir({"describe", url_, schema_ + ".Customers", "--sample", "0", "--format", "json"}));
  EXPECT_EQ(c["comment"], "people who buy");
  EXPECT_EQ(column(c, "email")["comment"], "where receipts go");
  EXPECT_EQ(column(c, "email")["types"]["mysql"], "varchar(80)");
  EXPECT_EQ(column(c, "created")["default"], "now()");
  EXPECT_EQ(c["unique_constraints"], Json::parse(R"J([{"name":"Customers_email_key","columns":["email"]}])J"));
  EXPECT_EQ(c["check_constraints"], Json::parse(R"J([{"name":"Customers_select_check","definition":"\"select\" >= 0"}])J"));
  EXPECT_EQ(c["referenced_by"].size(), 1u);
  EXPECT_EQ(c["referenced_by"][0]["table"], "orders");
  EXPECT_EQ(c["referenced_by"][0]["name"], "orders_customer");
  EXPECT_EQ(c["sample"], Json::array());
}

TEST_F(ExplorePostgres, UnknownTableAndConnectionExitTwoNamingThem) {
  auto r = run_weir({"describe", url_, schema_ + ".order"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, fmt::format("weir: config error: table `{0}.order` does not exist (did you mean `{0}.orders`?)\n", schema_));
  r = run_weir({"tables", "nowhere"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: `nowhere` is neither a URL nor a connection named in the config (no connections are configured)\n");
  r = run_weir({"tables", url_, "--format", "yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: unknown format `yaml` (use table, json or csv)\n");
}

// ---------- MariaDB ----------

class ExploreMariadb : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = test::server_url("WEIR_TEST_MYSQL_URL");
    if (!url) GTEST_SKIP() << test::no_server_reason("WEIR_TEST_MYSQL_URL");
    url_ = *url;
    prefix_ = "ex" + test::unique_suffix() + "_";
    std::string p = prefix_;
    test::write_file(dir_.file("setup.sql"),
                     "CREATE TABLE `" + p + "Customers` (id BIGINT PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE,\n"
                     "  `select` INT CHECK (`select` >= 0), doc JSON) COMMENT 'people who buy';\n"
                     "CREATE TABLE `" + p + "orders` (id INT AUTO_INCREMENT PRIMARY KEY,\n"
                     "  customer BIGINT NOT NULL COMMENT 'who', total DECIMAL(12,2) DEFAULT 1.00, big BIGINT UNSIGNED,\n"
                     "  CONSTRAINT `" + p + "fk` FOREIGN KEY (customer) REFERENCES `" + p + "Customers` (id) ON DELETE CASCADE,\n"
                     "  CONSTRAINT positive CHECK (total > 0), KEY by_total (total, customer));\n"
                     "INSERT INTO `" + p + "Customers` VALUES (1, 'a@x', 1, '{\"k\": 1}');\n"
                     "INSERT INTO `" + p + "orders` (customer, total, big) VALUES (1, 12.50, 18446744073709551615);\n"
                     "CREATE VIEW `" + p + "v` AS SELECT id FROM `" + p + "orders`;\n"
                     "ANALYZE TABLE `" + p + "orders`;\n");
    auto r = run_weir({"query", url_, "--file", dir_.file("setup.sql")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    if (prefix_.empty()) return;
    run_weir({"query", url_, "DROP VIEW IF EXISTS `" + prefix_ + "v`"});
    run_weir({"query", url_, "DROP TABLE IF EXISTS `" + prefix_ + "orders`"});
    run_weir({"query", url_, "DROP TABLE IF EXISTS `" + prefix_ + "Customers`"});
  }
  std::string url_, prefix_;
  test::TempDir dir_;
};

TEST_F(ExploreMariadb, TablesListsTablesAndViewsOfTheDatabase) {
  Json j = json_of(run_weir({"tables", url_, "--like", prefix_ + "%", "--format", "json"}));
  EXPECT_EQ(names_of(j["tables"]), (std::vector<std::string>{prefix_ + "Customers", prefix_ + "orders", prefix_ + "v"}));
  EXPECT_EQ(j["tables"][1]["schema"], "weir_test");
  EXPECT_EQ(j["tables"][1]["kind"], "table");
  EXPECT_EQ(j["tables"][1]["row_estimate"], 1);
  EXPECT_GT(j["tables"][1]["size_bytes"].get<std::int64_t>(), 0);
  EXPECT_EQ(j["tables"][2]["kind"], "view");
  EXPECT_EQ(j["tables"][2]["size_bytes"], nullptr);
}

TEST_F(ExploreMariadb, DescribeShowsKeysBothWaysChecksCommentsAndIndexes) {
  Json d = json_of(run_weir({"describe", url_, prefix_ + "orders", "--format", "json"}));
  EXPECT_EQ(d["schema"], "weir_test");
  EXPECT_EQ(d["row_estimate"], 1) << "TABLE_ROWS, as the listing shows it";
  EXPECT_EQ(column(d, "id")["default"], "AUTO_INCREMENT");
  EXPECT_EQ(column(d, "big")["default"], nullptr) << "MariaDB's DEFAULT NULL is no default";
  EXPECT_EQ(column(d, "customer")["comment"], "who");
  EXPECT_EQ(column(d, "total")["default"], "1.00");
  EXPECT_EQ(column(d, "total")["types"], Json::parse(R"J({"sqlite":"DECIMAL_TEXT(12,2)","postgres":"numeric(12,2)","duckdb":"DECIMAL(12,2)"})J"));
  EXPECT_EQ(column(d, "big")["logical_type"], "decimal");
  EXPECT_EQ(column(d, "big")["types"]["postgres"], "numeric(20,0)");
  EXPECT_EQ(d["foreign_keys"], Json::parse(fmt::format(R"J([{{"name":"{0}fk","schema":"weir_test","table":"{0}orders",
      "columns":["customer"],"references":{{"schema":"weir_test","table":"{0}Customers","columns":["id"]}},
      "on_update":"RESTRICT","on_delete":"CASCADE"}}])J", prefix_)));
  EXPECT_EQ(d["check_constraints"], Json::parse(R"J([{"name":"positive","definition":"`total` > 0"}])J"));
  EXPECT_EQ(names_of(d["indexes"]), (std::vector<std::string>{"PRIMARY", "by_total", prefix_ + "fk"}));
  EXPECT_EQ(d["indexes"][1]["columns"], Json::parse(R"J(["total","customer"])J"));
  EXPECT_EQ(d["sample"], Json::parse(R"J([{"id":1,"customer":1,"total":"12.50","big":"18446744073709551615"}])J"));

  Json c = json_of(run_weir({"describe", url_, prefix_ + "Customers", "--format", "json"}));
  EXPECT_EQ(c["comment"], "people who buy");
  EXPECT_EQ(c["unique_constraints"], Json::parse(R"J([{"name":"email","columns":["email"]}])J"));
  EXPECT_EQ(c["check_constraints"], Json::parse(R"J([{"name":"select","definition":"`select` >= 0"}])J"))
      << "the json_valid() check of the JSON column is its type, not listed";
  EXPECT_EQ(column(c, "doc")["logical_type"], "json");
  EXPECT_EQ(c["referenced_by"][0]["table"], prefix_ + "orders");
}

// ---------- the config file, connect and connections ----------

TEST(ExploreConfig, ConnectTestsAndAddsAnEntryKeepingTheFileAsItWas) {
  test::TempDir dir;
  chinook_sqlite(dir);
  std::string config = dir.file("weir.yaml");
  test::write_file(config, "# my project\nconnections:\n  # the first one\n  first: \"sqlite:first.db\"\npipelines: {}\n");
  auto r = run_weir({"connect", "music", "sqlite:chinook.db", "--read-only"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("added connection `music` to weir.yaml: sqlite chinook.db, 3.")) << r.out;
  EXPECT_TRUE(r.out.ends_with(", 11 tables\n")) << r.out;
  EXPECT_EQ(test::read_file(config),
            "# my project\nconnections:\n  # the first one\n  music: { url: \"sqlite:chinook.db\", read_only: true }\n"
            "  first: \"sqlite:first.db\"\npipelines: {}\n");
  r = run_weir({"connect", "music", "sqlite:chinook.db"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: weir.yaml: connection `music` is already there; choose another name or remove it "
                   "from the file first\n");
  Json j = json_of(run_weir({"connections", "--format", "json"}, dir.path().string()));
  ASSERT_EQ(j["connections"].size(), 2u);
  Json music = j["connections"][0];
  EXPECT_EQ(music["name"], "music");
  EXPECT_EQ(music["type"], "sqlite");
  EXPECT_EQ(music["read_only"], true);
  EXPECT_EQ(music["status"], "ok");
  EXPECT_EQ(music["table_count"], 11);
  EXPECT_EQ(music["error"], nullptr);
  EXPECT_TRUE(music["server_version"].get<std::string>().starts_with("3."));
  EXPECT_EQ(j["connections"][1]["name"], "first");
}

TEST(ExploreConfig, ReadOnlySqliteConnectionRefusesWrites) {
  test::TempDir dir;
  chinook_sqlite(dir);
  test::write_file(dir.file("weir.yaml"), "connections:\n  music: { url: \"sqlite:chinook.db\", read_only: true }\n");
  auto r = run_weir({"query", "music", "DELETE FROM \"Genre\""}, dir.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("weir: permission error: ")) << r.err;
  EXPECT_EQ(run_weir({"query", "sqlite:" + dir.file("chinook.db"), "SELECT count(*) AS n FROM \"Genre\"", "-f", "csv"}).out,
            "n\n25\n");
}

// weir with HOME and XDG_CONFIG_HOME replaced (run_weir adds variables after this process's own,
// and the first HOME wins), through env(1).
test::CommandResult weir_at_home(const std::vector<std::string>& args, const std::string& dir, const std::string& home,
                                 const std::string& xdg = "") {
  std::vector<std::string> argv{"env", "HOME=" + home, "XDG_CONFIG_HOME=" + xdg, WEIR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run_program(argv, dir);
}

TEST(ExploreConfig, DefaultConfigFileIsTheUsersWhenTheFolderHasNone) {
  test::TempDir home, work;
  std::filesystem::create_directories(home.path() / ".config" / "weir");
  test::write_file((home.path() / ".config" / "weir" / "weir.yaml").string(),
                   "connections:\n  here: \"sqlite::memory:\"\n");
  auto r = weir_at_home({"ping", "here"}, work.path().string(), home.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = weir_at_home({"ping", "here"}, work.path().string(), "/nonexistent", (home.path() / ".config").string());
  EXPECT_EQ(r.exit_code, 0) << "XDG_CONFIG_HOME, when set, instead of ~/.config: " << r.err;
  test::write_file(work.file("weir.yaml"), "connections:\n  other: \"sqlite::memory:\"\n");
  r = weir_at_home({"ping", "here"}, work.path().string(), home.path().string());
  EXPECT_EQ(r.exit_code, 2) << "./weir.yaml comes first";
  EXPECT_NE(r.err.find("`here` is neither a URL nor a connection named in the config"), std::string::npos) << r.err;
  r = weir_at_home({"connections", "--format", "csv"}, home.path().string(), "/nonexistent");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.err.starts_with("weir: config error: no config file: give --config FILE")) << r.err;
}

TEST(ExploreConfig, TimeoutGivenInTheUrlAndTheEntryIsRefused) {
  test::TempDir dir;
  test::write_file(dir.file("weir.yaml"),
                   "connections:\n  pg: { url: \"postgres://a@127.0.0.1:1/d?query_timeout=100\", query_timeout: 1s }\n");
  auto r = run_weir({"ping", "pg"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.err.starts_with("weir: config error: weir.yaml:2:")) << r.err;
  EXPECT_NE(r.err.find("connections.pg.query_timeout: the URL sets `query_timeout` too: give it in one place\n"),
            std::string::npos) << r.err;
}

TEST(ExploreConfig, PasswordInsideTheUrlIsNeverStoredNorPrinted) {
  test::TempDir dir;
  auto r = run_weir({"connect", "shop", "postgres://app:" + kCanary + "@127.0.0.1:1/shop"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: the URL holds a password, and weir never writes a password in plain text: give "
                   "the URL without it and the password with --password-env VAR or --password-file FILE\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("weir.yaml")));
  r = run_weir({"connect", "shop", "postgres://app@127.0.0.1:1/shop", "--password-env", "SHOP_PW"}, dir.path().string(),
               {"SHOP_PW=" + kCanary});
  EXPECT_EQ(r.exit_code, 1) << "nothing listens on port 1";
  EXPECT_EQ(r.err.find(kCanary), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("connection `shop` was not added"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("weir.yaml"))) << "nothing written when the test fails";
}

class ExploreServers : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(ExploreServers, ConnectStoresThePasswordsPlaceAndConnectionsMasksEveryPassword) {
  auto [url_variable, password_variable] = GetParam();
  WEIR_SERVER_URL_OR_SKIP(url, url_variable);
  test::TempDir dir;
  std::string bare = without_password(*url, password_variable);
  test::write_file(dir.file("pw"), std::string(std::getenv(password_variable)) + "\n");
  auto r = run_weir({"connect", "db", bare, "--password-file", "pw", "--format", "json"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json added = Json::parse(r.out)["connections"][0];
  EXPECT_EQ(added["status"], "ok");
  EXPECT_TRUE(added["table_count"].is_number_integer()) << added;
  EXPECT_FALSE(added["server_version"].get<std::string>().empty());
  std::string file = test::read_file(dir.file("weir.yaml"));
  EXPECT_EQ(file, fmt::format("connections:\n  db: {{ url: \"{}\", password: {{ file: \"{}\" }} }}\n", bare, dir.file("pw")));
  EXPECT_EQ(file.find(std::getenv(password_variable)), std::string::npos);
  // A second entry whose password is wrong: its error shows, its password does not.
  test::write_file(dir.file("weir.yaml"),
                   file + fmt::format("  wrong: {{ url: \"{}\", password: {{ env: WRONG_PW }}, read_only: true }}\n", bare));
  r = run_weir({"connections"}, dir.path().string(), {"WRONG_PW=" + kCanary});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(kCanary), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(kCanary), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(std::getenv(password_variable)), std::string::npos) << r.out;
  Json j = json_of(run_weir({"connections", "-f", "json"}, dir.path().string(), {"WRONG_PW=" + kCanary}));
  EXPECT_EQ(j["connections"][0]["status"], "ok");
  EXPECT_GT(j["connections"][0]["round_trip_ms"].get<double>(), 0.0);
  EXPECT_EQ(j["connections"][1]["status"], "error");
  EXPECT_EQ(j["connections"][1]["read_only"], true);
  EXPECT_NE(j["connections"][1]["error"].get<std::string>().find("connecting to connection `wrong`"), std::string::npos);
  EXPECT_EQ(j.dump().find(kCanary), std::string::npos);
}

TEST_P(ExploreServers, ReadOnlyConnectionRefusesWritesAndQueryTimeoutStopsAStatement) {
  auto [url_variable, password_variable] = GetParam();
  WEIR_SERVER_URL_OR_SKIP(url, url_variable);
  test::TempDir dir;
  std::string table = "ro_" + test::unique_suffix();
  ASSERT_EQ(run_weir({"query", *url, "CREATE TABLE " + table + " (id INT)"}).exit_code, 0);
  test::write_file(dir.file("weir.yaml"),
                   fmt::format("connections:\n  ro: {{ url: \"{0}\", password: {{ env: PW }}, read_only: true }}\n"
                               "  slow: {{ url: \"{0}\", password: {{ env: PW }}, query_timeout: 300ms }}\n",
                               without_password(*url, password_variable)));
  std::vector<std::string> env{std::string("PW=") + std::getenv(password_variable)};
  auto r = run_weir({"query", "ro", "INSERT INTO " + table + " VALUES (1)"}, dir.path().string(), env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("weir: permission error: ")) << r.err;
  EXPECT_NE(r.err.find("25006"), std::string::npos) << "refused by the database as a read-only transaction: " << r.err;
  EXPECT_EQ(run_weir({"query", *url, "SELECT count(*) AS n FROM " + table, "-f", "csv"}).out, "n\n0\n");
  std::string sleep = std::string(url_variable) == "WEIR_TEST_PG_URL" ? "SELECT pg_sleep(5)" : "SELECT SLEEP(5)";
  r = run_weir({"query", "slow", sleep}, dir.path().string(), env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("timeout error"), std::string::npos) << r.err;
  run_weir({"query", *url, "DROP TABLE " + table});
}

INSTANTIATE_TEST_SUITE_P(Each, ExploreServers,
                         ::testing::Values(std::pair{"WEIR_TEST_PG_URL", "WEIR_TEST_PG_PASSWORD"},
                                           std::pair{"WEIR_TEST_MYSQL_URL", "WEIR_TEST_MYSQL_PASSWORD"}),
                         [](const auto& info) { return std::string(info.param.first).find("PG") != std::string::npos ? "Postgres" : "Mariadb"; });

}  // namespace
}  // namespace weir
