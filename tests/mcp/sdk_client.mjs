// The official MCP TypeScript SDK as a client of `weir mcp`, for tests/integration/mcp_*_test.cpp:
//   node sdk_client.mjs WEIR CONFIG [CALL …]    CALL: a JSON object {"name": …, "arguments": {…}}
// Starts `WEIR --config CONFIG mcp` over stdio, initializes, pings, lists the tools and makes each
// call in order (a "cursor": "$last_cursor" argument is the cursor the last paged result gave);
// prints one JSON object: the server's info, the tools, each call's result or error, and how the
// server process ended. The SDK checks every structuredContent against the tool's outputSchema.
// A CALL may also carry, beside name and arguments:
//   "progress": true            ask for progress notifications (recorded in the call's "progress")
//   "cancel_after_ms": N        cancel the call (notifications/cancelled) after N ms
//   "cancel_on_progress": true  cancel it when its first progress notification comes
//   "close_after_ms": N         close the connection (end the server's stdin) N ms into the call
//   "timeout_ms": N             fail the call when no answer comes within N ms (SDK default 60 s)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [weir, config, ...calls] = process.argv.slice(2);
// The SDK passes only a few variables to the server by default; weir reads passwords from others.
const transport = new StdioClientTransport({ command: weir, args: ["--config", config, "mcp"], env: process.env, stderr: "pipe" });
let stderr = "";
transport.stderr?.on("data", (chunk) => { stderr += chunk; });
const client = new Client({ name: "weir-tests", version: "1.0.0" });
await client.connect(transport);
// How the server process ends: by itself (code) or killed by the SDK's close after 2 s (signal).
const serverProcess = transport._process;
const serverExit = new Promise((resolve) => serverProcess.once("exit", (code, signal) => resolve({ code, signal })));
await client.ping();
const report = { server: client.getServerVersion(), tools: (await client.listTools()).tools, calls: [] };
let lastCursor = null;
for (const call of calls) {
  const { progress, cancel_after_ms, cancel_on_progress, close_after_ms, timeout_ms, ...request } = JSON.parse(call);
  // "$last_cursor" stands for the cursor of the last result that gave one (paging).
  if (request.arguments?.cursor === "$last_cursor") request.arguments.cursor = lastCursor ?? "none";
  const abort = new AbortController();
  const options = { signal: abort.signal };
  if (timeout_ms) options.timeout = timeout_ms;
  const entry = {};
  if (progress || cancel_on_progress) {
    entry.progress = [];
    options.onprogress = (p) => {
      entry.progress.push(p);
      if (cancel_on_progress) abort.abort("cancelled on progress");
    };
  }
  if (cancel_after_ms) setTimeout(() => abort.abort("cancelled by the test"), cancel_after_ms);
  if (close_after_ms) setTimeout(() => client.close(), close_after_ms);
  const started = Date.now();
  try {
    const result = await client.callTool(request, undefined, options);
    if (result.structuredContent?.cursor) lastCursor = result.structuredContent.cursor;
    entry.result = result;
  } catch (e) {
    entry.error = { code: e.code ?? null, message: e.message };
  }
  entry.elapsed_ms = Date.now() - started;
  report.calls.push(entry);
}
await client.close();
report.server_exit = await serverExit;
report.stderr = stderr;
process.stdout.write(JSON.stringify(report) + "\n");
