#!/usr/bin/env bash
# Speed of `weir mcp` beside @modelcontextprotocol/server-postgres and @bytebase/dbhub on the
# same PostgreSQL, each with its default settings and driven by the official MCP SDK client
# (tests/mcp/bench_latency.mjs), in RUNS rounds (default 3) with the servers alternating: the
# medians of p50/p95 latency of listing tables, describing one and a 100-row query over CALLS
# calls each (default 50), both figures and the ratio peer/weir; weir's SELECT * over 1,000,000
# rows (time to the first page, truncated; the peers' too with PEER_MILLION=1); each server's
# peak RSS. Goals (issue 15): weir's list and 100-row query at least as fast as both peers
# (ratio >= 1); the 1M-row SELECT answered within 1 s under 128 MB. The load average is printed
# before and after: the machine may be shared.
# The peers are devDependencies of tests/mcp (scripts/install-deps bench installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
if [ ! -x tests/mcp/node_modules/.bin/mcp-server-postgres ] || [ ! -x tests/mcp/node_modules/.bin/dbhub ]; then
  echo "the peer MCP servers are not installed: run scripts/install-deps bench" >&2
  exit 1
fi
uptime
node tests/mcp/bench_latency.mjs "$weir" "$WEIR_TEST_PG_URL" "${CALLS:-50}" "${RUNS:-3}"
uptime
