#!/usr/bin/env bash
# Benchmark: weir sync into PostgreSQL from MariaDB and from SQLite vs `pgloader` (Debian
# package pgloader) on the same rows: the pipelines benchmark table (ROWS, default 1,000,000;
# MariaDB: make_pg_source's columns in MariaDB's types, SQLite: make_sqlite_source), each run
# into a database weir_sync_dst without the table (both create it). Goal: weir ≥ 3× faster.
#
# The anchor is pgloader as a user runs it with its defaults: a load file with no WITH, SET or
# CAST clause, so pgloader's default options apply (MySQL: include drop, create tables,
# create indexes — the primary key, built after the rows —, reset sequences, foreign keys,
# downcase identifiers; 4 workers, concurrency 1; SQLite likewise) and its default casts.
# The load file only picks the one table (INCLUDING ONLY TABLE NAMES MATCHING 'src') and, from
# MySQL, writes it into the target's `public` schema (ALTER SCHEMA 'weir_test' RENAME TO
# 'public') where weir writes it, instead of a new schema named after the MySQL database. Both
# read the same servers with the same URLs, and each run starts from the same empty target
# database (CHECKPOINT first). Where the defaults differ (checked with pgloader 3.6.7):
# pgloader makes MariaDB's JSON column (a LONGTEXT underneath) `text`, weir `jsonb`, which the
# server parses (~0.6 s of its CPU per 1,000,000 rows here); pgloader makes DATETIME
# `timestamptz`, weir `timestamp`; pgloader connects to PostgreSQL without TLS, weir with TLS
# where the server offers it (libpq's sslmode=prefer). weir runs with the defaults a user gets:
# `weir sync maria.src --to dst`, no option but `--progress 0s` (no progress lines).
#
# One untimed round (WAL segments made once, see below), then RUNS (default 3) rounds, each
# running weir, then pgloader (then WEIR_BASE, when set: another
# weir binary, e.g. main's, to compare against in the same rounds), row counts and sums checked
# after each; prints the medians, the ratios, weir's peak RSS and `uptime` (the load average
# beside every figure). CPU=1 also prints the CPU seconds each run cost the loader, mariadbd
# and the PostgreSQL server (medians), which says where the time goes. SOURCES (default
# "maria lite") picks the pairs.
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
work=$(mktemp -d); export work
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
  INCLUDING ONLY TABLE NAMES MATCHING 'src'
  ALTER SCHEMA 'weir_test' RENAME TO 'public';
LOAD
cat > "$work/lite.load" <<LOAD
LOAD DATABASE FROM sqlite://$work/src.db INTO $dst
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
# The two commands, as a user runs them (stdout and stderr go to $work/out.log).
weir_sync() { "$1" --config "$work/weir.yaml" sync --progress 0s "$2.src" --to dst; }
loader() { pgloader --on-error-stop "$work/$1.load"; }

# CPU seconds (user + system) the servers used so far: mariadbd's threads, and the postmaster
# with its children — exited backends (reaped: cutime) and live ones.
ticks=$(getconf CLK_TCK)
proc_cpu() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
server_cpu() {
  local my pg total=0 pid
  my=$(head -n 1 "$WEIR_TEST_MYSQL_PIDFILE"); pg=$(head -n 1 "$WEIR_TEST_PG_DATA/postmaster.pid")
  for pid in $(pgrep -P "$pg"); do total=$(( total + $(proc_cpu "$pid") )); done
  echo "$(proc_cpu "$my") $(( total + $(proc_cpu "$pg") ))"
}
# timed FILE FUNCTION ARGS…: runs the command (a function above) under GNU time; prints its
# wall-clock seconds and appends "cpu_s rss_mb mariadbd_cpu_s postgres_cpu_s" to FILE.
timed() {
  local file=$1 before after t s; shift
  before=$(server_cpu); t=$(mktemp); s=$(date +%s%N)
  if ! /usr/bin/time -f "%U %S %M" -o "$t" bash -c "$(declare -f weir_sync loader); $*" >"$work/out.log" 2>&1; then
    cat "$work/out.log" >&2; exit 1
  fi
  awk -v ns=$(( $(date +%s%N) - s )) 'BEGIN { printf "%.3f", ns / 1e9 }'
  sleep 0.2  # the last backend exits and is reaped
  after=$(server_cpu)
  awk -v b="$before" -v a="$after" -v hz="$ticks" '{ split(b, x, " "); split(a, y, " ");
    printf "%.2f %.1f %.2f %.2f\n", $1 + $2, $3 / 1024, (y[1] - x[1]) / hz, (y[2] - x[2]) / hz }' "$t" >>"$file"
  rm -f "$t"
}
load_avg() { uptime | sed 's/.*load/load/'; }
cpu_line() {  # cpu_line LABEL FILE: the medians of timed()'s CPU columns
  if [ "${CPU:-0}" = 1 ]; then
    printf '  CPU s, medians: %s %s, mariadbd %s, postgres %s\n' "$1" "$(median_column "$2" 1)" \
      "$(median_column "$2" 3)" "$(median_column "$2" 4)"
  fi
}
round() {  # round LABEL FILE FUNCTION ARGS…: one timed run into an empty target, checked
  local label=$1 file=$2 s; shift 2
  empty_target; s=$(timed "$file" "$@"); check
  echo "$name→PG round $i: $label $s s ($(load_avg))" >&2
  echo "$s"
}

for source in ${SOURCES:-maria lite}; do
  name=$([ $source = maria ] && echo MariaDB || echo SQLite)
  weir_s=() loader_s=() base_s=()
  : >"$work/weir.m"; : >"$work/loader.m"; : >"$work/base.m"
  # One untimed round first: the server makes (zero-fills) the WAL segments a load writes
  # only the first time; after a checkpoint it recycles them. Without it, the first timed run
  # pays for what every later one finds made (~0.7 s of PostgreSQL CPU for 1,000,000 rows).
  i=0; round warm-up "$work/warm.m" weir_sync "$weir" $source >/dev/null
  round warm-up "$work/warm.m" loader $source >/dev/null
  for ((i = 1; i <= runs; i++)); do
    weir_s+=("$(round weir "$work/weir.m" weir_sync "$weir" $source)")
    loader_s+=("$(round pgloader "$work/loader.m" loader $source)")
    [ -z "${WEIR_BASE:-}" ] || base_s+=("$(round WEIR_BASE "$work/base.m" weir_sync "$WEIR_BASE" $source)")
  done
  report "sync $name→PG vs pgloader" "$rows" "$(median "${weir_s[@]}")" "$(median "${loader_s[@]}")" "pgloader" 3 \
    "weir peak RSS $(max_column "$work/weir.m" 2) MB; $(load_avg)"
  cpu_line weir "$work/weir.m"
  cpu_line pgloader "$work/loader.m"
  if [ -n "${WEIR_BASE:-}" ]; then
    report "  WEIR_BASE $name→PG vs pgloader" "$rows" "$(median "${base_s[@]}")" "$(median "${loader_s[@]}")" \
      "pgloader" 3 "peak RSS $(max_column "$work/base.m" 2) MB"
    cpu_line WEIR_BASE "$work/base.m"
  fi
done
