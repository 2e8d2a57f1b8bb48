// Acknowledgements through the whole pipeline on SQLite files — sql_poll, a sql_call filter,
// sql_write with the state in the target: the input hears of each batch once, in order, only
// once its rows and checkpoint are committed and visible to another connection.
#include <gtest/gtest.h>

#include "pipeline/runner.hpp"
#include "support/recording_input.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using test::Acknowledged;

std::string position(int id) { return R"([["int64",")" + std::to_string(id) + R"("]])"; }

TEST(Acknowledgements, FollowEachCommitOfRowsAndCheckpointInTheTarget) {
  test::TempDir dir;
  auto open = [&](const std::string& file) { return test::open_sqlite(dir.file(file)); };
  open("src.db")->execute_script(
      "CREATE TABLE orders(id INTEGER PRIMARY KEY, amount INTEGER);"
      "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 10) "
      "INSERT INTO orders SELECT x, x * 10 FROM s;");
  test::write_file(dir.file("p.yaml"), R"(connections: { src: "sqlite:src.db", dst: "sqlite:dst.db" }
pipelines:
  p:
    input:
      sql_poll:
        connection: src
        query: "SELECT id FROM orders WHERE {{cursor}} ORDER BY id"
        cursor: { columns: [id] }
        page_size: 4
    filters:
      - sql_call:
          connection: src
          queries: [ { sql: "SELECT amount FROM orders WHERE id = {{record.id}}" } ]
    output: { sql_write: { connection: dst, table: t, create_table: true, batch: { rows: 4 } } }
    state: { connection: dst }
)");
  pipeline::Project project = pipeline::load_project(dir.file("p.yaml"));
  pipeline::Pipeline& p = project.pipelines.at(0);
  auto look = [&](std::string_view checkpoint) {
    auto stored = p.state->load(p.owner);  // the store's own connection: committed rows only
    return Acknowledged{std::string(checkpoint), test::scalar(*open("dst.db"), "SELECT count(*) FROM t"),
                        stored.value_or("none")};
  };
  auto recording = std::make_unique<test::RecordingInput>(std::move(p.input), look);
  test::RecordingInput& input = *recording;
  p.input = std::move(recording);
  auto stats = pipeline::run_all(project).at(0);
  EXPECT_EQ(stats.error, "");
  EXPECT_EQ(input.acknowledged(), (std::vector<Acknowledged>{{position(4), "4", position(4)},
                                                             {position(8), "8", position(8)},
                                                             {position(10), "10", position(10)}}));
  EXPECT_EQ(test::scalar(*open("dst.db"), "SELECT sum(amount) FROM t"), "550");
}

}  // namespace
}  // namespace weir
