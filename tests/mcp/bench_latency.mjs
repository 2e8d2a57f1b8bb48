// Speed of MCP servers on the same PostgreSQL, each driven by the official SDK client over stdio:
//   node tests/mcp/bench_latency.mjs WEIR_BINARY POSTGRES_URL CALLS RUNS
// (bench/mcp_latency.sh runs it under the test harness). For `weir mcp`,
// @modelcontextprotocol/server-postgres and @bytebase/dbhub, each with its default settings, in
// RUNS rounds (the servers' order rotating from one round to the next, so that none always runs
// first or last on a loaded machine): p50/p95 latency (ms) over CALLS calls of listing the
// tables, describing one, and a 100-row query; weir's SELECT * over 1,000,000 rows (the time to
// its first page, its size; the peers' too with PEER_MILLION=1: they read the whole result into
// memory); and each server's peak RSS (VmHWM of its process). Prints, per measure, the median
// over the rounds of weir's figure and each peer's, and the ratio peer/weir (>= 1: weir at least
// as fast); then the peak RSS and the tools/list sizes.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import pg from "pg";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = (name) => path.join(here, "node_modules", ".bin", name);
const [weirArg, url, callsArg, runsArg] = process.argv.slice(2);
const weir = weirArg && path.resolve(weirArg);
const calls = Number(callsArg || 50);
const runs = Number(runsArg || 3);
const peerMillion = process.env.PEER_MILLION === "1";
if (!weir || !url) {
  console.error("usage: node bench_latency.mjs WEIR_BINARY POSTGRES_URL [CALLS] [RUNS]");
  process.exit(2);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), "weir-mcp-bench-"));

async function sql(text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

// 100 columns-wide enough rows for the 100-row query, and 1,000,000 for SELECT * (made once).
await sql(`CREATE TABLE IF NOT EXISTS mcp_bench_orders AS
  SELECT g AS id, 'customer ' || (g % 997) AS customer, (g * 7919 % 100000) / 100.0 AS amount,
         timestamp '2024-01-01' + g * interval '1 minute' AS created_at, g % 3 = 0 AS shipped
  FROM generate_series(1, 1000) g`);
const big = await sql("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'mcp_bench_big'");
if (big.rows[0].n === 0)
  await sql(`CREATE TABLE mcp_bench_big AS SELECT g AS id, md5(g::text) AS digest, g % 1000 AS bucket
             FROM generate_series(1, 1000000) g; ANALYZE mcp_bench_big`);

fs.writeFileSync(path.join(work, "weir.yaml"), `connections:\n  pg: "${url}"\n`);
const dsn = url.includes("?") ? url : url + "?sslmode=disable";
fs.writeFileSync(path.join(work, "dbhub.toml"),
  `[[sources]]\nid = "pg"\ndsn = "${dsn}"\n\n[[tools]]\nname = "execute_sql"\nsource = "pg"\nreadonly = true\n\n[[tools]]\nname = "search_objects"\nsource = "pg"\n`);
const hundred = "SELECT * FROM mcp_bench_orders ORDER BY id LIMIT 100";

// Each server's way to list tables, describe one and run SQL.
const servers = [
  {
    name: "weir mcp", command: weir, args: ["--config", path.join(work, "weir.yaml"), "mcp"],
    list: (c) => c.callTool({ name: "list_remote_tables", arguments: { connection_name: "pg" } }),
    describe: (c) => c.callTool({ name: "describe_remote_table", arguments: { connection_name: "pg", table_name: "mcp_bench_orders", include_sample: false } }),
    query: (c, s) => c.callTool({ name: "query", arguments: { connection_name: "pg", sql: s } }, undefined, { timeout: 600000 }),
  },
  {
    name: "@modelcontextprotocol/server-postgres", command: bin("mcp-server-postgres"), args: [url],
    list: (c) => c.listResources(),
    describe: async (c) => {
      const { resources } = await c.listResources();
      const table = resources.find((r) => r.name.includes("mcp_bench_orders"));
      return c.readResource({ uri: table.uri });
    },
    query: (c, s) => c.callTool({ name: "query", arguments: { sql: s } }, undefined, { timeout: 600000 }),
  },
  {
    name: "@bytebase/dbhub", command: bin("dbhub"), args: ["--transport", "stdio", "--config", path.join(work, "dbhub.toml")],
    // Its cheapest listing (names only; its "summary" counts each table's rows).
    list: (c) => c.callTool({ name: "search_objects", arguments: { object_type: "table", pattern: "%" } }),
    describe: (c) => c.callTool({ name: "search_objects", arguments: { object_type: "column", schema: "public", table: "mcp_bench_orders", detail_level: "full" } }),
    query: (c, s) => c.callTool({ name: "execute_sql", arguments: { sql: s } }, undefined, { timeout: 600000 }),
  },
];

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(fn) {
  const started = process.hrtime.bigint();
  const result = await fn();
  if (result?.isError) throw new Error(JSON.stringify(result.content).slice(0, 300));
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

function peakRssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}

const measures = ["list tables", "describe table", "100-row query"];

// One round of one server: its figures, or { error }.
async function measureServer(server, million) {
  const transport = new StdioClientTransport({ command: server.command, args: server.args, env: process.env, stderr: "pipe", cwd: work });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => { stderr += chunk; });
  const client = new Client({ name: "weir-bench", version: "1.0.0" });
  const out = {};
  try {
    await client.connect(transport);
    out.tools_list_bytes = Buffer.byteLength(JSON.stringify(await client.listTools()));
    for (const [measure, fn] of [[measures[0], () => server.list(client)], [measures[1], () => server.describe(client)],
                                 [measures[2], () => server.query(client, hundred)]]) {
      for (let i = 0; i < 5; i++) await timed(fn);  // warm-up: connections made, plans cached
      const times = [];
      for (let i = 0; i < calls; i++) times.push((await timed(fn)).ms);
      times.sort((a, b) => a - b);
      out[measure] = { p50: percentile(times, 50), p95: percentile(times, 95) };
    }
    if (million) {
      const { ms, result } = await timed(() => server.query(client, "SELECT * FROM mcp_bench_big"));
      out.million = { ms, answer_bytes: Buffer.byteLength(JSON.stringify(result)), truncated: result.structuredContent?.truncated ?? null };
    }
    out.peak_rss_mb = peakRssMb(transport.pid);
  } catch (e) {
    out.error = `${e.message.slice(0, 300)} ${stderr.slice(-300)}`;
  }
  await client.close().catch(() => {});
  return out;
}

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined && v !== null).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
};
const rounds = servers.map(() => []);
for (let round = 0; round < runs; round++)
  for (let k = 0; k < servers.length; k++) {
    const i = (k + round) % servers.length;
    rounds[i].push(await measureServer(servers[i], i === 0 || peerMillion));
  }
fs.rmSync(work, { recursive: true, force: true });

const ms = (v) => (v === null ? "   failed" : `${v.toFixed(2).padStart(7)} ms`);
const of = (i, measure, p) => median(rounds[i].map((r) => r[measure]?.[p]));
for (let i = 0; i < servers.length; i++)
  for (const r of rounds[i]) if (r.error) console.log(`${servers[i].name}: a round failed: ${r.error}`);
console.log(`medians of ${runs} rounds of ${calls} calls each (servers alternating), p50 / p95:`);
for (const measure of measures) {
  const weirP50 = of(0, measure, "p50"), weirP95 = of(0, measure, "p95");
  for (let i = 1; i < servers.length; i++) {
    const p50 = of(i, measure, "p50"), p95 = of(i, measure, "p95");
    const ratio = (a, b) => (a === null || b === null ? "  -  " : (a / b).toFixed(2));
    console.log(`${measure.padEnd(15)} weir ${ms(weirP50)} / ${ms(weirP95)}   ${servers[i].name.padEnd(38)} ${ms(p50)} / ${ms(p95)}   ` +
                `peer/weir p50 ${ratio(p50, weirP50)}  p95 ${ratio(p95, weirP95)}  (goal >= 1)`);
  }
}
for (let i = 0; i < servers.length; i++) {
  const million = rounds[i].map((r) => r.million).filter(Boolean);
  if (million.length)
    console.log(`${servers[i].name.padEnd(38)} SELECT * 1M rows: ${median(million.map((m) => m.ms)).toFixed(0)} ms to the answer ` +
                `(median of ${million.length}; goal <= 1000 ms), ${(median(million.map((m) => m.answer_bytes)) / 1024).toFixed(0)} KB, ` +
                `truncated ${million[0].truncated}`);
  else if (i > 0 && !peerMillion) console.log(`${servers[i].name.padEnd(38)} SELECT * 1M rows: not run (PEER_MILLION=1 runs it)`);
}
for (let i = 0; i < servers.length; i++)
  console.log(`${servers[i].name.padEnd(38)} peak RSS ${median(rounds[i].map((r) => r.peak_rss_mb))?.toFixed(1) ?? "-"} MB (median of rounds` +
              `${i === 0 ? "; goal < 128 MB" : ""})   tools/list ${median(rounds[i].map((r) => r.tools_list_bytes)) ?? "-"} bytes`);
