# Shared by the bench/*.sh scripts (sourced): timing, medians, the one-line report.

# Runs a command with its output discarded; prints the wall-clock seconds it took.
seconds() { local s; s=$(date +%s%N); "$@" >/dev/null; awk -v ns=$(( $(date +%s%N) - s )) 'BEGIN { printf "%.3f", ns / 1e9 }'; }

# seconds_rss FILE COMMAND…: like seconds, and appends the command's peak resident set size
# in MB (GNU time's %M) to FILE, one line per run.
seconds_rss() {
  local file=$1 s t; shift; t=$(mktemp); s=$(date +%s%N)
  /usr/bin/time -f %M -o "$t" "$@" >/dev/null
  awk -v ns=$(( $(date +%s%N) - s )) 'BEGIN { printf "%.3f", ns / 1e9 }'
  awk '{ printf "%.1f\n", $1 / 1024 }' "$t" >>"$file"; rm -f "$t"
}

# measure FILE COMMAND…: like seconds, and appends "cpu_seconds rss_mb" — the command's user +
# system CPU time and its peak resident set size (GNU time's %U %S %M) — to FILE, one line per run.
measure() {
  local file=$1 s t; shift; t=$(mktemp); s=$(date +%s%N)
  /usr/bin/time -f "%U %S %M" -o "$t" "$@" >/dev/null
  awk -v ns=$(( $(date +%s%N) - s )) 'BEGIN { printf "%.3f", ns / 1e9 }'
  awk '{ printf "%.2f %.1f\n", $1 + $2, $3 / 1024 }' "$t" >>"$file"; rm -f "$t"
}

# median_column FILE N / max_column FILE N: the median / largest of column N of FILE.
median_column() { median $(awk -v c="$2" '{ print $c }' "$1"); }
max_column() { awk -v c="$2" '{ print $c }' "$1" | sort -n | tail -n 1; }

# The largest number in a file of one number per line.
max_of() { sort -n "$1" | tail -n 1; }

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

# report NAME ROWS WEIR_SECONDS ANCHOR_SECONDS ANCHOR_NAME GOAL [EXTRA]: throughput ratio
# weir/anchor; EXTRA (e.g. memory figures) ends the line.
report() {
  awk -v n="$1" -v r="$2" -v w="$3" -v a="$4" -v anchor="$5" -v goal="$6" -v extra="${7:-}" 'BEGIN {
    printf "%s: %d rows  weir %.2f s (%.0f rows/s)  %s %.2f s (%.0f rows/s)  weir/anchor throughput %.2f (goal >= %s)%s\n",
           n, r, w, r / w, anchor, a, r / a, a / w, goal, extra == "" ? "" : "  " extra }'
}

# The SQLite benchmarks' source: table `src` of ROWS rows in FILE (the columns of make_pg_source
# in SQLite's types, $sqlite_columns), made again only when its row count differs.
sqlite_columns="id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, qty INTEGER NOT NULL,
  amount REAL NOT NULL, created_at TEXT NOT NULL, active INTEGER NOT NULL, attrs TEXT NOT NULL"
make_sqlite_source() {
  local file=$1 rows=$2
  [ "$(sqlite3 "$file" "SELECT count(*) FROM src" 2>/dev/null || true)" != "$rows" ] || return 0
  echo "generating $rows rows in $file …" >&2
  rm -f "$file"
  sqlite3 "$file" <<SQL
CREATE TABLE src($sqlite_columns);
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
}

# on_server postgres|mysql "$@": unless the harness already runs that server for this script,
# runs the script again under tests/harness/with-servers.sh with that server only.
on_server() {
  local server=$1; shift
  case $server in
    postgres) [ -n "${WEIR_TEST_PG_URL:-}" ] || WEIR_HARNESS_SKIP_MYSQL=1 exec tests/harness/with-servers.sh bash "$0" "$@" ;;
    mysql) [ -n "${WEIR_TEST_MYSQL_URL:-}" ] || WEIR_HARNESS_SKIP_PG=1 exec tests/harness/with-servers.sh bash "$0" "$@" ;;
  esac
}

# defaults_yaml FILE URL: the copy of table `src` into table `dst` on one database as a user
# writes it, with no page, batch or driver options: the defaults, which every benchmark
# measures beside its tuned figures.
defaults_yaml() {
  cat > "$1" <<YAML
connections:
  db: { url: "$2" }
pipelines:
  copy:
    input: { sql_poll: { connection: db, query: "SELECT * FROM src" } }
    output: { sql_write: { connection: db, table: dst } }
YAML
}

# make_pg_source URL ROWS: the PostgreSQL benchmarks' source table `src` (the table of
# ../shared/ANCHORS.md): ROWS rows of bigint, text in several scripts, numeric, timestamptz,
# boolean and jsonb.
make_pg_source() {
  psql -X -q -v ON_ERROR_STOP=1 "$1" 2>/dev/null <<SQL
DROP TABLE IF EXISTS src;
CREATE TABLE src (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL, qty integer NOT NULL,
  amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, active boolean NOT NULL, attrs jsonb NOT NULL);
INSERT INTO src
SELECT g, (ARRAY['Olivia','Liam','Emma','Noah','Zoë'])[1 + g % 5] || ' ' || chr(65 + g % 26) || '. '
          || (ARRAY['Schneider','García','Nguyen','Müller','Okafor'])[1 + g / 5 % 5],
       'user' || g || '@example.com', g % 100, (g::bigint * 7919 % 100000) / 100.0,
       timestamptz '2020-01-01' + g * interval '37.123456 seconds', g % 3 <> 0,
       jsonb_build_object('v', 2, 'tags', jsonb_build_array('t' || g % 50, 't' || g % 70), 'tier', 'team', 'score', g % 1000)
FROM generate_series(1, $2) g;
VACUUM ANALYZE src;
SQL
}
