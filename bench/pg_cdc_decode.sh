#!/usr/bin/env bash
# Benchmark: PostgreSQL change data capture, decoding only (issue 12, Speed).
#   1,000,000 inserted rows (the table of ../shared/ANCHORS.md) as one transaction, and as
#   10,000 transactions of 100 rows; weir (`run --once`, postgres_cdc → jsonl to /dev/null)
#   drains a logical slot vs `pg_recvlogical` (pgoutput, the same publication and the options
#   weir starts replication with: proto_version 2, streaming on) draining the same WAL to
#   /dev/null. Both value forms are measured, each against pg_recvlogical asking for the same
#   form: text (weir's `binary: off`) and binary (`binary: on`). Each run reads its own copy of
#   one slot made before the rows were inserted (pg_copy_logical_replication_slot), so every run
#   decodes the same WAL. Alternating runs, medians of RUNS (default 3); prints both rates, the
#   ratio (goal >= 0.9), the CPU seconds of each client process (user + system: the machine is
#   shared, the server's decoding is the same for both) and weir's peak RSS (goal <= 200 MB for
#   the 1,000,000-row transaction, which the server streams in chunks: past its
#   logical_decoding_work_mem, 64MB by default).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
url=$WEIR_TEST_PG_URL
work=$(mktemp -d)
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$url" "$@" 2>/dev/null; }
trap 'q -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '"'"'bench_cdc%'"'"'" >/dev/null || true; rm -rf "$work"' EXIT

make_pg_source "$url" "$rows"
q -c "DROP TABLE IF EXISTS cdc_src" -c "CREATE TABLE cdc_src (LIKE src INCLUDING ALL)" \
  -c "DROP PUBLICATION IF EXISTS bench_cdc" -c "CREATE PUBLICATION bench_cdc FOR TABLE cdc_src"

for form in off on; do
  cat > "$work/cdc_$form.yaml" <<YAML
connections:
  pg: { url: "$url" }
pipelines:
  decode:
    input: { postgres_cdc: { connection: pg, slot: bench_cdc_run, publication: bench_cdc, tables: [public.cdc_src], binary: $form } }
    output: { jsonl: { path: /dev/null } }
YAML
done

# A fresh copy of the base slot for one run, at the position before the rows.
copy_slot() {
  q -c "SELECT pg_drop_replication_slot('bench_cdc_run') FROM pg_replication_slots WHERE slot_name = 'bench_cdc_run'" >/dev/null
  q -c "SELECT pg_copy_logical_replication_slot('bench_cdc_base', 'bench_cdc_run')" >/dev/null
}

# weir_run off|on: wall seconds; "cpu_seconds rss_mb" appended to $work/weir_FORM.
weir_run() {
  copy_slot
  rm -rf "$work/.weir"
  (cd "$work" && measure "$work/weir_$1" "$weir" run --once --progress 0s "cdc_$1.yaml")
  local got
  got=$(q -c "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = 'bench_cdc_run'")
  [ "$got" = t ] || { echo "weir did not drain the slot to $end" >&2; exit 1; }
}

# recvlogical_run off|on: the same for pg_recvlogical asking for the same value form.
recvlogical_run() {
  copy_slot
  measure "$work/recv_$1" "$WEIR_TEST_PG_BIN/pg_recvlogical" -d "$url" --slot bench_cdc_run --start --endpos "$end" \
    --no-loop -o proto_version=2 -o streaming=on -o binary="$([ "$1" = on ] && echo true || echo false)" \
    -o publication_names=bench_cdc -f /dev/null
}

# scenario NAME SQL: inserts the rows with SQL into cdc_src after the base slot, then times both
# clients in both value forms.
scenario() {
  q -c "TRUNCATE cdc_src" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'bench_cdc%'" >/dev/null
  q -c "SELECT pg_create_logical_replication_slot('bench_cdc_base', 'pgoutput')" >/dev/null
  q -c "$2"
  end=$(q -c "SELECT pg_current_wal_lsn()")
  [ "$(q -c "SELECT count(*) FROM cdc_src")" = "$rows" ] || { echo "the workload inserted the wrong count" >&2; exit 1; }
  local form
  for form in off on; do
    : >"$work/weir_$form"; : >"$work/recv_$form"
    local w=() r=()
    for ((i = 0; i < runs; i++)); do
      r+=("$(recvlogical_run $form)")
      w+=("$(weir_run $form)")
    done
    local name="$1 ($([ $form = on ] && echo binary || echo text))"
    report "$name" "$rows" "$(median "${w[@]}")" "$(median "${r[@]}")" pg_recvlogical 0.9 \
      "CPU s weir $(median_column "$work/weir_$form" 1) pg_recvlogical $(median_column "$work/recv_$form" 1)  weir peak RSS $(max_column "$work/weir_$form" 2) MB"
  done
}

scenario "pg_cdc_decode one transaction" "INSERT INTO cdc_src SELECT * FROM src"
scenario "pg_cdc_decode $((rows / 100)) transactions of 100" "DO \$\$ BEGIN
  FOR i IN 0 .. $rows / 100 - 1 LOOP
    INSERT INTO cdc_src SELECT * FROM src WHERE id > i * 100 AND id <= (i + 1) * 100; COMMIT;
  END LOOP; END \$\$"
