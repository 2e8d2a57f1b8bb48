#!/usr/bin/env bash
# Benchmark: `weir tables` on a PostgreSQL database of 2,000 tables (TABLES), each with a primary
# key, a few rows and a comment, half of them analyzed, in their own schema; the anchor is
# psql's `\dt` on the same schema in the same run. Goal: weir answers in under 1 s. Medians of
# RUNS (default 5) alternating runs; the listing's row count is checked.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server postgres "$@"
weir=${WEIR:-$PWD/build/weir}
tables=${TABLES:-2000}
runs=${RUNS:-5}
url=$WEIR_TEST_PG_URL

psql -X -q -v ON_ERROR_STOP=1 "$url" 2>/dev/null <<SQL
DROP SCHEMA IF EXISTS many CASCADE;
CREATE SCHEMA many;
DO \$\$
BEGIN
  FOR i IN 1..$tables LOOP
    EXECUTE format('CREATE TABLE many.t%s (id bigint PRIMARY KEY, name text, amount numeric(12,2))', i);
    EXECUTE format('INSERT INTO many.t%s SELECT g, ''n'' || g, g / 7.0 FROM generate_series(1, 10) g', i);
    EXECUTE format('COMMENT ON TABLE many.t%s IS ''table %s''', i, i);
    IF i % 2 = 0 THEN EXECUTE format('ANALYZE many.t%s', i); END IF;
  END LOOP;
END
\$\$;
SQL

listed=$("$weir" tables "$url" --schema many --format csv | tail -n +2 | wc -l)
[ "$listed" = "$tables" ] || { echo "weir tables listed $listed tables, not $tables" >&2; exit 1; }
anchor_listed=$(psql -X -tA "$url" -c '\dt many.*' | wc -l)
[ "$anchor_listed" = "$tables" ] || { echo "psql \\dt listed $anchor_listed tables, not $tables" >&2; exit 1; }

weir_times=() psql_times=() all_times=()
for ((i = 0; i < runs; i++)); do
  weir_times+=("$(seconds "$weir" tables "$url" --schema many)")
  all_times+=("$(seconds "$weir" tables "$url")")
  psql_times+=("$(seconds psql -X "$url" -c '\dt many.*')")
done
w=$(median "${weir_times[@]}") a=$(median "${all_times[@]}") p=$(median "${psql_times[@]}")
awk -v n="$tables" -v w="$w" -v a="$a" -v p="$p" 'BEGIN {
  printf "tables_many: %d tables  weir tables --schema %.3f s  weir tables (every schema) %.3f s  psql \\dt %.3f s  weir/psql time %.2f  (goal: weir < 1 s: %s)\n",
         n, w, a, p, w / p, (w < 1 && a < 1) ? "met" : "NOT met" }'
psql -X -q "$url" -c "DROP SCHEMA many CASCADE" 2>/dev/null
