#!/usr/bin/env bash
# Benchmark: weir sync into PostgreSQL from MariaDB and from SQLite vs `pgloader` (Debian
# package pgloader) on the same rows: the pipelines benchmark table (ROWS, default 1,000,000;
# MariaDB: make_pg_source's columns in MariaDB's types, SQLite: make_sqlite_source), each run
# into a database weir_sync_dst without the table (both create it). pgloader loads with its
# defaults (it also builds the primary key's index after the rows, as weir's CREATE TABLE has
# it before). Medians of RUNS (default 3), row counts and sums checked; goal: weir ≥ 3× faster.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
if [ -z "${WEIR_TEST_PG_URL:-}" ] || [ -z "${WEIR_TEST_MYSQL_URL:-}" ]; then
  exec tests/harness/with-servers.sh bash "$0" "$@"
fi
command -v pgloader >/dev/null || { echo "pgloader is not installed (scripts/install-deps bench)"; exit 0; }
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
pg=$WEIR_TEST_PG_URL
dst=${pg%/*}/weir_sync_dst
maria=$WEIR_TEST_MYSQL_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_sqlite_source "$work/src.db" "$rows"
mariadb --defaults-file=/dev/null -h 127.0.0.1 -P "$WEIR_TEST_MYSQL_PORT" -u weir -p"$WEIR_TEST_MYSQL_PASSWORD" weir_test >/dev/null <<SQL
DROP TABLE IF EXISTS src;
CREATE TABLE src (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(100) NOT NULL, qty INT NOT NULL,
  amount DECIMAL(12,2) NOT NULL, created_at DATETIME(6) NOT NULL, active BOOLEAN NOT NULL, attrs JSON NOT NULL)
  DEFAULT CHARSET=utf8mb4;
INSERT INTO src
SELECT seq, CONCAT(ELT(1 + seq % 5, 'Olivia', 'Liam', 'Emma', 'Noah', 'Zoë'), ' ', CHAR(65 + seq % 26), '. ',
                   ELT(1 + (seq DIV 5) % 5, 'Schneider', 'García', 'Nguyen', 'Müller', 'Okafor')),
       CONCAT('user', seq, '@example.com'), seq % 100, (seq * 7919 % 100000) / 100,
       TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq * 37123456 MICROSECOND, seq % 3 <> 0,
       JSON_OBJECT('v', 2, 'tags', JSON_ARRAY(CONCAT('t', seq % 50), CONCAT('t', seq % 70)), 'tier', 'team',
                   'score', seq % 1000)
FROM seq_1_to_$rows;
ANALYZE TABLE src;
SQL
psql -X -q "$pg" -c "DROP DATABASE IF EXISTS weir_sync_dst" -c "CREATE DATABASE weir_sync_dst" 2>/dev/null
cat > "$work/weir.yaml" <<YAML
connections:
  maria: "$maria"
  lite: "sqlite:$work/src.db"
  dst: "$dst"
YAML
cat > "$work/maria.load" <<LOAD
LOAD DATABASE FROM $maria INTO $dst
  WITH include drop, create tables
  INCLUDING ONLY TABLE NAMES MATCHING 'src'
  ALTER SCHEMA 'weir_test' RENAME TO 'public';
LOAD
cat > "$work/lite.load" <<LOAD
LOAD DATABASE FROM sqlite://$work/src.db INTO $dst
  WITH include drop, create tables
  INCLUDING ONLY TABLE NAMES LIKE 'src';
LOAD

empty_target() {
  psql -X -q "$dst" -c "DROP TABLE IF EXISTS src" -c "DROP TABLE IF EXISTS weir_state" -c "CHECKPOINT" 2>/dev/null
}
check() {
  local got
  got=$(psql -X -tA "$dst" -c "SELECT count(*), sum(id) FROM src")
  [ "$got" = "$rows|$(( rows * (rows + 1) / 2 ))" ] || { echo "mismatch: $got" >&2; exit 1; }
}
weir_sync() { "$weir" --config "$work/weir.yaml" sync --progress 0s "$1.src" --to dst; }
loader() { pgloader --on-error-stop "$work/$1.load" >"$work/pgloader.log" 2>&1 || { cat "$work/pgloader.log" >&2; exit 1; }; }

for source in maria lite; do
  weir_s=() loader_s=()
  for ((i = 1; i <= runs; i++)); do
    empty_target; weir_s+=("$(seconds weir_sync $source)"); check
    empty_target; loader_s+=("$(seconds loader $source)"); check
  done
  name=$([ $source = maria ] && echo MariaDB || echo SQLite)
  report "sync $name→PG vs pgloader" "$rows" "$(median "${weir_s[@]}")" "$(median "${loader_s[@]}")" "pgloader" 3
done
