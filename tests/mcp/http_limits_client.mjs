// Raw HTTP probes of `weir mcp --http`'s limits, for tests/integration/mcp_http_test.cpp:
//   node http_limits_client.mjs WEIR CONFIG
// Starts `WEIR --config CONFIG mcp --http 127.0.0.1:0 --max-sessions 2 --session-idle 2s`, then:
//   - the media types: a POST that is not application/json (415), one whose Accept admits neither
//     application/json nor text/event-stream (406), and the Accept forms served (JSON only,
//     event stream only, a wildcard, none at all);
//   - the session cap: two sessions open, a third initialize refused (503), then opened once one
//     of the two is ended (DELETE);
//   - idle expiry: one session used every 500 ms, another left alone; 3.5 s later the idle one is
//     gone (404) and the busy one still answers;
// then sends SIGTERM and prints one JSON object: each probe's status and message, how the server
// exited and what it wrote on stderr.
import { initialize, postHeaders as post, request as requestTo, startWeirHttp, toolsList } from "./http_probe.mjs";

const [weir, config] = process.argv.slice(2);
const { server, url, exit, stderr } = await startWeirHttp(weir, config, ["--max-sessions", "2", "--session-idle", "2s"]);
const request = (...args) => requestTo(url, ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const summary = ({ status, message }) => ({ status, message });
const open = async () => {
  const r = await request("POST", post, initialize, ["mcp-session-id"]);
  return { ...summary(r), id: r["mcp-session-id"] };
};
const list = (id, headers = post) => request("POST", { ...headers, "mcp-session-id": id }, toolsList, ["content-type"]);

const report = { media: {}, cap: {}, idle: {} };
const first = await open();
report.media.text_plain = summary(await request("POST", { ...post, "content-type": "text/plain", "mcp-session-id": first.id }, toolsList));
report.media.html_only = summary(await request("POST", { ...post, accept: "text/html", "mcp-session-id": first.id }, toolsList));
report.media.q_zero = summary(await request("POST", { ...post, accept: "application/json;q=0, text/event-stream;q=0", "mcp-session-id": first.id }, toolsList));
for (const [name, accept] of [["json_only", "application/json"], ["sse_only", "text/event-stream"], ["wildcard", "*/*"],
                              ["application_wildcard", "application/*"]]) {
  const r = await list(first.id, { ...post, accept });
  report.media[name] = { status: r.status, "content-type": r["content-type"] };
}
const noAccept = { ...post };
delete noAccept.accept;
report.media.no_accept = summary(await list(first.id, noAccept));
report.media.charset = summary(await list(first.id, { ...post, "content-type": "Application/JSON; charset=utf-8" }));

const second = await open();
const third = await open();
report.cap.first = { status: first.status, has_id: typeof first.id === "string" };
report.cap.second = { status: second.status, has_id: typeof second.id === "string" };
report.cap.third = { status: third.status, message: third.message, has_id: typeof third.id === "string" };
report.cap.delete_first = summary(await request("DELETE", { "mcp-session-id": first.id }));
const fourth = await open();
report.cap.after_delete = { status: fourth.status, has_id: typeof fourth.id === "string" };

// `second` is left alone; `fourth` is used every 500 ms.
for (let i = 0; i < 7; i++) {
  await sleep(500);
  const r = await list(fourth.id);
  if (r.status !== 200) report.idle.busy_failed = summary(r);
}
report.idle.idle_session = summary(await list(second.id));
report.idle.busy_session = summary(await list(fourth.id));
report.idle.new_session = { status: (await open()).status };

server.kill("SIGTERM");
report.server_exit = await exit;
report.stderr = stderr();
process.stdout.write(JSON.stringify(report) + "\n");
