// connect_database's arguments (src/mcp/connect_tool.cpp): a password in clear, or by reference
// ("${VAR}", {"env": VAR}, {"file": PATH}) read on the server's side, and the references an agent
// may not use (a variable not named as a password, a file outside the config file's folder).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

#include "mcp/connect_tool.hpp"
#include "support/test_support.hpp"
#include "weir/error.hpp"

namespace weir::mcp {
namespace {

using nlohmann::json;

json arguments(const json& password) {
  return json{{"connection_name", "shop"},
              {"database_type", "postgres"},
              {"connection_params", {{"host", "db.example"}, {"username", "app"}, {"database", "shop"}, {"password", password}}}};
}

// The error kind and message connection_from_arguments throws for `password`.
std::string refusal(const json& password, const std::filesystem::path& folder) {
  try {
    connection_from_arguments(arguments(password), folder);
  } catch (const Error& e) {
    return std::string(to_string(e.kind())) + ": " + e.what();
  }
  return "accepted";
}

TEST(ConnectTool, APasswordInClearIsKeptAndMarkedSoNeverSaved) {
  test::TempDir dir;
  AgentConnection c = connection_from_arguments(arguments("s3cret-${not-a-name}"), dir.path());
  EXPECT_EQ(c.config.url.password, "s3cret-${not-a-name}");
  EXPECT_TRUE(c.clear_password);
  EXPECT_EQ(c.entry.url, "postgres://app@db.example/shop");
  EXPECT_TRUE(c.entry.password_env.empty());
  EXPECT_TRUE(c.entry.password_file.empty());
  EXPECT_TRUE(c.entry.read_only);
}

TEST(ConnectTool, APasswordByReferenceIsReadOnTheServersSide) {
  test::TempDir dir;
  ::setenv("WEIR_UNIT_SHOP_PW", "from-the-env-71", 1);
  for (const json& reference : {json("${WEIR_UNIT_SHOP_PW}"), json{{"env", "WEIR_UNIT_SHOP_PW"}}}) {
    AgentConnection c = connection_from_arguments(arguments(reference), dir.path());
    EXPECT_EQ(c.config.url.password, "from-the-env-71") << reference;
    EXPECT_EQ(c.entry.password_env, "WEIR_UNIT_SHOP_PW");
    EXPECT_FALSE(c.clear_password);
  }
  std::ofstream(dir.file("shop.pw")) << "from-the-file-72\n";
  AgentConnection c = connection_from_arguments(arguments(json{{"file", "shop.pw"}}), dir.path());
  EXPECT_EQ(c.config.url.password, "from-the-file-72");
  EXPECT_EQ(c.entry.password_file, std::filesystem::weakly_canonical(dir.file("shop.pw")).string());
  EXPECT_FALSE(c.clear_password);
  ::unsetenv("WEIR_UNIT_SHOP_PW");
  EXPECT_EQ(refusal("${WEIR_UNIT_SHOP_PW}", dir.path()), "config: environment variable WEIR_UNIT_SHOP_PW is not set");
}

TEST(ConnectTool, AnAgentMayNameOnlyPasswordVariablesAndFilesOfTheConfigFolder) {
  test::TempDir dir;
  const std::string references =
      "\"${VAR}\" or {\"env\": VAR} (a variable of the server's environment named *_PASSWORD or *_PW), or "
      "{\"file\": PATH} (a file in the config file's folder)";
  for (const json& reference : {json("${HOME}"), json{{"env", "AWS_SECRET_ACCESS_KEY"}}, json{{"env", "not a name"}}})
    EXPECT_EQ(refusal(reference, dir.path()),
              "permission: connection_params.password: an agent may name only a variable holding a password: " + references)
        << reference;
  const std::string folder = std::filesystem::weakly_canonical(dir.path()).string();
  for (const json& reference : {json{{"file", "../outside.pw"}}, json{{"file", "/etc/hostname"}}, json{{"file", ""}}})
    EXPECT_EQ(refusal(reference, dir.path()),
              "permission: connection_params.password.file: an agent may name only a file in the config file's folder (" +
                  folder + ")")
        << reference;
  for (const json& reference : {json(42), json{{"env", "A_PW"}, {"file", "x"}}, json{{"vault", "x"}}})
    EXPECT_EQ(refusal(reference, dir.path()), "config: connection_params.password: a string, or a reference: " + references)
        << reference;
}

}  // namespace
}  // namespace weir::mcp
