// `weir mcp --save`: connect_database also adds the connection to the config file, its password
// only by reference ("${VAR}" or {"file": PATH}) — never in clear: a password given in clear is
// refused there, and the canary password appears in no reply, log or saved file. A later server
// reads the saved entries and connects with them. Driven by the official MCP SDK client against
// the harness's PostgreSQL, with a role whose password is the canary.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"
#include "weir/db/connection.hpp"
#include "weir/url.hpp"

namespace weir {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class McpSave : public test::McpSdkTest {
 protected:
  // connect_database for the canary's role on the harness's PostgreSQL, with `password` as given.
  json connect(const std::string& name, const json& password) const {
    return json{{"name", "connect_database"},
                {"arguments",
                 {{"connection_name", name},
                  {"database_type", "postgres"},
                  {"connection_params",
                   {{"host", url_.host}, {"port", url_.port}, {"database", url_.database}, {"username", kRole},
                    {"password", password}, {"ssl_mode", "disable"}}}}}};
  }
  static json who(const std::string& connection) {
    return json{{"name", "query"}, {"arguments", {{"connection_name", connection}, {"sql", "SELECT current_user AS who"}}}};
  }
  static std::string text_of(const json& call) { return call["result"]["content"][0]["text"].get<std::string>(); }

  static constexpr const char* kRole = "weir_mcp_saved";
  Url url_;
};

TEST_F(McpSave, ConnectionsAreSavedWithTheirPasswordByReferenceAndReadBackNeverInClear) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  url_ = Url::parse(*pg);
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script(fmt::format(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{0}') THEN CREATE ROLE {0} LOGIN; END IF; END $$;"
      "ALTER ROLE {0} PASSWORD '{1}'",
      kRole, test::kMcpCanary));
  test::open_sqlite(dir_.file("keep.db"));
  fs::create_directories(dir_.path() / "secrets");
  std::ofstream(dir_.path() / "secrets" / "pg.pw") << test::kMcpCanary << "\n";
  const std::string before = "# the agent's connections go below\nconnections:\n  keep: \"sqlite:keep.db\"   # as written\n";
  std::string file = config(before);

  json saving = test::mcp_sdk_client(
      file,
      {connect("by_env", "${WEIR_TEST_CANARY_PW}"), who("by_env"), connect("by_file", {{"file", "secrets/pg.pw"}}),
       connect("in_clear", test::kMcpCanary), connect("cloud_key", "${HOME}"), connect("outside", {{"file", "/etc/hostname"}}),
       connect("keep", "${WEIR_TEST_CANARY_PW}")},
      dir_.path().string(), {"--save"});
  json calls = saving["calls"];
  ASSERT_EQ(calls.size(), 7u) << saving;
  EXPECT_EQ(calls[0]["result"]["structuredContent"],
            json({{"name", "by_env"}, {"type", "postgres"}, {"read_only", true}, {"status", "connected"}, {"saved_to", file},
                  {"target", fmt::format("postgres://{}@{}:{}/{}", kRole, url_.host, url_.port, url_.database)}}))
      << calls[0];
  EXPECT_EQ(calls[1]["result"]["structuredContent"]["rows"], json::parse(R"([{"who": "weir_mcp_saved"}])")) << calls[1];
  EXPECT_EQ(calls[2]["result"]["structuredContent"]["saved_to"], file) << calls[2];
  const std::string references =
      "\"${VAR}\" or {\"env\": VAR} (a variable of the server's environment named *_PASSWORD or *_PW), or "
      "{\"file\": PATH} (a file in the config file's folder)";
  EXPECT_EQ(text_of(calls[3]), "config error: connection_params.password: this server saves connections (--save) and "
                               "never writes a password in clear: give it by reference, " + references);
  EXPECT_EQ(text_of(calls[4]),
            "permission error: connection_params.password: an agent may name only a variable holding a password: " +
                references);
  EXPECT_EQ(text_of(calls[5]), "permission error: connection_params.password.file: an agent may name only a file in "
                               "the config file's folder (" + fs::weakly_canonical(dir_.path()).string() + ")");
  EXPECT_EQ(text_of(calls[6]), "config error: a connection named `keep` already exists");

  // The file: the two entries added above the one that was there, each password by reference;
  // the comments and the first entry as they were.
  const std::string target = fmt::format("postgres://{}@{}:{}/{}?sslmode=disable", kRole, url_.host, url_.port, url_.database);
  const std::string secret_file = fs::weakly_canonical(dir_.path() / "secrets" / "pg.pw").string();
  EXPECT_EQ(read_file(file),
            "# the agent's connections go below\nconnections:\n"
            "  by_file: { url: \"" + target + "\", password: { file: \"" + secret_file + "\" }, read_only: true }\n"
            "  by_env: { url: \"" + target + "\", password: { env: WEIR_TEST_CANARY_PW }, read_only: true }\n"
            "  keep: \"sqlite:keep.db\"   # as written\n");
  // The canary is in no file weir wrote (the client checked every output and log line).
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
    if (entry.is_regular_file() && entry.path().filename() != "pg.pw" && entry.path().extension() != ".db") {
      EXPECT_EQ(read_file(entry.path()).find(test::kMcpCanary), std::string::npos) << entry.path();
    }
  }

  // A server started later has them from the start; without --save, a password in clear is
  // kept in memory only and nothing is written.
  json later = test::mcp_sdk_client(
      file,
      {who("by_env"), who("by_file"), connect("in_memory", test::kMcpCanary), who("in_memory"),
       json{{"name", "list_database_connections"}, {"arguments", json::object()}}},
      dir_.path().string());
  calls = later["calls"];
  ASSERT_EQ(calls.size(), 5u) << later;
  for (std::size_t i : {0u, 1u, 3u})
    EXPECT_EQ(calls[i]["result"]["structuredContent"]["rows"], json::parse(R"([{"who": "weir_mcp_saved"}])")) << calls[i];
  EXPECT_FALSE(calls[2]["result"]["structuredContent"].contains("saved_to")) << calls[2];
  std::vector<std::string> names;
  for (const json& c : calls[4]["result"]["structuredContent"]["connections"]) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"by_env", "by_file", "in_memory", "keep"}));
  EXPECT_EQ(read_file(file).find("in_memory"), std::string::npos);
}

}  // namespace
}  // namespace weir
