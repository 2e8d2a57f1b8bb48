#!/usr/bin/env bash
# Benchmark: two builds of weir on the same work, to show a change costs nothing (issue 11:
# "figures within noise of today's"). Usage: bench/compare_versions.sh BEFORE_WEIR AFTER_WEIR
# (build each with `scripts/build weir weir_bench_enrich`).
# Each runs, alternately, RUNS (default 3) times, with the defaults a user gets:
#   pg_copy:     1,000,000 rows PG → PG, sql_poll → sql_write insert (make_pg_source's table)
#   pg_upsert:   the same rows upserted into a table holding half of them with stale values
#   sqlite_copy: 1,000,000 rows SQLite → SQLite, sql_poll → sql_write insert
# Printed per binary: medians of wall seconds, of weir's CPU seconds (user + sys) and the peak
# RSS. On a shared machine wall time moves with the load; the CPU seconds are the figure to
# compare there (the servers' own work is the same for both binaries).
#   enrich:      bench/enrich.cpp (the sql_call filter over a PostgreSQL lookup table), built
#                beside each weir as weir_bench_enrich; its records/s lines for each binary
#   allocations: heap allocations and bytes per row of the SQLite copy in the steady state
#                (valgrind's count over 400,000 and 1,000,000 rows, the difference divided by
#                600,000: start-up and the warm-up cancel out — batches are allocated until
#                the commit engine's batch has grown to its size and the first ones come back
#                to be reused; over fewer rows the count depends on how many the threads'
#                timing put in flight, e.g. 0.09-0.23 per row between 100,000 and 400,000)
# PARTS (default "time enrich allocations") picks parts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
[ $# -eq 2 ] || { echo "usage: bench/compare_versions.sh BEFORE_WEIR AFTER_WEIR" >&2; exit 2; }
before=$(realpath "$1") after=$(realpath "$2")
rows=${ROWS:-1000000}
runs=${RUNS:-3}
parts=${PARTS:-time enrich allocations}
url=$WEIR_TEST_PG_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_pg_source "$url" "$rows"
mkdir -p "${WEIR_BENCH_DIR:-/tmp/weir-bench}"
make_sqlite_source "${WEIR_BENCH_DIR:-/tmp/weir-bench}/src.db" "$rows"
cp "${WEIR_BENCH_DIR:-/tmp/weir-bench}/src.db" "$work/src.db"

defaults_yaml "$work/pg_copy.yaml" "$url"
cat > "$work/pg_upsert.yaml" <<YAML
connections:
  pg: { url: "$url" }
pipelines:
  upsert:
    input: { sql_poll: { connection: pg, query: "SELECT * FROM src" } }
    output: { sql_write: { connection: pg, table: dst, mode: upsert, key: [id] } }
YAML
cat > "$work/sqlite_copy.yaml" <<YAML
connections:
  src: "sqlite:$work/src.db?mode=ro"
  dst: "sqlite:$work/dst.db"
pipelines:
  copy:
    input: { sql_poll: { connection: src, query: "SELECT * FROM src" } }
    output: { sql_write: { connection: dst, table: t } }
YAML

prepare() {
  rm -rf "$work/.weir"
  case $1 in
    pg_copy) psql -X -q "$url" -c "DROP TABLE IF EXISTS dst" -c "CREATE TABLE dst (LIKE src INCLUDING ALL)" \
               -c "CHECKPOINT" 2>/dev/null ;;
    pg_upsert) psql -X -q "$url" -c "DROP TABLE IF EXISTS dst" -c "CREATE TABLE dst (LIKE src INCLUDING ALL)" \
                 -c "INSERT INTO dst SELECT id, name, email, -1, 0, created_at, active, attrs FROM src WHERE id % 2 = 0" \
                 -c "VACUUM ANALYZE dst" -c "CHECKPOINT" 2>/dev/null ;;
    sqlite_copy) rm -f "$work"/dst.db*; sqlite3 "$work/dst.db" "CREATE TABLE t($sqlite_columns);" ;;
  esac
  sync
}
check() {
  local got want
  case $1 in
    sqlite_copy) got=$(sqlite3 "$work/dst.db" "SELECT count(*) || ' ' || sum(id) || ' ' || sum(qty) FROM t")
                 want=$(sqlite3 "$work/src.db" "SELECT count(*) || ' ' || sum(id) || ' ' || sum(qty) FROM src") ;;
    *) got=$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(qty), sum(amount) FROM dst")
       want=$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(qty), sum(amount) FROM src") ;;
  esac
  [ "$got" = "$want" ] || { echo "$1: target differs from source: $got vs $want" >&2; exit 1; }
}
# measure WORK BINARY: one run; appends "wall cpu rss_mb" to $work/WORK.BINARY-NAME.
measure() {
  local t; t=$(mktemp)
  prepare "$1"
  (cd "$work" && /usr/bin/time -f "%e %U %S %M" -o "$t" "$2" run --once --progress 0s "$work/$1.yaml" >/dev/null)
  check "$1"
  awk '{ printf "%.2f %.2f %.1f\n", $1, $2 + $3, $4 / 1024 }' "$t" >>"$work/$1.$3"; rm -f "$t"
}
column_median() { median $(awk -v c="$2" '{ print $c }' "$1"); }

has() { [[ " $parts " == *" $1 "* ]]; }

# heap_usage BINARY ROWS: "allocs bytes" valgrind counts for the SQLite copy of the first ROWS rows.
heap_usage() {
  sed "s|SELECT \* FROM src|SELECT * FROM src WHERE id <= $2|" "$work/sqlite_copy.yaml" > "$work/heap.yaml"
  prepare sqlite_copy
  (cd "$work" && valgrind "$1" run --once --progress 0s "$work/heap.yaml" 2>&1 >/dev/null) |
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs, [0-9,]* frees, \([0-9,]*\) bytes.*/\1 \2/p' | tr -d ,
}
if has allocations; then
  for side in before after; do
    declare -n bin=$side
    read -r a1 b1 < <(heap_usage "$bin" 400000)
    read -r a2 b2 < <(heap_usage "$bin" 1000000)
    awk -v s="$side" -v a=$(( a2 - a1 )) -v b=$(( b2 - b1 )) -v n=600000 \
      'BEGIN { printf "allocations %s: %.2f heap allocations and %.0f bytes per row (SQLite copy)\n", s, a / n, b / n }'
  done
fi
if has enrich; then
  for ((i = 1; i <= runs; i++)); do
    for side in before after; do
      declare -n bin=$side
      "$(dirname "$bin")/weir_bench_enrich" "$url" 1000000 10000 20000 5000 | sed "s/^/enrich $side: /"
    done
  done
fi
has time || exit 0

uptime >&2
for kind in pg_copy pg_upsert sqlite_copy; do
  for ((i = 1; i <= runs; i++)); do
    measure "$kind" "$before" before
    measure "$kind" "$after" after
  done
  line="$kind: $rows rows"
  for side in before after; do
    f="$work/$kind.$side"
    line+="  $side wall $(column_median "$f" 1) s cpu $(column_median "$f" 2) s rss $(max_of <(awk '{ print $3 }' "$f")) MB"
  done
  b=$(column_median "$work/$kind.before" 2) a=$(column_median "$work/$kind.after" 2)
  echo "$line  cpu after/before $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
uptime >&2
