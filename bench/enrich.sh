#!/usr/bin/env bash
# Benchmark: the sql_call filter enriching 1,000,000 records against a 10,000-row lookup table
# on a harness PostgreSQL (bench/enrich.cpp): batched `IN (…)` lookups vs one query per record
# (timed on a 20,000-record sample and extrapolated; goal batched >= 10x), and with the cache
# on (goal >= 500,000 records/s). RECORDS, LOOKUP_ROWS, SAMPLE and BATCH override the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
scripts/build weir_bench_enrich >/dev/null
build/weir_bench_enrich "$WEIR_TEST_PG_URL" "${RECORDS:-1000000}" "${LOOKUP_ROWS:-10000}" "${SAMPLE:-20000}" "${BATCH:-5000}"
