#!/usr/bin/env bash
# Benchmark: PostgreSQL → PostgreSQL change data capture end to end (issue 12, Speed).
#   Throughput: ROWS rows of the table of ../shared/ANCHORS.md inserted into a captured table in
#   transactions of TXN_ROWS (default 1,000); weir (`run --once`, postgres_cdc → sql_apply into
#   an empty table with the same primary key, the state in the target: the defaults a user
#   gets) vs the psql binary COPY pipe of the same rows into an empty table of the same shape.
#   Both write into a second database of the same server (weir_bench_target), whose WAL records
#   the slot's walsender skips without decoding them; and each round inserts the rows afresh,
#   after a new slot, and runs weir first: `run --once` reads the WAL up to where it stood when
#   the run began, so with the targets in the captured database, or rows written between the
#   workload and weir's start (the COPY pipe's, the earlier runs'), weir's slot decoded 2 to 6
#   times the rows pg_recvlogical decodes up to --endpos (its own writes among them).
#   Each weir run reads its own copy of the round's slot (made before the rows) into a truncated
#   target, from no saved position. Alternating runs, medians of RUNS
#   (default 3); prints both rates and the ratio (goal >= 0.5), and weir's CPU seconds and peak
#   RSS. Beside them, pg_recvlogical draining the same slot copy to /dev/null (the options weir
#   streams with: protocol 2, streaming on, binary): the server's logical decoding, which bounds
#   any client of one slot, and weir's rate as a share of it.
#   PARTS (default "throughput latency") runs only the parts named.
#   Latency: a steady RATE (default 5,000) changes/s for SECONDS_STEADY (default 20) — RATE / 100
#   rows committed every 10 ms — streamed by a running `weir run` into the target; per row, the
#   time from its source commit (the clock just after its transaction's COMMIT returned) to its
#   target commit (when a session polling the target every 5 ms first sees it): p50 / p99 (goal
#   p99 <= 250 ms), and the rate reached.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
txn_rows=${TXN_ROWS:-1000}
runs=${RUNS:-3}
rate=${RATE:-5000}
duration=${SECONDS_STEADY:-20}
parts=${PARTS:-throughput latency}
url=$WEIR_TEST_PG_URL
target_url=${url%/*}/weir_bench_target
work=$(mktemp -d)
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$url" "$@" 2>/dev/null; }
qt() { psql -X -q -tA -v ON_ERROR_STOP=1 "$target_url" "$@" 2>/dev/null; }
cleanup() {
  [ -n "${steady_pid:-}" ] && kill "$steady_pid" 2>/dev/null || true
  q -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'bench_apply%'" >/dev/null || true
  q -c "DROP DATABASE IF EXISTS weir_bench_target WITH (FORCE)" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

case " $parts " in *" throughput "*) ;; *) rows=1 ;; esac  # the latency part needs only src's shape
make_pg_source "$url" "$rows"
q -c "DROP DATABASE IF EXISTS weir_bench_target" -c "CREATE DATABASE weir_bench_target"
q -c "DROP TABLE IF EXISTS apply_src, lat_src, lat_dst, lat_tick, lat_seen" \
  -c "CREATE TABLE apply_src (LIKE src INCLUDING ALL)" \
  -c "CREATE TABLE lat_src (id bigint PRIMARY KEY, v text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())" \
  -c "CREATE TABLE lat_dst (id bigint PRIMARY KEY, v text NOT NULL, at timestamptz NOT NULL,
                            applied_at timestamptz NOT NULL DEFAULT clock_timestamp())" \
  -c "CREATE TABLE lat_tick (tick int PRIMARY KEY, committed_at timestamptz NOT NULL)" \
  -c "CREATE TABLE lat_seen (id bigint NOT NULL, seen_at timestamptz NOT NULL)" \
  -c "DROP PUBLICATION IF EXISTS bench_apply" -c "DROP PUBLICATION IF EXISTS bench_apply_lat" \
  -c "CREATE PUBLICATION bench_apply FOR TABLE apply_src" -c "CREATE PUBLICATION bench_apply_lat FOR TABLE lat_src" \
  -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'bench_apply%'" >/dev/null

# The target tables of the throughput part: the source's shape, in the other database.
columns=$(q -c "SELECT string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)) || ' NOT NULL', ', ' ORDER BY attnum)
                FROM pg_attribute WHERE attrelid = 'src'::regclass AND attnum > 0 AND NOT attisdropped")
qt -c "CREATE TABLE apply_dst ($columns, PRIMARY KEY (id))" -c "CREATE TABLE copy_dst ($columns, PRIMARY KEY (id))"

# The project a user writes: a slot, a publication, sql_apply with its defaults, the state in the target.
project() {  # FILE SLOT PUBLICATION SOURCE TARGET TARGET_URL
  cat > "$1" <<YAML
connections:
  src: { url: "$url" }
  dst: { url: "$6" }
pipelines:
  mirror:
    input: { postgres_cdc: { connection: src, slot: $2, publication: $3, tables: [public.$4] } }
    output: { sql_apply: { connection: dst, tables: { public.$4: $5 } } }
    state: { connection: dst }
YAML
}
project "$work/apply.yaml" bench_apply_run bench_apply apply_src apply_dst "$target_url"
project "$work/latency.yaml" bench_apply_lat bench_apply_lat lat_src lat_dst "$url"

# ---- throughput ----------------------------------------------------------------------------------
throughput() {
# A new base slot, then the rows in transactions of $txn_rows; $end: the WAL's end after them.
workload() {
q -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'bench_apply_%' AND slot_name <> 'bench_apply_lat'" \
  -c "TRUNCATE apply_src" -c "SELECT pg_create_logical_replication_slot('bench_apply_base', 'pgoutput')" >/dev/null
q -c "DO \$\$ BEGIN
  FOR i IN 0 .. ($rows - 1) / $txn_rows LOOP
    INSERT INTO apply_src SELECT * FROM src WHERE id > i * $txn_rows AND id <= (i + 1) * $txn_rows; COMMIT;
  END LOOP; END \$\$"
[ "$(q -c "SELECT count(*) FROM apply_src")" = "$rows" ] || { echo "the workload inserted the wrong count" >&2; exit 1; }
end=$(q -c "SELECT pg_current_wal_lsn()")
}

copy_slot() {
  q -c "SELECT pg_drop_replication_slot('bench_apply_run') FROM pg_replication_slots WHERE slot_name = 'bench_apply_run'" \
    -c "SELECT pg_copy_logical_replication_slot('bench_apply_base', 'bench_apply_run')" >/dev/null
}

weir_run() {
  copy_slot
  qt -c "TRUNCATE apply_dst" >/dev/null
  (cd "$work" && measure "$work/weir" "$weir" run --once --reset --progress 0s apply.yaml)
  [ "$(qt -c "SELECT count(*) FROM apply_dst")" = "$rows" ] || { echo "weir applied the wrong count" >&2; exit 1; }
}

copy_run() {
  qt -c "TRUNCATE copy_dst" >/dev/null
  seconds bash -c "psql -X -q -v ON_ERROR_STOP=1 '$url' -c '\\copy (SELECT * FROM apply_src) to stdout (format binary)' |
                   psql -X -q -v ON_ERROR_STOP=1 '$target_url' -c '\\copy copy_dst from stdin (format binary)'"
}

recv_run() {
  copy_slot
  seconds "$WEIR_TEST_PG_BIN/pg_recvlogical" -d "$url" --slot bench_apply_run --start --endpos "$end" --no-loop \
    -o proto_version=2 -o streaming=on -o binary=true -o publication_names=bench_apply -f /dev/null
}

: >"$work/weir"
w=() c=() d=()
for ((i = 0; i < runs; i++)); do
  workload
  w+=("$(weir_run)")
  d+=("$(recv_run)")
  c+=("$(copy_run)")
done
report "pg_cdc_apply $((rows / txn_rows)) transactions of $txn_rows" "$rows" "$(median "${w[@]}")" "$(median "${c[@]}")" \
  "psql binary COPY pipe" 0.5 \
  "weir CPU s $(median_column "$work/weir" 1)  weir peak RSS $(max_column "$work/weir" 2) MB"
report "pg_cdc_apply against the server's decoding" "$rows" "$(median "${w[@]}")" "$(median "${d[@]}")" \
  "pg_recvlogical to /dev/null" "none, a ceiling" "(one slot's ceiling: pg_recvlogical/COPY pipe $(awk -v d="$(median "${d[@]}")" -v c="$(median "${c[@]}")" 'BEGIN { printf "%.2f", c / d }'))"
}

# ---- latency at a steady rate --------------------------------------------------------------------
latency() {
(cd "$work" && "$weir" run --once --progress 0s latency.yaml >/dev/null 2>&1)  # the slot, from here
(cd "$work" && exec "$weir" run --progress 0s latency.yaml >/dev/null 2>"$work/latency.log") &
weir_pid=$!
per_tick=$((rate / 100))
ticks=$((duration * 100))
expected=$((ticks * per_tick))
# The target watched every 5 ms from its own session: when each row became visible there, i.e.
# when weir's transaction holding it committed (rows commit in id order, so the new ones are
# those past the last seen).
q -c "CREATE OR REPLACE PROCEDURE pg_temp.watch() LANGUAGE plpgsql AS \$\$
  DECLARE seen bigint := 0; deadline timestamptz := clock_timestamp() + interval '$((duration + 60)) s';
  BEGIN
    WHILE seen < $expected AND clock_timestamp() < deadline LOOP
      WITH n AS (INSERT INTO lat_seen SELECT id, clock_timestamp() FROM lat_dst WHERE id > seen RETURNING id)
      SELECT coalesce(max(id), seen) INTO seen FROM n;
      COMMIT;
      PERFORM pg_sleep(0.005);
    END LOOP;
  END \$\$" -c "CALL pg_temp.watch()" &
watch_pid=$!
# Each tick's rows commit together; the time just after its COMMIT returned is recorded (in the
# next tick's transaction).
q -c "CREATE OR REPLACE PROCEDURE pg_temp.steady() LANGUAGE plpgsql AS \$\$
  DECLARE started timestamptz := clock_timestamp(); committed timestamptz;
  BEGIN
    FOR i IN 0 .. $ticks - 1 LOOP
      IF committed IS NOT NULL THEN INSERT INTO lat_tick VALUES (i - 1, committed); END IF;
      INSERT INTO lat_src (id, v) SELECT i * $per_tick + g, 'row ' || g FROM generate_series(1, $per_tick) g;
      COMMIT;
      committed := clock_timestamp();
      PERFORM pg_sleep(greatest(0, extract(epoch FROM started + (i + 1) * interval '10 ms' - clock_timestamp())));
    END LOOP;
    INSERT INTO lat_tick VALUES ($ticks - 1, committed);
  END \$\$" -c "CALL pg_temp.steady()"
for ((i = 0; i < 600; i++)); do
  [ "$(q -c "SELECT count(*) FROM lat_dst")" = "$expected" ] && break
  sleep 0.1
done
wait "$watch_pid" || true
kill -TERM "$weir_pid"; wait "$weir_pid" || true
q -c "SELECT format('pg_cdc_apply latency at %s changes/s for %s s (reached %s changes/s, %s of %s rows applied): source commit -> target commit p50 %s ms  p99 %s ms  max %s ms (goal p99 <= 250 ms)',
         $rate, $duration, round(count(*) / extract(epoch FROM max(s.at) - min(s.at))), count(w.id), count(*),
         round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM w.seen_at - t.committed_at) * 1000)::numeric, 1),
         round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM w.seen_at - t.committed_at) * 1000)::numeric, 1),
         round(max(extract(epoch FROM w.seen_at - t.committed_at) * 1000)::numeric, 1))
       FROM lat_src s JOIN lat_tick t ON t.tick = (s.id - 1) / $per_tick LEFT JOIN lat_seen w USING (id)"
}

for part in $parts; do "$part"; done
