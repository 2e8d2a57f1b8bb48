// MySQL/MariaDB bulk inserts through LOAD DATA LOCAL INFILE fed from memory: which batches
// take that path (the server's Com_load counter tells), all-or-nothing outside a transaction,
// the fallback to INSERT when the server has local_infile off, and a server asking for a file
// the bulk writer did not offer gets nothing. The conformance suite checks values and errors
// on both paths (contexts mysql and mysql_insert).
#include <gtest/gtest.h>

#include <fmt/format.h>


#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

class MysqlLoadData : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
    url_ = *url;
    conn_ = connect();
    table_ = "weir_load_" + test::unique_suffix();
    conn_->execute(fmt::format("CREATE TABLE `{}` (id integer primary key, name varchar(20) not null)", table_));
  }
  void TearDown() override {
    if (conn_) conn_->execute(fmt::format("DROP TABLE IF EXISTS `{}`", table_));
  }

  std::unique_ptr<db::Connection> connect(const std::string& options = "") {
    db::ConnectionConfig config;
    config.url = Url::parse(url_ + options);
    return db::connect(config);
  }
  // One more LOAD DATA statement ran on the connection when this goes up.
  std::int64_t loads(db::Connection& c) { return std::stoll(test::scalar(c, "SHOW SESSION STATUS LIKE 'Com_load'")); }
  std::int64_t count(db::Connection& c) { return std::stoll(test::scalar(c, fmt::format("SELECT COUNT(*) FROM `{}`", table_))); }
  Batch rows(int first, int n) {
    Batch b(std::make_shared<const Schema>(
        std::vector<Column>{Column{"id", Type::int64, "", false}, Column{"name", Type::text, "", false}}));
    for (int id = first; id < first + n; ++id) b.append_row(std::vector<Value>{Value(id), Value(fmt::format("n{}", id))});
    return b;
  }
  db::WriteSpec spec() const { return db::WriteSpec{db::TableRef{"", table_}, {"id", "name"}, db::WriteMode::insert, {}}; }

  std::string url_;
  std::unique_ptr<db::Connection> conn_;
  std::string table_;
};

TEST_F(MysqlLoadData, LargeBatchesLoadAndSmallOnesInsert) {
  auto writer = conn_->bulk_writer(spec());
  std::int64_t before = loads(*conn_);
  writer->write(rows(1, 300));
  EXPECT_EQ(loads(*conn_), before + 1) << "a 300-row batch is one LOAD DATA";
  writer->write(rows(1000, 10));
  EXPECT_EQ(loads(*conn_), before + 1) << "a 10-row batch is an INSERT";
  EXPECT_EQ(writer->finish(), (db::WriteCounts{.inserted = 310}));
  EXPECT_EQ(count(*conn_), 310);

  auto inserting = connect("?bulk_insert=insert");
  auto insert_writer = inserting->bulk_writer(spec());
  before = loads(*inserting);
  insert_writer->write(rows(2000, 300));
  EXPECT_EQ(loads(*inserting), before) << "bulk_insert=insert never loads";
  EXPECT_EQ(count(*conn_), 610);
}

TEST_F(MysqlLoadData, OutsideATransactionABadBatchWritesNothing) {
  conn_->execute(fmt::format("INSERT INTO `{}` (id, name) VALUES (150, 'existing')", table_));
  auto writer = conn_->bulk_writer(spec());
  try {
    writer->write(rows(1, 300));  // id 150 is taken: the rows before and after it must not stay
    FAIL() << "a duplicate key was loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unique) << e.what();
    EXPECT_NE(std::string(e.what()).find("Duplicate entry '150'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(conn_->in_transaction());
  auto other = connect();
  EXPECT_EQ(count(*other), 1) << "nothing of the failed batch is committed";
  writer->write(rows(1000, 200));  // autocommits, like an INSERT
  EXPECT_EQ(count(*other), 201);
}

TEST_F(MysqlLoadData, AFileTheBulkWriterDidNotOfferIsRefused) {
  auto e = [&]() -> std::optional<Error> {
    try {
      conn_->execute_script(fmt::format("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE `{}`", table_));
    } catch (const Error& e) {
      return e;
    }
    return std::nullopt;
  }();
  ASSERT_TRUE(e) << "weir sent a local file to the server";
  EXPECT_NE(std::string(e->what()).find("never from a file"), std::string::npos) << e->what();
  EXPECT_EQ(count(*conn_), 0);
  EXPECT_NO_THROW(conn_->ping()) << "the connection is still in step";
}

// Changes a global setting: the tests run one at a time (scripts/test), and it is restored.
TEST_F(MysqlLoadData, FallsBackToInsertWhenTheServerRefusesLocalInfile) {
  conn_->execute_script("SET GLOBAL local_infile = OFF");
  struct Restore {
    db::Connection& c;
    ~Restore() {
      try {
        c.execute_script("SET GLOBAL local_infile = ON");
      } catch (...) {
      }
    }
  } restore{*conn_};
  auto writer = conn_->bulk_writer(spec());
  std::int64_t before = loads(*conn_);
  writer->write(rows(1, 300));
  writer->write(rows(1000, 300));
  EXPECT_EQ(writer->finish(), (db::WriteCounts{.inserted = 600}));
  EXPECT_EQ(count(*conn_), 600);
  EXPECT_LE(loads(*conn_), before + 1) << "after the first refusal the writer stops trying";
}

}  // namespace
}  // namespace weir
