// sql_poll's lag, as `weir run --progress` prints it: how long ago the input last read all
// there was, never the age of old rows it is still catching up on.
#include <gtest/gtest.h>

#include "core/config_spec.hpp"
#include "pipeline/module.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::modules {
namespace {

std::unique_ptr<pipeline::Input> make_sql_poll(const std::string& yaml, const db::Connections& connections) {
  for (const pipeline::InputModule& m : pipeline::input_modules()) {
    if (m.name != "sql_poll") continue;
    YAML::Node node = YAML::Load(yaml);
    config::Diagnostics d("test.yaml");
    config::validate(node, m.spec(), "pipelines.p.input.sql_poll", d);
    d.throw_if_any();
    pipeline::ModuleContext context(connections, "p");
    return m.make(config::Section(node, m.spec(), "pipelines.p.input.sql_poll"), context);
  }
  throw Error(ErrorKind::internal, "no sql_poll");
}

TEST(SqlPollLag, NoLagWhileCatchingUpOnOldRowsThenTheTimeSinceItReadEverything) {
  test::TempDir dir;
  db::ConnectionConfig config;
  config.url = Url::parse("sqlite:" + dir.file("src.db"));
  test::open_sqlite(dir.file("src.db"))->execute_script(
      "CREATE TABLE events(id INTEGER PRIMARY KEY, at DATETIME NOT NULL);"
      "INSERT INTO events VALUES (1, '2020-01-01 00:00:01'), (2, '2020-01-01 00:00:02'), "
      "(3, '2020-01-01 00:00:03'), (4, '2020-01-01 00:00:04'), (5, '2020-01-01 00:00:05');");
  db::Connections connections{{"src", config}};
  auto input = make_sql_poll(
      "{ connection: src, query: \"SELECT id, at FROM events WHERE {{cursor}} ORDER BY at, id\", page_size: 2,"
      "  cursor: { columns: [at, id] } }",
      connections);
  input->open(pipeline::RunOptions{.once = true});
  EXPECT_FALSE(input->lag_seconds()) << "nothing read yet";
  Batch batch;
  ASSERT_TRUE(input->read(batch));
  EXPECT_EQ(batch.rows(), 2u);
  EXPECT_FALSE(input->lag_seconds()) << "rows from 2020 say nothing of how far behind the input is: "
                                     << input->lag_seconds().value_or(-1);
  std::size_t rows = batch.rows();
  while (input->read(batch)) rows += batch.rows();
  EXPECT_EQ(rows, 5u);
  auto lag = input->lag_seconds();
  ASSERT_TRUE(lag) << "the input read everything there was";
  EXPECT_GE(*lag, 0.0);
  EXPECT_LT(*lag, 3600.0) << "measured from when the input caught up, not from the rows' timestamps";
}

}  // namespace
}  // namespace weir::modules
