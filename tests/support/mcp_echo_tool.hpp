// The tool served by the MCP protocol's unit tests and the mcp_rpc fuzz target: shaped like the
// real ones (a required string, an integer and an enum; no other argument), echoing its text, and
// failing as a query does when the text is "fail".
#pragma once

#include <nlohmann/json.hpp>

#include "mcp/tool.hpp"
#include "weir/error.hpp"

namespace weir::mcp::test {

inline Tool echo_tool() {
  using nlohmann::json;
  return Tool{
      .name = "echo",
      .description = "Says the text again.",
      .input_schema = {{"type", "object"},
                       {"properties", {{"text", {{"type", "string"}}},
                                       {"times", {{"type", "integer"}}},
                                       {"mode", {{"type", "string"}, {"enum", {"plain", "loud"}}}}}},
                       {"required", {"text"}},
                       {"additionalProperties", false}},
      .output_schema = {{"type", "object"}, {"properties", {{"said", {{"type", "string"}}}}}},
      .annotations = {{"readOnlyHint", true}},
      .call =
          [](const json& args, const CallContext&) {
            std::string text = args["text"];
            if (text == "fail") throw Error(ErrorKind::syntax, "table `nope` does not exist");
            return ToolOutput{json{{"said", text}}, text};
          },
  };
}

}  // namespace weir::mcp::test
