#!/usr/bin/env bash
# Benchmark: copy a 1,000,000-row SQLite table into another SQLite file.
#   weir defaults: weir run with what a user writes (sql_poll → sql_write insert, no page,
#                  batch or journal options: WAL, synchronous=full, batches from 5000 rows)
#   weir tuned:    one 10,000,000-row batch, 10,000-row pages, journal_mode=delete
#   anchor:        the sqlite3 CLI, ATTACH + INSERT INTO … SELECT — SQLite copying inside one
#                  process with no values crossing an API: the limit.
#   sync:          `weir sync src.src --to dst.t`, with no options: the same copy made by the
#                  sync command (key ranges, its position in the target).
#   rejected:      the defaults run again into the full target, every row rejected into the
#                  dead letters, against the same run into an empty table (issue 10, item 18).
# All write into the same freshly created table, alternately, RUNS (default 3) times each; the
# medians, their ratio to the anchor (goal ≤ 1.5 for the defaults) and peak RSS are printed, with
# the load average before and after.
# PARTS (default "copy sync rejected") picks parts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
weir=${WEIR:-$PWD/build/weir}
dir=${WEIR_BENCH_DIR:-/tmp/weir-bench}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
parts=${PARTS:-copy sync rejected}
mkdir -p "$dir"
cd "$dir"

make_sqlite_source src.db "$rows"
columns=$sqlite_columns

# copy_yaml FILE DST_URL [PAGE_SIZE_OPTION] [SQL_WRITE_OPTIONS]
copy_yaml() {
  cat > "$1" <<YAML
connections:
  src: "sqlite:src.db?mode=ro"
  dst: "$2"
pipelines:
  copy:
    input:
      sql_poll: { connection: src, query: "SELECT * FROM src"${3:-} }
    output:
      sql_write: { connection: dst, table: t${4:-} }
YAML
}
copy_yaml defaults.yaml "sqlite:dst.db"
copy_yaml tuned.yaml "sqlite:dst.db?journal_mode=delete" ", page_size: 10000" ", batch: { rows: 10000000, interval: 1h }"
cat > sync.yaml <<YAML
connections:
  src: "sqlite:src.db?mode=ro"
  dst: "sqlite:dst.db"
YAML

fresh_target() {
  rm -rf dst.db dst.db-wal dst.db-shm dst.db-journal .weir
  sqlite3 dst.db "CREATE TABLE t($columns);"
  sync
}

check_copy() {
  local got
  got=$(sqlite3 dst.db "SELECT count(*) || ' ' || sum(id) || ' ' || sum(length(attrs)) FROM t")
  [ "$got" = "$(sqlite3 src.db "SELECT count(*) || ' ' || sum(id) || ' ' || sum(length(attrs)) FROM src")" ] || {
    echo "copy mismatch: $got" >&2; exit 1; }
}
# Every row rejected: one dead letter per row, in the default place (.weir/state.db).
check_rejected() {
  check_copy
  local got
  got=$(sqlite3 .weir/state.db "SELECT count(*) || ' ' || count(DISTINCT json_extract(record, '\$.id')) FROM weir_dead_letters")
  [ "$got" = "$rows $rows" ] || { echo "dead letters: $got, expected $rows distinct" >&2; exit 1; }
}
anchor=(sqlite3 dst.db "ATTACH 'src.db' AS s; INSERT INTO t SELECT * FROM s.src;")
has() { [[ " $parts " == *" $1 "* ]]; }

load_before=$(uptime | sed 's/.*load average: //')
defaults=() tuned=() sync=() anchor_times=() empty=() rejected=()
rss=$PWD/rss; : > "$rss.defaults"; : > "$rss.tuned"; : > "$rss.sync"; : > "$rss.anchor"; : > "$rss.rejected"
for ((i = 1; i <= runs; i++)); do
  if has copy || has sync; then
    fresh_target; anchor_times+=("$(seconds_rss "$rss.anchor" "${anchor[@]}")"); check_copy
  fi
  if has copy; then
    fresh_target; defaults+=("$(seconds_rss "$rss.defaults" "$weir" run --progress 0s defaults.yaml)"); check_copy
    fresh_target; tuned+=("$(seconds_rss "$rss.tuned" "$weir" run --progress 0s tuned.yaml)"); check_copy
  fi
  if has sync; then
    fresh_target
    sync+=("$(seconds_rss "$rss.sync" "$weir" --config sync.yaml sync --progress 0s src.src --to dst.t)")
    check_copy
  fi
  if has rejected; then
    fresh_target; empty+=("$(seconds "$weir" run --progress 0s defaults.yaml)"); check_copy
    rm -rf .weir; rejected+=("$(seconds_rss "$rss.rejected" "$weir" run --progress 0s defaults.yaml)"); check_rejected
  fi
done
load_after=$(uptime | sed 's/.*load average: //')
echo "load average (1, 5, 15 min) before: $load_before; after: $load_after"

kinds=()
has copy && kinds+=(defaults tuned)
has sync && kinds+=(sync)
if [ ${#kinds[@]} -gt 0 ]; then
  a=$(median "${anchor_times[@]}")
  for kind in "${kinds[@]}"; do
    declare -n times=$kind
    awk -v k="$kind" -v r="$rows" -v w="$(median "${times[@]}")" -v a="$a" -v m="$(max_of "$rss.$kind")" \
        -v am="$(max_of "$rss.anchor")" 'BEGIN {
      printf "sqlite_copy %s: %d rows  weir %.2f s (%.0f rows/s)  sqlite3 CLI %.2f s (%.0f rows/s)  ratio %.2f (goal <= 1.50)  peak RSS weir %s MB, sqlite3 %s MB\n",
             k, r, w, r / w, a, r / a, w / a, m, am }'
  done
fi
if has rejected; then
  awk -v r="$rows" -v e="$(median "${empty[@]}")" -v x="$(median "${rejected[@]}")" -v m="$(max_of "$rss.rejected")" 'BEGIN {
    printf "sqlite_rejected: %d rows all rejected into dead letters %.2f s (%.0f rows/s), written into an empty table %.2f s: %.1fx the time  peak RSS %s MB\n",
           r, x, r / x, e, x / e, m }'
fi
