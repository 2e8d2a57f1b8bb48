#!/usr/bin/env bash
# Benchmark: upserts into PostgreSQL through the staged merge (COPY into a temporary table, one
# INSERT … SELECT … ON CONFLICT) against one prepared statement per row, on a harness server.
#   upsert:    1,000,000 rows PG → PG through `weir run --once`, mode upsert, into a table that
#              holds half of them with stale values (500k updates, 500k inserts), with
#              the defaults a user gets (no page, batch or bulk_merge options), and tuned
#              (10,000-row pages, 100,000-row batches) with bulk_merge=copy and
#              bulk_merge=statements, vs the psql pipe that does the same by
#              hand: \copy … TO STDOUT (FORMAT binary) | \copy stage FROM STDIN + INSERT … ON CONFLICT
#   crossover: a tenth of the rows in writes of 100, 1000, 2000, 5000 and 20000 rows, both paths:
#              where the stage starts to pay (bulk_merge=auto stages from 1000 rows on).
# PARTS (default "upsert crossover") picks parts. Alternating runs, medians of RUNS (default 3),
# the target checked against the source after every run.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
parts=${PARTS:-upsert crossover}
url=$WEIR_TEST_PG_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_pg_source "$url" "$rows"

# dst holds the even ids of the first LIMIT source rows, with stale quantities and amounts.
stale_target() {
  psql -X -q "$url" -c "DROP TABLE IF EXISTS dst" -c "CREATE TABLE dst (LIKE src INCLUDING ALL)" \
    -c "INSERT INTO dst SELECT id, name, email, -1, 0, created_at, active, attrs FROM src WHERE id % 2 = 0 AND id <= $1" \
    -c "VACUUM ANALYZE dst" -c "CHECKPOINT" 2>/dev/null
}
check() {  # LIMIT: dst must equal the first LIMIT rows of src
  local want got
  want=$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(qty), sum(amount), md5(string_agg(s::text, ',' ORDER BY id)) FROM src s WHERE id <= $1")
  got=$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(qty), sum(amount), md5(string_agg(d::text, ',' ORDER BY id)) FROM dst d")
  [ "$got" = "$want" ] || { echo "dst differs from src: $got vs $want" >&2; exit 1; }
}
with_option() { if [[ $url == *\?* ]]; then echo "$url&bulk_merge=$1"; else echo "$url?bulk_merge=$1"; fi; }
pipeline() {  # FILE MERGE LIMIT BATCH_ROWS
  cat > "$1" <<YAML
connections:
  pg: { url: "$(with_option "$2")" }
pipelines:
  upsert:
    input: { sql_poll: { connection: pg, query: "SELECT * FROM src WHERE id <= $3", page_size: $4 } }
    output:
      sql_write: { connection: pg, table: dst, mode: upsert, key: [id], batch: { rows: $(( $4 > 100000 ? $4 : 100000 )), interval: 1h } }
YAML
}
anchor() {
  psql -X "$url" -c "\\copy (SELECT * FROM src) TO STDOUT (FORMAT binary)" |
    psql -X -q -v ON_ERROR_STOP=1 "$url" -c "BEGIN" -c "CREATE TEMP TABLE stage (LIKE dst)" \
      -c "\\copy stage FROM STDIN (FORMAT binary)" \
      -c "INSERT INTO dst SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET name = excluded.name,
            email = excluded.email, qty = excluded.qty, amount = excluded.amount,
            created_at = excluded.created_at, active = excluded.active, attrs = excluded.attrs" \
      -c "COMMIT"
}
has() { [[ " $parts " == *" $1 "* ]]; }

if has upsert; then
  pipeline "$work/copy.yaml" copy "$rows" 10000
  pipeline "$work/statements.yaml" statements "$rows" 10000
  cat > "$work/defaults.yaml" <<YAML
connections:
  pg: { url: "$url" }
pipelines:
  upsert:
    input: { sql_poll: { connection: pg, query: "SELECT * FROM src" } }
    output: { sql_write: { connection: pg, table: dst, mode: upsert, key: [id] } }
YAML
  copy=() statements=() psql_pipe=() defaults=()
  for ((i = 1; i <= runs; i++)); do
    stale_target "$rows"; defaults+=("$(seconds_rss "$work/defaults.rss" "$weir" run --once --progress 0s "$work/defaults.yaml")"); check "$rows"
    stale_target "$rows"; copy+=("$(seconds "$weir" run --once --progress 0s "$work/copy.yaml")"); check "$rows"
    stale_target "$rows"; psql_pipe+=("$(seconds anchor)"); check "$rows"
    stale_target "$rows"; statements+=("$(seconds "$weir" run --once --progress 0s "$work/statements.yaml")"); check "$rows"
  done
  report pg_upsert "$rows" "$(median "${defaults[@]}")" "$(median "${psql_pipe[@]}")" \
    "psql COPY into a stage + INSERT ON CONFLICT" 0.7 "(weir defaults) peak RSS $(max_of "$work/defaults.rss") MB"
  report pg_upsert_staged "$rows" "$(median "${copy[@]}")" "$(median "${psql_pipe[@]}")" \
    "psql COPY into a stage + INSERT ON CONFLICT" 0.7
  report pg_upsert_statements "$rows" "$(median "${statements[@]}")" "$(median "${psql_pipe[@]}")" \
    "psql COPY into a stage + INSERT ON CONFLICT" -
  awk -v s="$(median "${statements[@]}")" -v c="$(median "${copy[@]}")" \
    'BEGIN { printf "pg_upsert: staged merge %.2fx the throughput of one statement per row\n", s / c }'
fi

if has crossover; then
  tenth=$((rows / 10))
  for batch in 100 1000 2000 5000 20000; do
    pipeline "$work/copy.yaml" copy "$tenth" "$batch"
    pipeline "$work/statements.yaml" statements "$tenth" "$batch"
    copy=() statements=()
    for ((i = 1; i <= runs; i++)); do
      stale_target "$tenth"; copy+=("$(seconds "$weir" run --once --progress 0s "$work/copy.yaml")"); check "$tenth"
      stale_target "$tenth"; statements+=("$(seconds "$weir" run --once --progress 0s "$work/statements.yaml")"); check "$tenth"
    done
    awk -v b="$batch" -v r="$tenth" -v c="$(median "${copy[@]}")" -v s="$(median "${statements[@]}")" 'BEGIN {
      printf "pg_upsert_crossover: %d rows in writes of %5d rows  staged %.2f s  statements %.2f s  staged/statements throughput %.2f\n",
             r, b, c, s, s / c }'
  done
fi
