// The calls a test asks an SDK client to make, in order, for sdk_client.mjs (stdio) and
// sdk_http_client.mjs (Streamable HTTP). Each CALL is a JSON object {"name": …, "arguments": {…}}
// (a "cursor": "$last_cursor" argument is the cursor the last paged result gave) and may carry:
//   "progress": true            ask for progress notifications (recorded in the call's "progress")
//   "cancel_after_ms": N        cancel the call (notifications/cancelled) after N ms
//   "cancel_on_progress": true  cancel it when its first progress notification comes
//   "close_after_ms": N         close the connection N ms into the call
//   "timeout_ms": N             fail the call when no answer comes within N ms (SDK default 60 s)
//   "ping_after_ms": N          ping the server N ms into the call (its answer time in "ping_ms")
//   "then_wait_ms": N           wait N ms once it is over (the server keeps running meanwhile)
// Returns one entry per call: its result or error, progress, and elapsed_ms. The SDK checks every
// structuredContent against the tool's outputSchema.
export async function makeCalls(client, calls) {
  const entries = [];
  let lastCursor = null;
  for (const call of calls) {
    const { progress, cancel_after_ms, cancel_on_progress, close_after_ms, timeout_ms, then_wait_ms, ping_after_ms,
            ...request } = JSON.parse(call);
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
    let ping = null;
    if (ping_after_ms) {
      ping = new Promise((resolve) => setTimeout(resolve, ping_after_ms)).then(async () => {
        const sent = Date.now();
        await client.ping().then(() => { entry.ping_ms = Date.now() - sent; }, (e) => { entry.ping_error = e.message; });
      });
    }
    const started = Date.now();
    try {
      const result = await client.callTool(request, undefined, options);
      if (result.structuredContent?.cursor) lastCursor = result.structuredContent.cursor;
      entry.result = result;
    } catch (e) {
      entry.error = { code: e.code ?? null, message: e.message };
    }
    entry.elapsed_ms = Date.now() - started;
    await ping;
    entries.push(entry);
    if (then_wait_ms) await new Promise((resolve) => setTimeout(resolve, then_wait_ms));
  }
  return entries;
}
