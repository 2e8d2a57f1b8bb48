#!/usr/bin/env bash
# Benchmark: postgres_cdc `snapshot: initial` (issue 12 item 3) on a harness server.
#   The 1,000,000-row table of ../shared/ANCHORS.md copied from the snapshot a new slot exports
#   into an empty table on the same server (`weir run --once`: postgres_cdc snapshot: initial →
#   sql_apply on_conflict: insert, state in the target), with snapshot_jobs 1, 2 and 4, vs the
#   psql pipe  \copy (SELECT * FROM src) TO STDOUT (FORMAT binary) | \copy dst FROM STDIN (FORMAT binary).
#   Each weir run creates its slot afresh (no state: the snapshot is taken again). Alternating
#   runs, medians of RUNS (default 3), row counts and sums checked; prints both figures, the
#   ratio and weir's peak RSS. JOBS (default "1 2 4") picks the job counts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
jobs_list=${JOBS:-1 2 4}
url=$WEIR_TEST_PG_URL
work=$(mktemp -d)
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$url" "$@" 2>/dev/null; }
trap 'q -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"'"'bench_snap'"'"'" >/dev/null || true; q -c "DROP PUBLICATION IF EXISTS bench_snap" >/dev/null || true; rm -rf "$work"' EXIT

make_pg_source "$url" "$rows"
q -c "DROP PUBLICATION IF EXISTS bench_snap" -c "CREATE PUBLICATION bench_snap FOR TABLE src"

fresh_target() {
  q -c "DROP TABLE IF EXISTS dst" -c "CREATE TABLE dst (LIKE src INCLUDING ALL)" -c "DROP TABLE IF EXISTS weir_state" \
    -c "CHECKPOINT" >/dev/null
}
check() {
  local got
  got=$(q -c "SELECT count(*), sum(id), sum(amount) FROM dst")
  [ "$got" = "$(q -c "SELECT count(*), sum(id), sum(amount) FROM src")" ] || { echo "mismatch in dst: $got" >&2; exit 1; }
}
for j in $jobs_list; do
  cat > "$work/snap$j.yaml" <<YAML
connections:
  pg: { url: "$url" }
pipelines:
  snapshot:
    input:
      postgres_cdc: { connection: pg, slot: bench_snap, publication: bench_snap, tables: [public.src],
                      snapshot: initial, snapshot_jobs: $j }
    output:
      sql_apply: { connection: pg, tables: { public.src: dst }, on_conflict: insert }
    state: { connection: pg }
YAML
done
pipe() {
  psql -X "$url" -c "\\copy (SELECT * FROM src) TO STDOUT (FORMAT binary)" |
    psql -X "$url" -c "\\copy dst FROM STDIN (FORMAT binary)"
}
declare -A weir_times
anchor=()
for ((i = 1; i <= runs; i++)); do
  fresh_target; anchor+=("$(seconds pipe)"); check
  for j in $jobs_list; do
    fresh_target
    weir_times[$j]+="$(seconds_rss "$work/rss$j" "$weir" run --once --progress 0s "$work/snap$j.yaml") "
    check
  done
done
for j in $jobs_list; do
  # shellcheck disable=SC2086
  report "pg_cdc_snapshot snapshot_jobs $j" "$rows" "$(median ${weir_times[$j]})" "$(median "${anchor[@]}")" \
    "psql binary COPY pipe" 0.5 "peak RSS $(max_of "$work/rss$j") MB"
done
