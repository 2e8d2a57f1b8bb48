#!/usr/bin/env bash
# Benchmark: copy a 1,000,000-row SQLite table into another SQLite file.
#   weir:   weir run (sql_poll → sql_write insert, one transaction)
#   anchor: the sqlite3 CLI, ATTACH + INSERT INTO … SELECT — SQLite copying inside one
#           process with no values crossing an API: the limit.
# Both write into the same freshly created table with the same journal mode, alternately,
# three times each; the medians and their ratio are printed. Goal: ratio ≤ 1.5.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
weir=${WEIR:-$PWD/build/weir}
dir=${WEIR_BENCH_DIR:-/tmp/weir-bench}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
mkdir -p "$dir"
cd "$dir"

columns="id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, qty INTEGER NOT NULL,
  amount REAL NOT NULL, created_at TEXT NOT NULL, active INTEGER NOT NULL, attrs TEXT NOT NULL"

if [ "$(sqlite3 src.db "SELECT count(*) FROM src" 2>/dev/null || true)" != "$rows" ]; then
  echo "generating $rows rows in $dir/src.db …" >&2
  rm -f src.db
  sqlite3 src.db <<SQL
CREATE TABLE src($columns);
WITH RECURSIVE
  first(i, n) AS (VALUES (0,'Olivia'),(1,'Liam'),(2,'Emma'),(3,'Noah'),(4,'Amelia'),
                         (5,'Oliver'),(6,'Sophia'),(7,'Elijah'),(8,'Zoë'),(9,'Mateo')),
  last(i, n) AS (VALUES (0,'Schneider'),(1,'García'),(2,'Nguyen'),(3,'Müller'),(4,'Kowalski'),
                        (5,'Okafor'),(6,'Johansson'),(7,'Rossi'),(8,'Tanaka'),(9,'Silva')),
  seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < $rows)
INSERT INTO src
SELECT x, f.n || ' ' || char(65 + x % 26) || '. ' || l.n, lower(f.n) || '.' || x || '@example.com',
       x % 100, round((x * 7919 % 100000) / 100.0, 2),
       strftime('%Y-%m-%d %H:%M:%f', 1600000000 + x * 37, 'unixepoch'), x % 3 != 0,
       '{"v": 2, "tags": ["t' || (x % 50) || '", "t' || (x % 70) || '"], "tier": "team", "score": ' || (x % 1000) || '}'
FROM seq JOIN first f ON f.i = x % 10 JOIN last l ON l.i = (x / 10) % 10;
SQL
fi

cat > copy.yaml <<'YAML'
connections:
  src: "sqlite:src.db?mode=ro"
  dst: "sqlite:dst.db?journal_mode=delete"
pipelines:
  copy:
    input:
      sql_poll: { connection: src, query: "SELECT * FROM src", page_size: 10000 }
    output:
      sql_write: { connection: dst, table: t, mode: insert, batch: { rows: 10000000, interval: 1h } }
YAML

fresh_target() {
  rm -f dst.db dst.db-wal dst.db-shm dst.db-journal
  sqlite3 dst.db "CREATE TABLE t($columns);"
  sync
}

check_copy() {
  local got
  got=$(sqlite3 dst.db "SELECT count(*) || ' ' || sum(id) || ' ' || sum(length(attrs)) FROM t")
  [ "$got" = "$(sqlite3 src.db "SELECT count(*) || ' ' || sum(id) || ' ' || sum(length(attrs)) FROM src")" ] || {
    echo "copy mismatch: $got" >&2; exit 1; }
}


weir_times=() anchor_times=()
for ((i = 1; i <= runs; i++)); do
  fresh_target
  weir_times+=("$(seconds "$weir" run copy.yaml)")
  check_copy
  fresh_target
  anchor_times+=("$(seconds sqlite3 dst.db "ATTACH 'src.db' AS s; INSERT INTO t SELECT * FROM s.src;")")
  check_copy
done

w=$(median "${weir_times[@]}")
a=$(median "${anchor_times[@]}")
awk -v r="$rows" -v w="$w" -v a="$a" 'BEGIN {
  printf "sqlite_copy: %d rows  weir %.2f s (%.0f rows/s)  sqlite3 CLI %.2f s (%.0f rows/s)  ratio %.2f (goal <= 1.50)\n",
         r, w, r / w, a, r / a, w / a }'
