#!/usr/bin/env bash
# Benchmark: memory of a long pipeline run. 10,000,000 rows SQLite → SQLite through
# `weir run --once` with an incremental cursor (keyset pages, checkpoints after each commit) and
# the defaults a user gets (no page or batch options: 5000-row pages, batches growing up to
# 50,000 rows while rows arrive quickly), against the sqlite3 CLI copying the same rows
# (ATTACH + INSERT … SELECT) in the same run.
# Prints both times, the ratio, and weir's peak RSS (goal: under 256 MB whatever the size).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-10000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sqlite3 "$work/src.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, amount NUMERIC, note TEXT);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $rows)
INSERT INTO events SELECT n, datetime(1600000000 + n, 'unixepoch'), 'kind' || (n % 17), n * 0.25,
  CASE WHEN n % 5 = 0 THEN NULL ELSE 'note ' || n || ' é' END FROM g;
SQL
schema="CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, amount NUMERIC, note TEXT);"

cat > "$work/p.yaml" <<YAML
connections:
  src: "sqlite:src.db"
  dst: "sqlite:dst.db"
pipelines:
  events:
    input:
      sql_poll:
        connection: src
        query: "SELECT * FROM events WHERE {{cursor}} ORDER BY id"
        cursor: { columns: [id] }
    output:
      sql_write: { connection: dst, table: events }
    state: { connection: dst }
YAML

rss="$work/rss"
sqlite3 "$work/dst.db" "$schema"
weir_s=$(seconds_rss "$rss" "$weir" run --once --progress 0s "$work/p.yaml")
weir_rss=$(max_of "$rss")
[ "$(sqlite3 "$work/dst.db" "SELECT count(*), sum(id) FROM events")" = \
  "$(sqlite3 "$work/src.db" "SELECT count(*), sum(id) FROM events")" ] || { echo "weir copy mismatch" >&2; exit 1; }

rm -f "$work/dst.db"* "$rss"
sqlite3 "$work/dst.db" "$schema"
anchor_s=$(seconds_rss "$rss" sqlite3 "$work/dst.db" "ATTACH '$work/src.db' AS s; INSERT INTO events SELECT * FROM s.events;")
anchor_rss=$(max_of "$rss")
report pipeline_rss "$rows" "$weir_s" "$anchor_s" "sqlite3 CLI INSERT…SELECT" "n/a, memory is the goal" \
  "peak RSS weir ${weir_rss} MB (goal < 256), sqlite3 ${anchor_rss} MB"
