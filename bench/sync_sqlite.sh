#!/usr/bin/env bash
# Benchmark: weir sync of the pipelines benchmark table (bench/lib.sh make_pg_source; ROWS,
# default 1,000,000) PostgreSQL → SQLite, vs the shell pipe a user would write
#   psql -c "\copy (SELECT * FROM src) TO STDOUT (FORMAT csv)" | sqlite3 DB ".import --csv /dev/stdin src"
# into a table of the same columns (weir: no table, which it creates with exact types); medians
# of RUNS (default 3), row counts and sums checked. Then, unless RSS_ROWS=0, weir's peak RSS
# syncing RSS_ROWS rows (default 10,000,000; goal ≤ 256 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
rss_rows=${RSS_ROWS:-10000000}
url=$WEIR_TEST_PG_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/weir.yaml" <<YAML
connections:
  src: "$url"
  dst: "sqlite:$work/dst.db"
YAML

fresh_target() {
  rm -f "$work/dst.db" "$work/dst.db-wal" "$work/dst.db-shm"
  if [ "$1" = created ]; then sqlite3 "$work/dst.db" "CREATE TABLE src ($sqlite_columns)"; fi
}
check() {
  local got want
  got=$(sqlite3 "$work/dst.db" "SELECT count(*), sum(id) FROM src")
  want=$(psql -X -tA -F'|' "$url" -c "SELECT count(*), sum(id) FROM src")
  [ "$got" = "$want" ] || { echo "mismatch: $got, want $want" >&2; exit 1; }
}
pipe() {
  psql -X "$url" -c "\\copy (SELECT * FROM src) TO STDOUT (FORMAT csv)" |
    sqlite3 "$work/dst.db" ".import --csv /dev/stdin src"
}
sync() { seconds_rss "$work/rss" "$weir" --config "$work/weir.yaml" sync --progress 0s src.src --to dst; }

make_pg_source "$url" "$rows"
weir_s=() pipe_s=()
for ((i = 1; i <= runs; i++)); do
  fresh_target absent; weir_s+=("$(sync)"); check
  fresh_target created; pipe_s+=("$(seconds pipe)"); check
done
report "sync PG→SQLite vs psql COPY | sqlite3 .import" "$rows" "$(median "${weir_s[@]}")" "$(median "${pipe_s[@]}")" \
  "pipe" 0.9 "peak RSS $(max_of "$work/rss") MB"

if [ "$rss_rows" -gt 0 ]; then
  make_pg_source "$url" "$rss_rows"
  : > "$work/rss"
  fresh_target absent
  s=$(sync); check
  awk -v r="$rss_rows" -v s="$s" -v m="$(max_of "$work/rss")" 'BEGIN {
    printf "sync PG→SQLite of %d rows: %.2f s (%.0f rows/s)  peak RSS %s MB (goal <= 256)\n", r, s, r / s, m }'
fi
