#!/usr/bin/env bash
# Benchmark: MariaDB, 1,000,000 rows (the table of ../shared/ANCHORS.md), on a harness server.
#   write: weir run (sql_poll → sql_write insert, multi-row prepared INSERTs) MariaDB → MariaDB
#          vs `LOAD DATA LOCAL INFILE` of the same rows through the mariadb client (write only)
#   read:  weir query … --format csv > /dev/null  vs  mariadb --batch --quick -e "SELECT …" > /dev/null
# Alternating runs, medians of RUNS (default 3), row counts checked; prints both and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
if [ -z "${WEIR_TEST_MYSQL_URL:-}" ]; then
  WEIR_HARNESS_SKIP_PG=1 exec tests/harness/with-servers.sh bash "$0" "$@"
fi
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
url=$WEIR_TEST_MYSQL_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sql() { MYSQL_PWD=$WEIR_TEST_MYSQL_PASSWORD mariadb --protocol=tcp -h 127.0.0.1 -P "$WEIR_TEST_MYSQL_PORT" -u weir --local-infile=1 weir_test "$@"; }

sql <<SQL
DROP TABLE IF EXISTS src;
CREATE TABLE src (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL, qty integer NOT NULL,
  amount decimal(12,2) NOT NULL, created_at datetime(6) NOT NULL, active boolean NOT NULL, attrs json NOT NULL);
INSERT INTO src
SELECT seq, CONCAT(ELT(1 + seq % 5, 'Olivia', 'Liam', 'Emma', 'Noah', 'Zoë'), ' ', CHAR(65 + seq % 26), '. ',
                   ELT(1 + seq DIV 5 % 5, 'Schneider', 'García', 'Nguyen', 'Müller', 'Okafor')),
       CONCAT('user', seq, '@example.com'), seq % 100, (seq * 7919 % 100000) / 100.0,
       TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq * 37 SECOND, seq % 3 <> 0,
       JSON_OBJECT('v', 2, 'tags', JSON_ARRAY(CONCAT('t', seq % 50), CONCAT('t', seq % 70)), 'tier', 'team', 'score', seq % 1000)
FROM seq_1_to_$rows;
SQL
sql --batch -N --quick -e "SELECT * FROM src" > "$work/src.tsv"

fresh_target() { sql -e "DROP TABLE IF EXISTS dst; CREATE TABLE dst LIKE src"; }
check() {
  local got
  got=$(sql -N -e "SELECT count(*), sum(id), sum(amount) FROM dst")
  [ "$got" = "$(sql -N -e "SELECT count(*), sum(id), sum(amount) FROM src")" ] || { echo "mismatch: $got" >&2; exit 1; }
}
cat > "$work/copy.yaml" <<YAML
connections:
  my: { url: "$url" }
pipelines:
  copy:
    input: { sql_poll: { connection: my, query: "SELECT * FROM src", page_size: 10000 } }
    output: { sql_write: { connection: my, table: dst, batch: { rows: 100000, interval: 1h } } }
YAML
load() { sql -e "LOAD DATA LOCAL INFILE '$work/src.tsv' INTO TABLE dst"; }
weir_write=() anchor_write=() weir_read=() anchor_read=()
for ((i = 1; i <= runs; i++)); do
  fresh_target; weir_write+=("$(seconds "$weir" run "$work/copy.yaml")"); check
  fresh_target; anchor_write+=("$(seconds load)"); check
  weir_read+=("$(seconds "$weir" query "$url" "SELECT * FROM src" --format csv)")
  anchor_read+=("$(seconds sql --batch --quick -e "SELECT * FROM src")")
done
report mysql_write "$rows" "$(median "${weir_write[@]}")" "$(median "${anchor_write[@]}")" "LOAD DATA LOCAL INFILE" 0.8
report mysql_read "$rows" "$(median "${weir_read[@]}")" "$(median "${anchor_read[@]}")" "mariadb --batch --quick" 0.8
