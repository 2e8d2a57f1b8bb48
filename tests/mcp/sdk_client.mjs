// The official MCP TypeScript SDK as a client of `weir mcp`, for tests/integration/mcp_*_test.cpp:
//   node sdk_client.mjs WEIR CONFIG [CALL …]    CALL: a JSON object {"name": …, "arguments": {…}}
// Starts `WEIR --config CONFIG mcp` over stdio (with the flags of WEIR_TEST_MCP_ARGS, a JSON
// array, after `mcp`), initializes, pings, lists the tools and makes each
// call in order (a "cursor": "$last_cursor" argument is the cursor the last paged result gave);
// prints one JSON object: the server's info, the tools, each call's result or error (see
// calls.mjs for what a CALL may ask besides name and arguments; "close_after_ms" ends the
// server's stdin), and how the server process ended.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { makeCalls } from "./calls.mjs";

const [weir, config, ...calls] = process.argv.slice(2);
// The SDK passes only a few variables to the server by default; weir reads passwords from others.
const flags = process.env.WEIR_TEST_MCP_ARGS ? JSON.parse(process.env.WEIR_TEST_MCP_ARGS) : [];
const transport = new StdioClientTransport({ command: weir, args: ["--config", config, "mcp", ...flags], env: process.env, stderr: "pipe" });
let stderr = "";
transport.stderr?.on("data", (chunk) => { stderr += chunk; });
const client = new Client({ name: "weir-tests", version: "1.0.0" });
await client.connect(transport);
// How the server process ends: by itself (code) or killed by the SDK's close after 2 s (signal).
const serverProcess = transport._process;
const serverExit = new Promise((resolve) => serverProcess.once("exit", (code, signal) => resolve({ code, signal })));
await client.ping();
const report = { server: client.getServerVersion(), tools: (await client.listTools()).tools };
report.calls = await makeCalls(client, calls);
await client.close();
report.server_exit = await serverExit;
report.stderr = stderr;
process.stdout.write(JSON.stringify(report) + "\n");
