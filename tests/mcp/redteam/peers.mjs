// The red-team corpus (attacks.json) against weir and two other MCP servers on the same read-only
// PostgreSQL, each driven by the official SDK client:
//   node tests/mcp/redteam/peers.mjs WEIR_BINARY POSTGRES_URL
// (scripts/bench-mcp-peers runs it under the test harness). Before each statement the fixture
// (fixture_postgres.sql) is made afresh; after it, a statement "let through" is one the server
// answered without an error, and one that "changed something" left the fixture's rows, tables
// or sequence different, or wrote a /tmp/weir_redteam_* file. Prints one line per server and
// the size of each server's tools/list response.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import pg from "pg";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = (name) => path.join(here, "..", "node_modules", ".bin", name);
const [weirArg, url] = process.argv.slice(2);
const weir = weirArg && path.resolve(weirArg);
if (!weir || !url) {
  console.error("usage: node peers.mjs WEIR_BINARY POSTGRES_URL");
  process.exit(2);
}
const attacks = JSON.parse(fs.readFileSync(path.join(here, "attacks.json"), "utf8")).statements;
const fixture = fs.readFileSync(path.join(here, "fixture_postgres.sql"), "utf8");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "weir-peers-"));

async function sql(text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function fingerprint() {
  const r = await sql(`SELECT (SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 'rt\\_%' OR tablename = 'pwned')
      || (SELECT coalesce(string_agg(a::text, ';' ORDER BY id), '') FROM rt_accounts a)
      || (SELECT coalesce(string_agg(o::text, ';' ORDER BY id), '') FROM rt_orders o)
      || (SELECT last_value::text || is_called::text FROM rt_seq) AS f`).catch((e) => ({ rows: [{ f: "broken: " + e.message }] }));
  return r.rows[0].f;
}

function writtenFiles() {
  return fs.readdirSync("/tmp").filter((f) => f.startsWith("weir_redteam_")).map((f) => path.join("/tmp", f));
}

fs.writeFileSync(path.join(work, "weir.yaml"), `connections:\n  pg: "${url}"\n`);
fs.writeFileSync(path.join(work, "dbhub.toml"),
  `[[sources]]\nid = "pg"\ndsn = "${url.includes("?") ? url : url + "?sslmode=disable"}"\n\n[[tools]]\nname = "execute_sql"\nsource = "pg"\nreadonly = true\n`);

const servers = [
  { name: "weir mcp", command: weir, args: ["--config", path.join(work, "weir.yaml"), "mcp"], tool: "query", args_of: (s) => ({ connection_name: "pg", sql: s }) },
  { name: "@modelcontextprotocol/server-postgres 0.6.2", command: bin("mcp-server-postgres"), args: [url], tool: "query", args_of: (s) => ({ sql: s }) },
  { name: "@bytebase/dbhub 1.4.0 (readonly)", command: bin("dbhub"), args: ["--transport", "stdio", "--config", path.join(work, "dbhub.toml")], tool: "execute_sql", args_of: (s) => ({ sql: s }) },
];

const lines = [];
for (const server of servers) {
  const transport = new StdioClientTransport({ command: server.command, args: server.args, env: process.env, stderr: "ignore", cwd: work });
  const client = new Client({ name: "weir-peers", version: "1.0.0" });
  await client.connect(transport);
  const tools = await client.listTools();
  const listBytes = Buffer.byteLength(JSON.stringify(tools));
  let through = 0;
  const changed = [];
  for (const statement of attacks) {
    await sql(fixture);
    for (const f of writtenFiles()) fs.rmSync(f, { force: true });
    const before = await fingerprint();
    let ok = false;
    try {
      const result = await client.callTool({ name: server.tool, arguments: server.args_of(statement) }, undefined, { timeout: 20000 });
      ok = !result.isError;
    } catch {
      ok = false;
    }
    if (ok) through++;
    const after = await fingerprint();
    if (after !== before || writtenFiles().length) changed.push(statement.replace(/\s+/g, " ").slice(0, 60));
  }
  await client.close().catch(() => {});
  lines.push({ server: server.name, statements: attacks.length, let_through: through, changed_something: changed.length, tools_list_bytes: listBytes, changed });
}
await sql(fixture);
for (const f of writtenFiles()) fs.rmSync(f, { force: true });
fs.rmSync(work, { recursive: true, force: true });
for (const l of lines)
  console.log(`${l.server.padEnd(46)} ${String(l.let_through).padStart(3)} of ${l.statements} let through, ${String(l.changed_something).padStart(3)} changed something; tools/list ${l.tools_list_bytes} bytes`);
for (const l of lines)
  for (const c of l.changed) console.log(`  ${l.server}: changed by: ${c}`);
