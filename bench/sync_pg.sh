#!/usr/bin/env bash
# Benchmark: weir sync of the pipelines benchmark table (bench/lib.sh make_pg_source; ROWS,
# default 1,000,000) PostgreSQL → PostgreSQL, from database weir_test into a second database
# on the same harness server, vs the psql binary COPY pipe
#   psql -c "\copy (SELECT * FROM src) TO STDOUT (FORMAT binary)" | psql -c "\copy src FROM STDIN (FORMAT binary)"
# and vs `pgcopydb copy table-data` (Debian package pgcopydb, when installed). Each run starts
# from an empty target table of the same definition (weir: no table, which it creates);
# medians of RUNS (default 3), row counts and sums checked; prints the figures, the ratios and
# weir's peak RSS. weir runs with its defaults (--jobs 2), and with each of JOBS (default "1 4"):
# readers of the table's key ranges, whose ratios say which --jobs is fastest here.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
jobs=${JOBS:-1 4}
url=$WEIR_TEST_PG_URL
dst_url=${url%/*}/weir_sync_dst
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_pg_source "$url" "$rows"
psql -X -q "$url" -c "DROP DATABASE IF EXISTS weir_sync_dst" -c "CREATE DATABASE weir_sync_dst" 2>/dev/null
cat > "$work/weir.yaml" <<YAML
connections:
  src: "$url"
  dst: "$dst_url"
YAML

empty_target() {  # created: the table exists, empty (the anchors need it); absent: weir creates it
  psql -X -q "$dst_url" -c "DROP TABLE IF EXISTS src" -c "DROP TABLE IF EXISTS weir_state" 2>/dev/null
  if [ "$1" = created ]; then
    pg_dump -s -t src "$url" | psql -X -q "$dst_url" >/dev/null 2>&1
  fi
  psql -X -q "$dst_url" -c "CHECKPOINT" 2>/dev/null
}
check() {
  local got want
  got=$(psql -X -tA "$dst_url" -c "SELECT count(*), sum(id), sum(amount) FROM src")
  want=$(psql -X -tA "$url" -c "SELECT count(*), sum(id), sum(amount) FROM src")
  [ "$got" = "$want" ] || { echo "mismatch: $got, want $want" >&2; exit 1; }
}
pipe() {
  psql -X "$url" -c "\\copy (SELECT * FROM src) TO STDOUT (FORMAT binary)" |
    psql -X "$dst_url" -c "\\copy src FROM STDIN (FORMAT binary)"
}
pgcopydb_copy() {
  pgcopydb copy table-data --source "$url" --target "$dst_url" --dir "$work/pgcopydb" --restart --not-consistent \
    >/dev/null 2>&1
}
has_pgcopydb=false
command -v pgcopydb >/dev/null && has_pgcopydb=true

weir_s=() pipe_s=() pgcopydb_s=()
declare -A jobs_s=()
for ((i = 1; i <= runs; i++)); do
  empty_target absent; weir_s+=("$(seconds_rss "$work/rss" "$weir" --config "$work/weir.yaml" sync --progress 0s src.src --to dst)"); check
  for n in $jobs; do
    empty_target absent
    jobs_s[$n]+=" $(seconds "$weir" --config "$work/weir.yaml" sync --progress 0s --jobs "$n" src.src --to dst)"; check
  done
  empty_target created; pipe_s+=("$(seconds pipe)"); check
  if $has_pgcopydb; then empty_target created; pgcopydb_s+=("$(seconds pgcopydb_copy)"); check; fi
done
rss="peak RSS $(max_of "$work/rss") MB"
report "sync PG→PG vs psql binary COPY pipe" "$rows" "$(median "${weir_s[@]}")" "$(median "${pipe_s[@]}")" \
  "psql pipe" 0.9 "$rss"
for n in $jobs; do
  # shellcheck disable=SC2086 # the seconds of each run, one word each
  report "sync PG→PG --jobs $n vs psql binary COPY pipe" "$rows" "$(median ${jobs_s[$n]})" "$(median "${pipe_s[@]}")" \
    "psql pipe" 0.9
done
if $has_pgcopydb; then
  report "sync PG→PG vs pgcopydb copy table-data" "$rows" "$(median "${weir_s[@]}")" "$(median "${pgcopydb_s[@]}")" \
    "pgcopydb" 1 "$rss"
else
  echo "pgcopydb is not installed (scripts/install-deps bench): its comparison is left out"
fi
