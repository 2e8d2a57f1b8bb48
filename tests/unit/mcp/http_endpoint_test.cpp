// Where `weir mcp --http` listens and whom it lets in: HOST:PORT parsing, loopback, the Host and
// Origin checks against DNS rebinding, the bearer token.
#include "mcp/http_endpoint.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::mcp {
namespace {

TEST(HttpEndpoint, ReadsHostAndPortAndKnowsLoopback) {
  HttpEndpoint v4 = parse_http_endpoint("127.0.0.1:8808");
  EXPECT_EQ(v4.host, "127.0.0.1");
  EXPECT_EQ(v4.port, 8808);
  EXPECT_TRUE(v4.loopback);
  HttpEndpoint v6 = parse_http_endpoint("[::1]:0");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 0);
  EXPECT_TRUE(v6.loopback);
  EXPECT_EQ(to_string(v6), "[::1]:0");
  EXPECT_TRUE(parse_http_endpoint("LocalHost:1").loopback);
  EXPECT_TRUE(parse_http_endpoint("127.8.9.10:65535").loopback);
  EXPECT_FALSE(parse_http_endpoint("0.0.0.0:8808").loopback);
  EXPECT_FALSE(parse_http_endpoint("[::]:8808").loopback);
  EXPECT_FALSE(parse_http_endpoint("mcp.example.com:443").loopback);
}

TEST(HttpEndpoint, RefusesWhatIsNotHostAndPort) {
  for (const char* bad : {"", "8808", "localhost", ":8808", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:80a", "300.1.1.1:80", "::1:80", "[::1]80", "[nonsense]:80", "bad host:80",
                          "under_score:80"}) {
    try {
      parse_http_endpoint(bad);
      ADD_FAILURE() << "accepted `" << bad << "`";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config) << bad;
      EXPECT_NE(std::string(e.what()).find(std::string("--http `") + bad + "`"), std::string::npos) << e.what();
    }
  }
}

TEST(HttpEndpoint, HostAndOriginMustBeThisMachineOnLoopback) {
  HttpEndpoint local = parse_http_endpoint("127.0.0.1:8808");
  EXPECT_EQ(refused_origin(local, "127.0.0.1:8808", ""), "");
  EXPECT_EQ(refused_origin(local, "localhost:8808", "http://localhost:6274"), "");
  EXPECT_EQ(refused_origin(local, "[::1]:8808", "http://[::1]:3000"), "");
  EXPECT_EQ(refused_origin(local, "", ""), "");  // HTTP/1.0: no Host, nothing a browser sends
  EXPECT_EQ(refused_origin(local, "evil.example:8808", ""),
            "Host `evil.example:8808` does not name this machine's loopback, which this server listens on");
  EXPECT_EQ(refused_origin(local, "127.0.0.1:8808", "http://evil.example"),
            "Origin `http://evil.example` may not use this server (only this machine's pages may)");
  EXPECT_NE(refused_origin(local, "127.0.0.1:8808", "null"), "");
  // Beyond loopback the token guards the door; Origin must still be this machine or the server.
  HttpEndpoint shared = parse_http_endpoint("mcp.example.com:443");
  EXPECT_EQ(refused_origin(shared, "mcp.example.com", "https://MCP.example.com"), "");
  EXPECT_NE(refused_origin(shared, "mcp.example.com", "https://other.example.com"), "");
}

TEST(HttpEndpoint, TheBearerTokenMustMatchExactly) {
  const std::string token = "0123456789abcdef0123";
  EXPECT_TRUE(bearer_matches("Bearer 0123456789abcdef0123", token));
  EXPECT_TRUE(bearer_matches("bearer 0123456789abcdef0123", token));
  EXPECT_FALSE(bearer_matches("Bearer 0123456789abcdef012", token));
  EXPECT_FALSE(bearer_matches("Bearer 0123456789abcdef01234", token));
  EXPECT_FALSE(bearer_matches("Bearer 1123456789abcdef0123", token));
  EXPECT_FALSE(bearer_matches("Basic 0123456789abcdef0123", token));
  EXPECT_FALSE(bearer_matches("0123456789abcdef0123", token));
  EXPECT_FALSE(bearer_matches("", token));
  EXPECT_FALSE(bearer_matches("Bearer ", ""));
}

TEST(HttpEndpoint, AcceptAdmitsATypeByNameOrWildcardUnlessWithQZero) {
  const std::string json = "application/json", sse = "text/event-stream";
  EXPECT_TRUE(accepts_media("application/json, text/event-stream", json));
  EXPECT_TRUE(accepts_media("application/json, text/event-stream", sse));
  EXPECT_TRUE(accepts_media("text/event-stream;q=0.9 , Application/JSON", json));
  EXPECT_TRUE(accepts_media("*/*", sse));
  EXPECT_TRUE(accepts_media("application/*", json));
  EXPECT_FALSE(accepts_media("application/*", sse));
  EXPECT_TRUE(accepts_media("", json));
  EXPECT_FALSE(accepts_media("text/html", json));
  EXPECT_FALSE(accepts_media("application/jsonl", json));
  EXPECT_FALSE(accepts_media("application/json;q=0", json));
  EXPECT_FALSE(accepts_media("application/json; q=0.0, text/html", json));
  EXPECT_TRUE(accepts_media("application/json; q=0.5", json));
}

TEST(HttpEndpoint, ContentTypeIsComparedWithoutCaseOrParameters) {
  EXPECT_TRUE(is_media_type("application/json", "application/json"));
  EXPECT_TRUE(is_media_type("Application/JSON; charset=utf-8", "application/json"));
  EXPECT_FALSE(is_media_type("application/json-seq", "application/json"));
  EXPECT_FALSE(is_media_type("text/plain", "application/json"));
  EXPECT_FALSE(is_media_type("", "application/json"));
}

TEST(HttpEndpoint, TheTokenComesFromItsVariableAndIsMaskedFromThenOn) {
  ::setenv("WEIR_UNIT_MCP_TOKEN", "Unit-Token-5d1c7a9e", 1);
  EXPECT_EQ(bearer_token_from_env("WEIR_UNIT_MCP_TOKEN"), "Unit-Token-5d1c7a9e");
  EXPECT_EQ(redact("token Unit-Token-5d1c7a9e here").find("Unit-Token-5d1c7a9e"), std::string::npos);
  ::setenv("WEIR_UNIT_MCP_TOKEN", "has space in it, long enough", 1);
  EXPECT_THROW(bearer_token_from_env("WEIR_UNIT_MCP_TOKEN"), Error);
  ::unsetenv("WEIR_UNIT_MCP_TOKEN");
  EXPECT_THROW(bearer_token_from_env("WEIR_UNIT_MCP_TOKEN"), Error);
}

}  // namespace
}  // namespace weir::mcp
