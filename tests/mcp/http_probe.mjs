// What the Streamable HTTP test clients share: starting `weir mcp --http 127.0.0.1:0` and
// reading the URL it logs, and raw HTTP requests (status, chosen headers, JSON-RPC error message).
import { spawn } from "node:child_process";
import http from "node:http";

// Starts WEIR --config CONFIG mcp --http 127.0.0.1:0 ARGS…; resolves to { server, url, exit, stderr() }.
export async function startWeirHttp(weir, config, args = []) {
  const server = spawn(weir, ["--config", config, "mcp", "--http", "127.0.0.1:0", ...args],
                       { env: process.env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const exit = new Promise((resolve) => server.once("exit", (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL logged within 15 s: ${stderr}`)), 15000);
    server.stderr.on("data", (chunk) => {
      stderr += chunk;
      const found = /serving on (http:\/\/\S+)/.exec(stderr);
      if (found) { clearTimeout(timer); resolve(new URL(found[1])); }
    });
    server.once("exit", () => { clearTimeout(timer); reject(new Error(`weir exited: ${stderr}`)); });
  });
  return { server, url, exit, stderr: () => stderr };
}

// One raw request to `url`: its status, the response headers named in `keep`, the JSON-RPC error
// message (null when none) and the body.
export function request(url, method, headers, body, keep = []) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = "";
      res.on("data", (chunk) => { text += chunk; });
      res.on("end", () => {
        const out = { status: res.statusCode };
        for (const name of keep) out[name] = res.headers[name] ?? null;
        try { out.message = JSON.parse(text).error?.message ?? null; } catch { out.message = null; }
        out.body = text;
        resolve(out);
      });
    });
    req.on("error", reject);
    if (body) req.end(typeof body === "string" ? body : JSON.stringify(body)); else req.end();
  });
}

export const initialize = { jsonrpc: "2.0", id: 1, method: "initialize",
                            params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "probe", version: "1" } } };
export const toolsList = { jsonrpc: "2.0", id: 2, method: "tools/list" };
export const postHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" };
