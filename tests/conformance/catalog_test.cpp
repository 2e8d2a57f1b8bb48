// Conformance: list_tables and describe_table.
#include <algorithm>

#include <fmt/format.h>

#include "conformance/conformance_test.hpp"

namespace weir::conformance {
namespace {

WEIR_CONFORMANCE_SUITE(ConformanceCatalog);

bool listed(const std::vector<db::TableRef>& tables, const std::string& name) {
  return std::any_of(tables.begin(), tables.end(), [&](const db::TableRef& t) { return t.name == name; });
}

std::vector<std::string> names_of(const db::TableInfo& info) {
  std::vector<std::string> out;
  for (const Column& c : info.columns) out.push_back(c.name);
  return out;
}

TEST_P(ConformanceCatalog, ListTablesIncludesACreatedTable) {
  std::string t = create_table("listed", q("id") + " INTEGER");
  EXPECT_TRUE(listed(conn().list_tables(), t)) << t;
  conn().execute("DROP TABLE " + q(t));
  EXPECT_FALSE(listed(conn().list_tables(), t)) << "a dropped table is gone";
}

TEST_P(ConformanceCatalog, DescribeTableGivesColumnsInOrder) {
  std::string t = create_table(
      "desc", fmt::format("{} INTEGER NOT NULL, {} VARCHAR(50), {} DECIMAL(10,2) NOT NULL, {} {}, PRIMARY KEY ({})",
                          q("c_id"), q("Name"), q("amount"), q("created"), column_type(Type::timestamp),
                          q("c_id")));
  auto info = conn().describe_table(db::TableRef{"", t});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->ref.name, t);
  ASSERT_EQ(names_of(*info), (std::vector<std::string>{"c_id", "Name", "amount", "created"}));
  const auto& c = info->columns;
  EXPECT_EQ(c[0].type, Type::int64);
  EXPECT_EQ(c[1].type, Type::text);
  EXPECT_EQ(c[2].type, Type::decimal);
  EXPECT_EQ(c[3].type, Type::timestamp);
  EXPECT_TRUE(icontains(c[0].native_type, "int")) << c[0].native_type;
  EXPECT_TRUE(icontains(c[1].native_type, "char")) << c[1].native_type;
  EXPECT_TRUE(icontains(c[1].native_type, "50")) << "the length is part of the native type: " << c[1].native_type;
  EXPECT_TRUE(icontains(c[2].native_type, "dec") || icontains(c[2].native_type, "num")) << c[2].native_type;
  EXPECT_FALSE(c[3].native_type.empty());
  EXPECT_FALSE(c[0].nullable);
  EXPECT_TRUE(c[1].nullable);
  EXPECT_FALSE(c[2].nullable);
  EXPECT_TRUE(c[3].nullable);
  EXPECT_EQ(info->primary_key, (std::vector<std::string>{"c_id"}));
}

TEST_P(ConformanceCatalog, DescribeGivesTheLogicalTypeOfEveryColumnType) {
  // A column of column_type(t) for each declared type describes as t, as a query
  // of it reads as t (ConformanceTypes.RoundTrip*).
  std::string columns = q("id") + " INTEGER NOT NULL PRIMARY KEY";
  for (Type type : ctx().supported_types)
    columns += fmt::format(", {} {}", q(fmt::format("c_{}", to_string(type))), column_type(type));
  std::string t = create_table("types", columns);
  auto info = conn().describe_table(db::TableRef{"", t});
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->columns.size(), ctx().supported_types.size() + 1);
  for (std::size_t i = 0; i < ctx().supported_types.size(); ++i) {
    const Column& c = info->columns[i + 1];
    Type declared = ctx().supported_types[i];
    // MySQL keeps instants in DATETIME (see Capabilities::zoned_timestamp_columns).
    if (declared == Type::timestamptz && !ctx().caps.zoned_timestamp_columns) declared = Type::timestamp;
    EXPECT_EQ(c.type, declared) << c.name << " " << c.native_type;
    EXPECT_TRUE(c.nullable) << c.name;
  }
}

TEST_P(ConformanceCatalog, CompositePrimaryKeyComesInKeyOrder) {
  std::string t = create_table(
      "pk", fmt::format("{} INTEGER NOT NULL, {} VARCHAR(10) NOT NULL, {} INTEGER, PRIMARY KEY ({}, {})", q("a"),
                        q("b"), q("c"), q("b"), q("a")));
  auto info = conn().describe_table(db::TableRef{"", t});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(names_of(*info), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(info->primary_key, (std::vector<std::string>{"b", "a"})) << "key order, not column order";
}

TEST_P(ConformanceCatalog, TableWithoutPrimaryKey) {
  std::string t = create_table("nopk", q("x") + " INTEGER, " + q("y") + " VARCHAR(5)");
  auto info = conn().describe_table(db::TableRef{"", t});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->columns.size(), 2u);
  EXPECT_TRUE(info->primary_key.empty());
}

// What a sync sizes its key ranges by (sync/key_ranges.cpp), instead of counting every row.
TEST_P(ConformanceCatalog, DescribeGivesThePlannersRowEstimate) {
  std::string t = create_table("estimated", q("id") + " INTEGER PRIMARY KEY");
  for (int id = 1; id <= 3; ++id) conn().execute(fmt::format("INSERT INTO {} VALUES ({})", q(t), id));
  const std::string& analyze = ctx().caps.analyze_for_row_estimate;
  if (!analyze.empty()) conn().execute_script(fmt::format(fmt::runtime(analyze), q(t)));
  auto info = conn().describe_table(db::TableRef{"", t});
  ASSERT_TRUE(info);
  if (analyze.empty()) EXPECT_FALSE(info->row_estimate) << ctx().name << " keeps no estimate describe_table gives";
  else EXPECT_EQ(info->row_estimate, std::optional<std::int64_t>(3)) << analyze;
}

TEST_P(ConformanceCatalog, MissingTableIsNullopt) {
  EXPECT_FALSE(conn().describe_table(db::TableRef{"", ctx().unique_table_name("missing")}).has_value());
}

TEST_P(ConformanceCatalog, DescribeWithTheDefaultSchemaNamed) {
  std::string t = create_table("qual", q("id") + " INTEGER NOT NULL PRIMARY KEY");
  auto info = conn().describe_table(db::TableRef{ctx().default_schema, t});
  ASSERT_TRUE(info.has_value()) << ctx().default_schema << "." << t;
  EXPECT_EQ(names_of(*info), (std::vector<std::string>{"id"}));
}

TEST_P(ConformanceCatalog, AwkwardNamesAreDescribedExactly) {
  std::string t = "Mixed \"Case\" " + ctx().unique_table_name("x").substr(7);
  create_table_named(t, fmt::format("{} INTEGER NOT NULL, {} VARCHAR(5), {} INTEGER, PRIMARY KEY ({})", q("order"),
                                    q("Say \"hi\""), q("Unit Price"), q("order")));
  auto info = conn().describe_table(db::TableRef{"", t});
  ASSERT_TRUE(info.has_value()) << t;
  EXPECT_EQ(names_of(*info), (std::vector<std::string>{"order", "Say \"hi\"", "Unit Price"}));
  EXPECT_EQ(info->primary_key, (std::vector<std::string>{"order"}));
  EXPECT_TRUE(listed(conn().list_tables(), t));
}

TEST_P(ConformanceCatalog, TablesInAnotherSchema) {
  if (!ctx().caps.has_schemas) GTEST_SKIP() << ctx().name << " has no schemas (capability has_schemas=false)";
  std::string schema = ctx().unique_table_name("schema");
  conn().execute("CREATE SCHEMA " + q(schema));
  struct DropSchema {  // also when an assertion below fails
    db::Connection& connection;
    std::string sql;
    ~DropSchema() {
      try {
        connection.execute(sql);
      } catch (const std::exception& e) {
        ADD_FAILURE() << sql << ": " << e.what();
      }
    }
  } drop{conn(), "DROP SCHEMA " + q(schema) + " CASCADE"};
  db::TableRef ref{schema, "items"};
  conn().execute(fmt::format("CREATE TABLE {} ({} INTEGER NOT NULL PRIMARY KEY, {} VARCHAR(10))", dialect().quote_table(ref),
                             q("id"), q("name")));
  auto writer = conn().bulk_writer({ref, {"id", "name"}, db::WriteMode::insert, {}});
  writer->write(make_batch({"id", "name"}, {{Value(1), Value("a")}}));
  EXPECT_EQ(writer->finish().written(), 1u);
  writer.reset();
  auto info = conn().describe_table(ref);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->primary_key, (std::vector<std::string>{"id"}));
  auto tables = conn().list_tables();
  EXPECT_TRUE(std::any_of(tables.begin(), tables.end(), [&](const db::TableRef& r) { return r == ref; }))
      << "list_tables() has " << ref.to_string();
}

}  // namespace
}  // namespace weir::conformance
