#!/usr/bin/env bash
# Benchmark: MariaDB, 1,000,000 rows (the table of ../shared/ANCHORS.md), on a harness server.
#   write: weir run (sql_poll → sql_write insert) MariaDB → MariaDB with the defaults a user
#          gets (no page or batch options; LOAD DATA LOCAL INFILE fed from memory), tuned
#          (10,000-row pages, 100,000-row batches), and tuned with bulk_insert=insert
#          (multi-row prepared INSERTs), vs `LOAD DATA LOCAL INFILE` of the same rows through
#          the mariadb client (write only); a last line compares weir's two paths
#   read:  weir query … --format csv > /dev/null  vs  mariadb --batch --quick -e "SELECT …" > /dev/null,
#          with both programs' peak RSS (goal for weir: under 100 MB)
# Alternating runs, medians of RUNS (default 3), row counts checked; prints both and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
on_server mysql "$@"
weir=${WEIR:-$PWD/build/weir}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
url=$WEIR_TEST_MYSQL_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MYSQL_PWD=$WEIR_TEST_MYSQL_PASSWORD  # never on a command line
mariadb_cmd=(mariadb --protocol=tcp -h 127.0.0.1 -P "$WEIR_TEST_MYSQL_PORT" -u weir --local-infile=1 weir_test)
sql() { "${mariadb_cmd[@]}" "$@"; }

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
# Every column of every row: dst is a copy of src when the table checksums agree.
src_sum=$(sql -N -e "CHECKSUM TABLE src" | cut -f2)
check() {
  local got
  got=$(sql -N -e "CHECKSUM TABLE dst" | cut -f2)
  [ "$got" = "$src_sum" ] || { echo "mismatch: checksum of dst $got, of src $src_sum" >&2; exit 1; }
}
# copy_yaml FILE URL: the MariaDB → MariaDB copy pipeline, writing through URL.
copy_yaml() {
  cat > "$1" <<YAML
connections:
  src: { url: "$url" }
  dst: { url: "$2" }
pipelines:
  copy:
    input: { sql_poll: { connection: src, query: "SELECT * FROM src", page_size: 10000 } }
    output: { sql_write: { connection: dst, table: dst, batch: { rows: 100000, interval: 1h } } }
YAML
}
defaults_yaml "$work/defaults.yaml" "$url"
copy_yaml "$work/load.yaml" "$url"
copy_yaml "$work/insert.yaml" "$url?bulk_insert=insert"
load() { sql -e "LOAD DATA LOCAL INFILE '$work/src.tsv' INTO TABLE dst"; }
weir_defaults=() weir_load=() weir_insert=() anchor_write=() weir_read=() anchor_read=()
weir_rss=$work/weir.rss anchor_rss=$work/anchor.rss
for ((i = 1; i <= runs; i++)); do
  fresh_target; weir_defaults+=("$(seconds_rss "$work/defaults.rss" "$weir" run --progress 0s "$work/defaults.yaml")"); check
  fresh_target; weir_load+=("$(seconds "$weir" run "$work/load.yaml")"); check
  fresh_target; anchor_write+=("$(seconds load)"); check
  fresh_target; weir_insert+=("$(seconds "$weir" run "$work/insert.yaml")"); check
  weir_read+=("$(seconds_rss "$weir_rss" "$weir" query "$url" "SELECT * FROM src" --format csv)")
  anchor_read+=("$(seconds_rss "$anchor_rss" "${mariadb_cmd[@]}" --batch --quick -e "SELECT * FROM src")")
done
load_s=$(median "${weir_load[@]}") insert_s=$(median "${weir_insert[@]}") anchor_s=$(median "${anchor_write[@]}")
report mysql_write "$rows" "$(median "${weir_defaults[@]}")" "$anchor_s" "LOAD DATA LOCAL INFILE" 0.8 \
  "(weir defaults) peak RSS $(max_of "$work/defaults.rss") MB"
report mysql_write_tuned "$rows" "$load_s" "$anchor_s" "LOAD DATA LOCAL INFILE" 0.8 "(weir: page_size 10000, batch rows 100000, LOAD DATA from memory)"
report mysql_write_insert "$rows" "$insert_s" "$anchor_s" "LOAD DATA LOCAL INFILE" 0.8 "(weir: tuned, bulk_insert=insert)"
awk -v l="$load_s" -v n="$insert_s" 'BEGIN {
  printf "mysql_write paths: LOAD DATA from memory %.2f s, multi-row INSERT %.2f s: LOAD DATA throughput %.2fx INSERT\n", l, n, n / l }'
report mysql_read "$rows" "$(median "${weir_read[@]}")" "$(median "${anchor_read[@]}")" "mariadb --batch --quick" 0.8 \
  "peak RSS weir $(max_of "$weir_rss") MB (limit 100 MB), mariadb $(max_of "$anchor_rss") MB"
