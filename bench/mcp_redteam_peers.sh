#!/usr/bin/env bash
# Safety comparison, not speed: the red-team corpus (tests/mcp/redteam/attacks.json) sent through
# the official MCP SDK client to `weir mcp`, @modelcontextprotocol/server-postgres 0.6.2 and
# @bytebase/dbhub 1.4.0 (read-only mode) on the same PostgreSQL, the fixture made afresh before
# each statement. Prints, per server, how many statements it let through and how many changed
# the database or wrote a file, and the size of its tools/list response. weir's must be 0 and 0.
# The peers are devDependencies of tests/mcp (npm ci there installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
if [ ! -x tests/mcp/node_modules/.bin/mcp-server-postgres ] || [ ! -x tests/mcp/node_modules/.bin/dbhub ]; then
  echo "the peer MCP servers are not installed: run npm ci in tests/mcp" >&2
  exit 1
fi
node tests/mcp/redteam/peers.mjs "$weir" "$WEIR_TEST_PG_URL"
