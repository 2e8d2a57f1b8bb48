// Whose a checkpoint is (src/pipeline/state_store.cpp): keys by file and pipeline, the
// fingerprint of input and output, checkpoints of earlier weir versions, a store that cannot
// be written. The store here is a SQLite file, as the default one is.
#include <gtest/gtest.h>

#include "pipeline/state_store.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

const Identity kInput{{"connection", "postgres://app@db:5432/shop"}, {"query", "SELECT * FROM o WHERE {{cursor}}"},
                      {"cursor", "id"}};
const Identity kOutput{{"connection", "sqlite:/data/dw.db"}, {"table", "orders"}};

class StateStoreTest : public ::testing::Test {
 protected:
  db::ConnectionConfig config() const {
    return db::ConnectionConfig{
        .name = "state", .url = Url::parse("sqlite:" + dir_.file("state.db")), .init_script = {}};
  }
  std::string sql(const std::string& text) {
    auto r = test::run_program({"sqlite3", dir_.file("state.db"), text});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  test::TempDir dir_;
};

TEST(StateOwner, KeyedByTheFileNameAndPipeline) {
  StateOwner a = StateOwner::of("/srv/etl/a.yaml", "sync", kInput, kOutput);
  StateOwner moved = StateOwner::of("elsewhere/a.yaml", "sync", kInput, kOutput);
  EXPECT_EQ(a.key, "a.yaml#sync");
  EXPECT_EQ(a.pipeline, "sync");
  EXPECT_EQ(moved.key, a.key) << "a project that moves keeps its checkpoints";
  EXPECT_EQ(moved.fingerprint, a.fingerprint);
  EXPECT_EQ(StateOwner::of("/srv/etl/b.yaml", "sync", kInput, kOutput).key, "b.yaml#sync");
}

TEST(StateOwner, FingerprintNamesEachPartThatChanged) {
  StateOwner a = StateOwner::of("a.yaml", "sync", kInput, kOutput);
  EXPECT_EQ(a.fingerprint.find("input.connection="), 0u) << a.fingerprint;
  EXPECT_NE(a.fingerprint.find(";output.table="), std::string::npos) << a.fingerprint;
  EXPECT_EQ(a.fingerprint.find("app@db"), std::string::npos) << "hashes, not the values: " << a.fingerprint;
  EXPECT_EQ(changed_parts(a.fingerprint, a.fingerprint), "");
  Identity other_table{{"connection", "sqlite:/data/dw.db"}, {"table", "orders_v2"}};
  Identity other_query = kInput;
  other_query[1].second = "SELECT id FROM o WHERE {{cursor}}";
  EXPECT_EQ(changed_parts(a.fingerprint, StateOwner::of("a.yaml", "sync", kInput, other_table).fingerprint),
            "output.table");
  EXPECT_EQ(changed_parts(a.fingerprint, StateOwner::of("a.yaml", "sync", other_query, other_table).fingerprint),
            "input.query, output.table");
}

TEST(ConnectionIdentity, LeavesOutThePasswordAndOptions) {
  db::ConnectionConfig c{.name = "pg", .url = Url::parse("postgres://app:canary-secret@db:5432/shop?sslmode=require"),
                          .init_script = {}};
  EXPECT_EQ(c.identity(), "postgres://app@db:5432/shop");
}

TEST_F(StateStoreTest, CheckpointOfAnotherOutputIsRefusedNamingReset) {
  StateStore store(config());
  StateOwner owner = StateOwner::of("a.yaml", "sync", kInput, kOutput);
  EXPECT_EQ(store.load(owner), std::nullopt);
  store.save(owner, "[[\"int64\",\"42\"]]");
  EXPECT_EQ(store.load(owner), "[[\"int64\",\"42\"]]");
  EXPECT_EQ(store.load(StateOwner::of("b.yaml", "sync", kInput, kOutput)), std::nullopt) << "another file's";
  Identity other{{"connection", "sqlite:/data/dw.db"}, {"table", "orders_v2"}};
  try {
    store.load(StateOwner::of("a.yaml", "sync", kInput, other));
    ADD_FAILURE() << "a checkpoint of another table was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_EQ(std::string(e.what()), "the checkpoint in connection `state` (sqlite:" + dir_.file("state.db") +
                                         ") was made with another output.table (changed since it was saved); run "
                                         "with --reset to start from the beginning, or undo the change");
  }
  store.reset(owner);
  EXPECT_EQ(store.load(StateOwner::of("a.yaml", "sync", kInput, other)), std::nullopt);
}

TEST_F(StateStoreTest, CheckpointOfAnEarlierVersionIsTakenOverOnce) {
  sql("CREATE TABLE weir_state (pipeline VARCHAR(255) NOT NULL PRIMARY KEY, position TEXT NOT NULL, "
      "updated_at VARCHAR(40) NOT NULL);"
      "INSERT INTO weir_state VALUES ('sync', '[[\"int64\",\"7\"]]', '2024-01-01T00:00:00Z');");
  StateStore store(config());
  StateOwner owner = StateOwner::of("a.yaml", "sync", kInput, kOutput);
  EXPECT_EQ(store.load(owner), "[[\"int64\",\"7\"]]");
  EXPECT_EQ(sql("SELECT pipeline || ' ' || (fingerprint = '" + owner.fingerprint + "') FROM weir_state"),
            "a.yaml#sync 1");
  EXPECT_EQ(store.load(StateOwner::of("b.yaml", "sync", kInput, kOutput)), std::nullopt)
      << "taken over by a.yaml, no longer there for b.yaml";
  EXPECT_EQ(store.load(owner), "[[\"int64\",\"7\"]]");
}

TEST_F(StateStoreTest, ReadOnlyStoreIsNamedBeforeAnythingIsWritten) {
  StateOwner owner = StateOwner::of("a.yaml", "sync", kInput, kOutput);
  StateStore(config()).save(owner, "[[\"int64\",\"1\"]]");
  db::ConnectionConfig read_only = config();
  read_only.url.set_option("mode", "ro");
  StateStore store(read_only);
  EXPECT_EQ(store.load(owner), "[[\"int64\",\"1\"]]");
  try {
    store.check_writable(owner);
    ADD_FAILURE() << "a read-only store passed as writable";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the state store connection `state` (sqlite:" + dir_.file("state.db") +
                                         "?mode=ro) cannot be written"),
              std::string::npos)
        << e.what();
  }
  StateStore(config()).check_writable(owner);
  EXPECT_EQ(sql("SELECT position FROM weir_state"), "[[\"int64\",\"1\"]]") << "the check leaves no trace";
}

}  // namespace
}  // namespace weir::pipeline
