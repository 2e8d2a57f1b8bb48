#!/usr/bin/env bash
# Benchmark: PostgreSQL, 1,000,000 rows (the table of ../shared/ANCHORS.md), on a harness server.
#   weir run --once of an incremental sql_poll (cursor [created_at, id], an index on them, the
#   default page size) from the first row to the end, written to a table on the same server, with
#   the transaction horizon (the default: each run reads the oldest running transaction and the
#   first row of a later one, each page bounds rows by their xmin) vs `horizon: false` (the plain
#   keyset poll). Goal: the horizon costs at most 1.1× the plain poll (issue 17).
# Alternating runs, medians of RUNS (default 3), row counts and sums checked; prints both figures
# and the ratio, with the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
url=$WEIR_TEST_PG_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_pg_source "$url" "$rows"
psql -X -q "$url" -c "CREATE INDEX src_cursor ON src (created_at, id)" -c "ANALYZE src" 2>/dev/null

poll_yaml() {
  cat > "$work/$1.yaml" <<YAML
connections:
  pg: { url: "$url" }
pipelines:
  poll:
    input:
      sql_poll:
        connection: pg
        query: "SELECT * FROM src WHERE {{cursor}} ORDER BY created_at, id"
        cursor: { columns: [created_at, id], horizon: $2 }
    output: { sql_write: { connection: pg, table: dst } }
YAML
}
poll_yaml horizon true
poll_yaml plain false

# A fresh target and no checkpoint: each run reads every row from the first.
one_run() {
  psql -X -q "$url" -c "DROP TABLE IF EXISTS dst" -c "CREATE TABLE dst (LIKE src INCLUDING ALL)" 2>/dev/null
  rm -rf "$work/.weir"
  (cd "$work" && seconds "$weir" run --once --progress 0s "$1.yaml")
  local got
  got=$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(amount) FROM dst")
  [ "$got" = "$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(amount) FROM src")" ] || {
    echo "mismatch after $1: $got" >&2; exit 1; }
}

horizon=() plain=()
for ((i = 0; i < runs; i++)); do
  plain+=("$(one_run plain)")
  horizon+=("$(one_run horizon)")
done
h=$(median "${horizon[@]}") p=$(median "${plain[@]}")
awk -v r="$rows" -v h="$h" -v p="$p" 'BEGIN {
  printf "pg_poll_horizon: %d rows  horizon %.2f s (%.0f rows/s)  plain keyset %.2f s (%.0f rows/s)  horizon/plain time %.2f (goal <= 1.1)\n",
         r, h, r / h, p, r / p, h / p }'
echo "load average (1, 5, 15 min): $(cut -d" " -f1-3 /proc/loadavg)"
