// The official MCP TypeScript SDK as a client of `weir mcp --http`, for
// tests/integration/mcp_http_test.cpp:
//   node sdk_http_client.mjs WEIR CONFIG [CALL …]    CALL: as calls.mjs describes
// Starts `WEIR --config CONFIG mcp --http 127.0.0.1:0`, with `--token-env WEIR_TEST_MCP_TOKEN`
// when that variable is set, reads the URL it logs, then
//   - "probes": raw HTTP requests, each one's status, the headers that matter and the JSON-RPC
//     error message: no token, a wrong one, initialize, a request without a session, with an
//     unknown one, with an unsupported MCP-Protocol-Version, GET, a foreign Origin, a rebinding
//     Host, DELETE and a request after it;
//   - "rejected": how the SDK client's connect failed given a wrong token (when there is one);
//   - the SDK client (StreamableHTTPClientTransport) with the token: initialize, ping, the tools,
//     each call; then it ends its session (DELETE) and closes;
// then sends SIGTERM to the server and prints one JSON object with all that, how the server
// exited and what it wrote on stderr.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { makeCalls } from "./calls.mjs";
import { initialize, postHeaders as post, request as requestTo, startWeirHttp, toolsList } from "./http_probe.mjs";

const [weir, config, ...calls] = process.argv.slice(2);
const token = process.env.WEIR_TEST_MCP_TOKEN;
const { server, url, exit: serverExit, stderr } = await startWeirHttp(weir, config, token ? ["--token-env", "WEIR_TEST_MCP_TOKEN"] : []);
const request = (...args) => requestTo(url, ...args);

const auth = token ? { authorization: `Bearer ${token}` } : {};
const probes = {};
if (token) {
  probes.no_token = await request("POST", post, initialize, ["www-authenticate"]);
  probes.wrong_token = await request("POST", { ...post, authorization: "Bearer not-the-token-0000" }, initialize, ["www-authenticate"]);
}
probes.initialize = await request("POST", { ...post, ...auth }, initialize, ["mcp-session-id", "content-type"]);
const session = probes.initialize["mcp-session-id"];
probes.initialize.has_session_id = typeof session === "string" && /^[0-9a-f]{32}$/.test(session);
delete probes.initialize["mcp-session-id"];
const inSession = { ...post, ...auth, "mcp-session-id": session };
probes.initialized = await request("POST", inSession, { jsonrpc: "2.0", method: "notifications/initialized" });
probes.no_session = await request("POST", { ...post, ...auth }, toolsList);
probes.unknown_session = await request("POST", { ...inSession, "mcp-session-id": "0".repeat(32) }, toolsList);
probes.bad_version = await request("POST", { ...inSession, "mcp-protocol-version": "1900-01-01" }, toolsList);
probes.tools_list = await request("POST", { ...inSession, "mcp-protocol-version": "2025-06-18" }, toolsList, ["content-type"]);
probes.tools_list.tool_count = JSON.parse(probes.tools_list.body).result?.tools?.length ?? null;
probes.get = await request("GET", { ...auth, accept: "text/event-stream", "mcp-session-id": session }, null, ["allow"]);
probes.foreign_origin = await request("POST", { ...inSession, origin: "http://evil.example" }, toolsList);
probes.rebinding_host = await request("POST", { ...inSession, host: `evil.example:${url.port}` }, toolsList);
probes.delete = await request("DELETE", { ...auth, "mcp-session-id": session });
probes.after_delete = await request("POST", inSession, toolsList);
for (const probe of Object.values(probes)) if (probe.status !== 200) delete probe.body;
delete probes.initialize.body;
delete probes.tools_list.body;

const report = { url: url.href, probes };
if (token) {
  const client = new Client({ name: "weir-tests", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: "Bearer not-the-token-0000" } } });
  try {
    await client.connect(transport);
    report.rejected = { connected: true };
  } catch (e) {
    report.rejected = { connected: false, code: e.code ?? null, message: e.message };
  }
  await client.close().catch(() => {});
}

const client = new Client({ name: "weir-tests", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: auth } });
await client.connect(transport);
report.session_id_set = typeof transport.sessionId === "string";
report.protocol_version = transport.protocolVersion ?? null;
await client.ping();
report.server = client.getServerVersion();
report.tools = (await client.listTools()).tools;
report.calls = await makeCalls(client, calls);
await transport.terminateSession().catch((e) => { report.terminate_error = e.message; });
await client.close();

server.kill("SIGTERM");
report.server_exit = await serverExit;
report.stderr = stderr();
process.stdout.write(JSON.stringify(report) + "\n");
