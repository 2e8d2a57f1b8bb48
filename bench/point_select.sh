#!/usr/bin/env bash
# Benchmark: pooled point SELECT by primary key, 10 and 100 concurrent clients, on a harness
# PostgreSQL: weir (bench/point_select.cpp, one pooled connection per client thread, prepared
# statements) vs `pgbench -n -S -M prepared` with the same client count, alternately, same
# database. Prints both TPS, the ratio (goal >= 0.9) and weir's acquire p95 (goal <= 1 ms at 100).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
seconds=${SECONDS_PER_RUN:-10}
scale=${SCALE:-10}
url=$WEIR_TEST_PG_URL
bench=$PWD/build/weir_bench_point_select

# 100 clients need more than the default 100 connections.
psql -X -q "$url" -c "ALTER SYSTEM SET max_connections = 300" >/dev/null
(cd / && runuser -u postgres -- "$WEIR_TEST_PG_BIN/pg_ctl" -D "$WEIR_TEST_PG_DATA" -l "$WEIR_TEST_PG_LOG" -w -m fast restart >/dev/null)
PGPASSWORD=$WEIR_TEST_PG_PASSWORD pgbench -q -i -s "$scale" -h 127.0.0.1 -p "$WEIR_TEST_PG_PORT" -U weir weir_test 2>/dev/null
accounts=$((scale * 100000))

for clients in 10 100; do
  anchor=$(PGPASSWORD=$WEIR_TEST_PG_PASSWORD pgbench -n -S -M prepared -T "$seconds" -c "$clients" -j 2 \
             -h 127.0.0.1 -p "$WEIR_TEST_PG_PORT" -U weir weir_test 2>/dev/null |
           awk '/^tps/ { print $3; exit }')
  read -r tps p95 < <("$bench" "$url" "$clients" "$seconds" "$accounts")
  awk -v c="$clients" -v w="$tps" -v a="$anchor" -v p="$p95" 'BEGIN {
    printf "point_select %d clients: weir %.0f TPS  pgbench -S -M prepared %.0f TPS  ratio %.2f (goal >= 0.90)  acquire p95 %.3f ms\n",
           c, w, a, w / a, p }'
done
