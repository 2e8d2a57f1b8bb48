#!/usr/bin/env bash
# Benchmark: PostgreSQL, 1,000,000 rows (the table of ../shared/ANCHORS.md), on a harness server.
#   copy:  weir run (sql_poll → sql_write insert, COPY) PG → PG, with the defaults a user gets
#          (no page or batch options) and tuned (10,000-row pages, 100,000-row batches), with
#          peak RSS, vs the psql pipe  \copy (…) TO STDOUT (FORMAT binary) | \copy dst FROM STDIN (FORMAT binary)
#   read:  weir query … --format csv > /dev/null  vs  psql \copy (…) TO STDOUT (FORMAT csv) > /dev/null,
#          both with their peak RSS
#   write: weir's bulk writer (bench/bulk_write.cpp: the rows loaded first, then connect, BEGIN,
#          write, COMMIT) vs  psql -c "\copy dst FROM STDIN (FORMAT binary)" reading the same rows
#          from a file: all rows in one write() (one COPY, as psql), and in ten batches (ten
#          COPYs) vs psql running ten \copy of a tenth each in one transaction. The server
#          spends more per row on several COPYs than on one (~10 % for ten): the second pair
#          shows weir's writer against psql doing the same.
# PARTS (default "copy read write") picks parts. Alternating runs, medians of RUNS (default 3),
# row counts and sums checked; prints both figures and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
parts=${PARTS:-copy read write}
tenth=$((rows / 10))
url=$WEIR_TEST_PG_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_pg_source "$url" "$rows"

fresh_target() {
  psql -X -q "$url" -c "DROP TABLE IF EXISTS dst" -c "CREATE TABLE dst (LIKE src INCLUDING ALL)" -c "CHECKPOINT" 2>/dev/null
}
check() {
  local got
  got=$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(amount) FROM $1")
  [ "$got" = "$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(amount) FROM src")" ] || {
    echo "mismatch in $1: $got" >&2; exit 1; }
}

cat > "$work/copy.yaml" <<YAML
connections:
  pg: { url: "$url" }
pipelines:
  copy:
    input: { sql_poll: { connection: pg, query: "SELECT * FROM src", page_size: 10000 } }
    output: { sql_write: { connection: pg, table: dst, batch: { rows: 100000, interval: 1h } } }
YAML
defaults_yaml "$work/defaults.yaml" "$url"
pipe() {
  psql -X "$url" -c "\\copy (SELECT * FROM src) TO STDOUT (FORMAT binary)" |
    psql -X "$url" -c "\\copy dst FROM STDIN (FORMAT binary)"
}
has() { [[ " $parts " == *" $1 "* ]]; }
if has write; then
  psql -X -q "$url" -c "\\copy src TO '$work/src.bin' (FORMAT binary)"
  load() { psql -X "$url" -c "\\copy dst FROM STDIN (FORMAT binary)" < "$work/src.bin"; }
  {
    echo "BEGIN;"
    for ((k = 0; k < 10; k++)); do
      psql -X -q "$url" -c "\\copy (SELECT * FROM src WHERE id > $((k * tenth)) AND id <= $(((k + 1) * tenth))) TO '$work/part$k.bin' (FORMAT binary)" >/dev/null
      echo "\\copy dst FROM '$work/part$k.bin' (FORMAT binary)"
    done
    echo "COMMIT;"
  } > "$work/load10.sql"
  load10() { psql -X -q "$url" -f "$work/load10.sql"; }
  weir_write() {  # BATCH_ROWS: prints seconds and CPU seconds
    local s cpu
    read -r _ s cpu < <("$PWD/build/weir_bench_bulk_write" "$url" "SELECT * FROM src" dst "$1" 2>/dev/null)
    echo "$s $cpu"
  }
fi
weir_copy=() weir_defaults=() anchor_copy=() weir_read=() anchor_read=() weir_rss=() anchor_rss=() weir_write=() anchor_write=() weir_cpu=()
weir_write10=() anchor_write10=()
for ((i = 1; i <= runs; i++)); do
  if has copy; then
    fresh_target; weir_defaults+=("$(seconds_rss "$work/defaults_rss" "$weir" run --once --progress 0s "$work/defaults.yaml")"); check dst
    fresh_target; anchor_copy+=("$(seconds pipe)"); check dst
    fresh_target; weir_copy+=("$(seconds_rss "$work/copy_rss" "$weir" run --once --progress 0s "$work/copy.yaml")"); check dst
  fi
  if has read; then
    weir_read+=("$(seconds_rss "$work/weir_rss" "$weir" query "$url" "SELECT * FROM src" --format csv)")
    anchor_read+=("$(seconds_rss "$work/anchor_rss" psql -X "$url" -c "\\copy (SELECT * FROM src) TO STDOUT (FORMAT csv)")")
  fi
  if has write; then
    fresh_target; read -r s cpu < <(weir_write "$rows"); weir_write+=("$s"); weir_cpu+=("$cpu"); check dst
    fresh_target; anchor_write+=("$(seconds load)"); check dst
    fresh_target; read -r s cpu < <(weir_write "$tenth"); weir_write10+=("$s"); check dst
    fresh_target; anchor_write10+=("$(seconds load10)"); check dst
  fi
done
if has copy; then
  report pg_copy "$rows" "$(median "${weir_defaults[@]}")" "$(median "${anchor_copy[@]}")" "psql binary COPY pipe" 0.7 \
    "(weir defaults) peak RSS $(max_of "$work/defaults_rss") MB"
  report pg_copy_tuned "$rows" "$(median "${weir_copy[@]}")" "$(median "${anchor_copy[@]}")" "psql binary COPY pipe" 0.7 \
    "(weir page_size 10000, batch rows 100000) peak RSS $(max_of "$work/copy_rss") MB"
fi
if has read; then
  report pg_read "$rows" "$(median "${weir_read[@]}")" "$(median "${anchor_read[@]}")" "psql COPY TO STDOUT csv" 0.8
  echo "pg_read: peak RSS weir $(max_of "$work/weir_rss") MB  psql $(max_of "$work/anchor_rss") MB (goal < 100 MB)"
fi
if has write; then
  report pg_write "$rows" "$(median "${weir_write[@]}")" "$(median "${anchor_write[@]}")" \
    "psql COPY FROM STDIN binary" 0.9
  echo "pg_write: weir CPU (user + system) $(median "${weir_cpu[@]}") s"
  report pg_write_10_batches "$rows" "$(median "${weir_write10[@]}")" "$(median "${anchor_write10[@]}")" \
    "psql 10 x COPY binary" 0.9
fi
