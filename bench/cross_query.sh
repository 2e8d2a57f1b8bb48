#!/usr/bin/env bash
# Benchmark: weir query across connections (issue 14, Speed), each figure beside its anchor in
# the same run, medians of RUNS (default 3):
#   selective  a join of a BIG-row (default 1,000,000) PostgreSQL table with a 10,000-row MariaDB
#              table whose WHERE keeps 100 rows, vs the same query in PostgreSQL holding both
#              tables (psql; goal: weir within 2x the time); rows fetched printed
#   limit      SELECT * FROM pg.big LIMIT 1: rows fetched (goal 1)
#   keys       1,000 keys of a SQLite file joined with pg.big: rows fetched (goal <= 1,000), and queries
#   scan       a full-scan aggregate over pg.big joined with my.small that cannot be pushed, vs
#              psql -c "COPY (SELECT k, amount FROM big) TO STDOUT" (goal: >= 0.5x its rate)
# and weir's peak RSS over all of them (goal < 256 MB). Results are checked against PostgreSQL's.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
if [ -z "${WEIR_TEST_PG_URL:-}" ] || [ -z "${WEIR_TEST_MYSQL_URL:-}" ]; then
  exec tests/harness/with-servers.sh bash "$0" "$@"
fi
weir=${WEIR:-$PWD/build/weir}
rows=${BIG:-1000000}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pg=$WEIR_TEST_PG_URL
my=$WEIR_TEST_MYSQL_URL

echo "generating $rows rows in PostgreSQL, 10,000 in MariaDB, 1,000 keys in SQLite …" >&2
psql -X -q -v ON_ERROR_STOP=1 "$pg" 2>/dev/null <<SQL
DROP TABLE IF EXISTS xbig; DROP TABLE IF EXISTS xsmall;
CREATE TABLE xbig (id bigint PRIMARY KEY, k integer NOT NULL, amount numeric(12,2) NOT NULL);
INSERT INTO xbig SELECT g, 1 + g % 10000, (g::bigint * 7919 % 100000) / 100.0 FROM generate_series(1, $rows) g;
CREATE TABLE xsmall (id integer PRIMARY KEY, big_id bigint NOT NULL, tag integer NOT NULL);
INSERT INTO xsmall SELECT g, 1 + (g::bigint * 7877) % $rows, g % 100 FROM generate_series(1, 10000) g;
VACUUM ANALYZE xbig; VACUUM ANALYZE xsmall;
SQL
"$weir" query "$my" "DROP TABLE IF EXISTS xsmall" >/dev/null
"$weir" query "$my" "CREATE TABLE xsmall (id integer PRIMARY KEY, big_id bigint NOT NULL, tag integer NOT NULL, KEY (tag))" >/dev/null
"$weir" query "$my" "INSERT INTO xsmall SELECT seq, 1 + (seq * 7877) % $rows, seq % 100 FROM seq_1_to_10000" >/dev/null
rm -f "$work/keys.db"
sqlite3 "$work/keys.db" "CREATE TABLE keys (id INTEGER); WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 1000)
  INSERT INTO keys SELECT 1 + (x * 997) % $rows FROM s"
cat > "$work/weir.yaml" <<YAML
connections:
  pg: "$pg"
  my: "$my"
  lite: "sqlite:$work/keys.db"
YAML
wq=("$weir" --config "$work/weir.yaml" query -f csv)
q() { "${wq[@]}" "$@"; }
fetched() {  # fetched TABLE STATS_FILE: "N rows fetched in Q queries"
  grep "^$1: " "$2" | sed -E 's/^[^:]+: ([0-9]+) rows? fetched in ([0-9]+) quer(y|ies).*/\1 rows fetched in \2 queries/'
}
same() {  # same WEIR_CSV PSQL_TEXT: the same count and sum (weir's exact sum drops trailing zeros)
  tail -n +2 <<<"$1" | tr ',' '|' | awk -F'|' -v want="$2" '{ split(want, w, "|")
    if ($1 != w[1] || ($2 - w[2]) > 0.001 || (w[2] - $2) > 0.001) { print "mismatch: weir " $0 ", psql " want > "/dev/stderr"; exit 1 } }'
}

selective="SELECT count(*) AS n, sum(b.amount) AS total FROM my.xsmall s JOIN pg.public.xbig b ON b.id = s.big_id WHERE s.tag = 7"
selective_pg="SELECT count(*), sum(b.amount) FROM xsmall s JOIN xbig b ON b.id = s.big_id WHERE s.tag = 7"
keys="SELECT count(*) AS n, sum(b.amount) AS total FROM lite.keys k JOIN pg.public.xbig b ON b.id = k.id"
scan="SELECT count(*) AS n, sum(b.amount) AS total FROM pg.public.xbig b CROSS JOIN my.xsmall s WHERE s.id = b.k"
scan_pg="SELECT count(*), sum(b.amount) FROM xbig b JOIN xsmall s ON s.id = b.k"

same "$(q "$selective" --stats 2>"$work/selective.stats")" "$(psql -X -tA "$pg" -c "$selective_pg")"
same "$(q "$scan" --stats 2>"$work/scan.stats")" "$(psql -X -tA "$pg" -c "$scan_pg")"
q "$keys" --stats >/dev/null 2>"$work/keys.stats"
q "SELECT * FROM pg.public.xbig LIMIT 1" --stats >/dev/null 2>"$work/limit.stats"

weir_sel=() pg_sel=() weir_scan=() copy_scan=()
for ((i = 1; i <= runs; i++)); do
  weir_sel+=("$(seconds_rss "$work/rss" "${wq[@]}" "$selective")")
  pg_sel+=("$(seconds psql -X -tA "$pg" -c "$selective_pg")")
  weir_scan+=("$(seconds_rss "$work/rss" "${wq[@]}" "$scan")")
  copy_scan+=("$(seconds psql -X "$pg" -c "COPY (SELECT k, amount FROM xbig) TO STDOUT")")
  seconds_rss "$work/rss" "${wq[@]}" "$keys" >/dev/null
done
ws=$(median "${weir_sel[@]}") ps=$(median "${pg_sel[@]}")
awk -v w="$ws" -v p="$ps" -v f="$(fetched pg.public.xbig "$work/selective.stats")" 'BEGIN {
  printf "selective join PG %s rows x MariaDB 10,000 (100 kept): weir %.3f s  psql (both tables in PG) %.3f s  weir/anchor time %.2f (goal <= 2)  pg.public.xbig: %s\n",
         "'"$rows"'", w, p, w / p, f }'
echo "SELECT * FROM pg.big LIMIT 1: $(fetched pg.public.xbig "$work/limit.stats") (goal 1 row)"
echo "1,000 SQLite keys JOIN pg.big: $(fetched pg.public.xbig "$work/keys.stats") (goal <= 1000 rows)"
report "full-scan aggregate pg.big JOIN my.small vs psql COPY (SELECT k, amount)" "$rows" "$(median "${weir_scan[@]}")" \
  "$(median "${copy_scan[@]}")" "psql COPY" 0.5 "pg.public.xbig: $(fetched pg.public.xbig "$work/scan.stats")"
echo "peak RSS $(max_of "$work/rss") MB (goal < 256)"
psql -X -q "$pg" -c "DROP TABLE xbig" -c "DROP TABLE xsmall" 2>/dev/null
"$weir" query "$my" "DROP TABLE xsmall" >/dev/null
