// The official MCP TypeScript SDK as a client of `weir mcp`, for tests/integration/mcp_sdk_test.cpp:
//   node sdk_client.mjs WEIR CONFIG [CALL …]    CALL: a JSON object {"name": …, "arguments": {…}}
// Starts `WEIR --config CONFIG mcp` over stdio, initializes, pings, lists the tools and makes each
// call in order (a "cursor": "$last_cursor" argument is the cursor the last paged result gave);
// prints one JSON object: the server's info, the tools, and each call's result or error.
// The SDK checks every structuredContent against the tool's outputSchema.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [weir, config, ...calls] = process.argv.slice(2);
// The SDK passes only a few variables to the server by default; weir reads passwords from others.
const transport = new StdioClientTransport({ command: weir, args: ["--config", config, "mcp"], env: process.env, stderr: "pipe" });
let stderr = "";
transport.stderr?.on("data", (chunk) => { stderr += chunk; });
const client = new Client({ name: "weir-tests", version: "1.0.0" });
await client.connect(transport);
await client.ping();
const report = { server: client.getServerVersion(), tools: (await client.listTools()).tools, calls: [] };
let lastCursor = null;
for (const call of calls) {
  const request = JSON.parse(call);
  // "$last_cursor" stands for the cursor of the last result that gave one (paging).
  if (request.arguments?.cursor === "$last_cursor") request.arguments.cursor = lastCursor ?? "none";
  try {
    const result = await client.callTool(request);
    if (result.structuredContent?.cursor) lastCursor = result.structuredContent.cursor;
    report.calls.push({ result });
  } catch (e) {
    report.calls.push({ error: { code: e.code ?? null, message: e.message } });
  }
}
await client.close();
report.stderr = stderr;
process.stdout.write(JSON.stringify(report) + "\n");
