#!/usr/bin/env bash
# with-servers.sh - run a command against throwaway PostgreSQL 15 and MariaDB
# servers listening only on 127.0.0.1, with TLS from a throw-away CA.
#
#   tests/harness/with-servers.sh <command> [args...]
#
# See tests/harness/README.md for the exported variables and knobs.
# Passwords are never printed. Everything lives in /tmp/weir-harness.XXXXXX and
# is removed on exit (normal exit, error, SIGINT, SIGTERM, SIGHUP). Leftovers of
# runs that were killed with SIGKILL are reaped by the next run.

# Functions below are also reached through traps:
# shellcheck disable=SC2317

set -u
set -o pipefail

readonly HARNESS_PREFIX=/tmp/weir-harness.
readonly PG_BIN=${WEIR_HARNESS_PG_BIN:-/usr/lib/postgresql/15/bin}
readonly MARIADBD=${WEIR_HARNESS_MARIADBD:-/usr/sbin/mariadbd}
readonly MARIADB_INSTALL_DB=${WEIR_HARNESS_MARIADB_INSTALL_DB:-/usr/bin/mariadb-install-db}
readonly MARIADB_CLIENT=${WEIR_HARNESS_MARIADB_CLIENT:-/usr/bin/mariadb}
readonly MARIADB_ADMIN=${WEIR_HARNESS_MARIADB_ADMIN:-/usr/bin/mariadb-admin}
readonly PGBOUNCER=${WEIR_HARNESS_PGBOUNCER:-/usr/sbin/pgbouncer}
readonly START_TIMEOUT=${WEIR_HARNESS_START_TIMEOUT:-60}
readonly PORT_TRIES=5
readonly LOOPBACK=127.0.0.1

H=""            # this run's temp dir
CLEANED=0
CHILD=""        # pid of the wrapped command
PG_DIR="" PG_DATA="" PG_SOCK="" PG_LOG="" PG_PORT="" PG_PASSWORD=""
PB_DIR="" PB_PORT="" PB_PIDFILE="" PB_LOG=""
MY_DIR="" MY_DATA="" MY_SOCK="" MY_PIDFILE="" MY_LOG="" MY_PORT="" MY_PASSWORD="" MY_PID=""
MY_CMD=()           # mariadbd's command line (also in $MY_DIR/ctl)
MY_INSTALL_PID=""   # background mariadb-install-db

if [[ $EUID -eq 0 ]]; then IS_ROOT=1; else IS_ROOT=0; fi

# Our own copy of stderr: a trap can fire while a command's stderr is
# redirected to a log file, and its messages must still reach the user.
# Closed again for every long-lived process we start.
exec {LOG_FD}>&2

log() { printf 'harness: %s\n' "$*" >&"$LOG_FD"; }

# Replace passwords in text coming from server logs / client errors.
redact() {
  local pg=${PG_PASSWORD:-} my=${MY_PASSWORD:-}
  sed -e "s/${pg:-@@no-pg-password@@}/<redacted>/g" -e "s/${my:-@@no-my-password@@}/<redacted>/g"
}

show_tail() { # file [lines]
  local f=$1 n=${2:-40}
  [[ -s $f ]] || return 0
  printf 'harness: ---- last %s lines of %s ----\n' "$n" "$f" >&"$LOG_FD"
  tail -n "$n" "$f" | redact >&"$LOG_FD"
  printf 'harness: ---- end of %s ----\n' "$f" >&"$LOG_FD"
}

die() { log "error: $*"; exit 1; }   # the EXIT trap cleans up

usage() {
  cat >&2 <<'EOF'
usage: tests/harness/with-servers.sh <command> [args...]

Starts throwaway PostgreSQL 15 and MariaDB servers on 127.0.0.1, exports
WEIR_TEST_PG_URL / WEIR_TEST_MYSQL_URL (and friends), runs <command>, stops the
servers, deletes their data and exits with <command>'s exit status.
Also starts PgBouncer (transaction pooling) in front of PostgreSQL and exports
WEIR_TEST_PGBOUNCER_URL. Knobs: WEIR_HARNESS_SKIP_PG=1, WEIR_HARNESS_SKIP_MYSQL=1,
WEIR_HARNESS_SKIP_PGBOUNCER=1, CI=true (missing server binaries become fatal).
See tests/harness/README.md.
EOF
}

# Run an admin tool with a clean environment (no PG*/MYSQL*/MARIADB* from the
# caller), from a directory every user can enter. Leading NAME=value arguments
# are exported first (by the shell, so secrets never show up in argv / ps).
clean_run() {
  (
    exec {LOG_FD}>&-
    cd / || exit 1
    for v in $(compgen -e); do
      case $v in PG*|MYSQL*|MARIADB*) unset "$v" ;; esac
    done
    while [[ ${1:-} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
      export "${1?}"
      shift
    done
    exec "$@"
  )
}

# Run as the postgres OS user (PostgreSQL refuses to run as root).
as_pg() {
  if (( IS_ROOT )); then clean_run runuser -u postgres -- "$@"; else clean_run "$@"; fi
}

gen_password() {
  local pw
  pw=$(openssl rand -hex 12 2>/dev/null) || pw=""
  if [[ ! $pw =~ ^[0-9a-f]{24}$ ]]; then
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  fi
  printf '%s' "$pw"
}

# --- processes -----------------------------------------------------------

# Prints "<state> <starttime>" for a pid, fails if it does not exist.
proc_info() {
  local stat rest
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  printf '%s %s\n' "$1" "${20}"
}

# pid_alive PID [STARTTIME]: alive (not a zombie) and, if given, same start time
pid_alive() {
  local info state start
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  info=$(proc_info "$1") || return 1
  read -r state start <<<"$info"
  [[ $state == Z || $state == X ]] && return 1
  [[ -n ${2:-} && $2 != "$start" ]] && return 1
  return 0
}

proc_comm() {
  local comm
  { read -r comm <"/proc/$1/comm"; } 2>/dev/null || return 1
  printf '%s\n' "$comm"
}

# wait_gone PID SECONDS
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    (( SECONDS >= deadline )) && return 1
    sleep 0.1
  done
  return 0
}

# Database server processes whose command line mentions DIR/.
server_pids_in() {
  local dir=$1 p pid comm args=()
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    { read -r comm <"$p/comm"; } 2>/dev/null || continue
    case $comm in postgres|postmaster|mariadbd|mysqld|pgbouncer) ;; *) continue ;; esac
    { mapfile -d '' args <"$p/cmdline"; } 2>/dev/null || continue
    [[ " ${args[*]} " == *"$dir/"* ]] && echo "$pid"
  done
}

kill_servers_in() { # dir
  local pid pids
  pids=$(server_pids_in "$1")
  [[ -n $pids ]] || return 0
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
  for pid in $pids; do wait_gone "$pid" 10; done
}

# All descendants of a pid (depth first).
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$c"
    descendants "$c"
  done
}

# --- stale runs ----------------------------------------------------------

reap_dir() { # dir
  local d=$1 pid
  log "removing stale $d (its owner is gone)"
  if [[ -f $d/pg/data/postmaster.pid && -x $PG_BIN/pg_ctl ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$d/pg/data" -m immediate -w -t 20 -s stop >/dev/null 2>&1
  fi
  if [[ -f $d/mysql/mysqld.pid ]]; then
    read -r pid <"$d/mysql/mysqld.pid" 2>/dev/null
    if pid_alive "${pid:-x}" && [[ $(proc_comm "$pid") == mariadbd ]]; then
      kill -KILL "$pid" 2>/dev/null
      wait_gone "$pid" 10
    fi
  fi
  kill_servers_in "$d"
  rm -rf -- "$d"
}

reap_stale() {
  local d pid start
  for d in "$HARNESS_PREFIX"*; do
    [[ -d $d && ! -L $d ]] || continue
    (( IS_ROOT )) || [[ -O $d ]] || continue   # not ours to clean
    pid="" start=""
    if [[ -f $d/owner.pid ]]; then
      read -r pid start <"$d/owner.pid" 2>/dev/null
      pid_alive "${pid:-x}" "$start" && continue
    else
      # owner.pid is written right after mktemp; a dir without it is either
      # being created this very moment or junk. Only reap it when it is old.
      [[ -n $(find "$d" -maxdepth 0 -mmin -2 2>/dev/null) ]] && continue
    fi
    # flock so that two runs starting together do not reap the same dir.
    (
      { exec 9<"$d"; } 2>/dev/null || exit 0
      if command -v flock >/dev/null 2>&1; then flock -n 9 || exit 0; fi
      reap_dir "$d"
    )
  done
}

# --- ports ---------------------------------------------------------------

port_in_use() {
  local p=$1 hex
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -ltnH "( sport = :$p )" 2>/dev/null) ]]
    return
  fi
  printf -v hex '%04X' "$p"
  grep -Eq "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]{4} 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

pick_port() {
  local p i
  for ((i = 0; i < 500; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 41000))
    [[ $p == "$PG_PORT" || $p == "$MY_PORT" || $p == "$PB_PORT" ]] && continue
    port_in_use "$p" && continue
    echo "$p"
    return 0
  done
  return 1
}

# --- TLS -----------------------------------------------------------------

TLS_DIR=""

# openssl with a clean environment and without the caller's config.
ossl() { clean_run OPENSSL_CONF=/dev/null openssl "$@"; }

# tls_key FILE: a fresh P-256 key (fast to generate).
tls_key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# tls_sign NAME SUBJECT EXTENSIONS: NAME.key + NAME.crt signed by ca.
tls_sign() {
  local name=$1 subj=$2 ext=$3
  tls_key "$TLS_DIR/$name.key" &&
    ossl req -new -key "$TLS_DIR/$name.key" -subj "$subj" -out "$TLS_DIR/$name.csr" &&
    printf '%s\n' "$ext" >"$TLS_DIR/$name.ext" &&
    ossl x509 -req -in "$TLS_DIR/$name.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" \
      -CAcreateserial -days 2 -sha256 -extfile "$TLS_DIR/$name.ext" -out "$TLS_DIR/$name.crt" &&
    rm -f "$TLS_DIR/$name.csr" "$TLS_DIR/$name.ext"
}

# A throw-away CA, server certificates for both servers, a client certificate
# for the PostgreSQL role weir_cert and an unrelated second CA, in <dir>/tls.
make_tls() {
  local server_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth'
  TLS_DIR=$H/tls
  mkdir -p "$TLS_DIR" || die "cannot create $TLS_DIR"
  chmod 755 "$TLS_DIR"
  if ! {
    tls_key "$TLS_DIR/ca.key" &&
      ossl req -new -x509 -key "$TLS_DIR/ca.key" -subj "/CN=weir harness CA" -days 2 -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$TLS_DIR/ca.crt" &&
      tls_key "$TLS_DIR/wrong-ca.key" &&
      ossl req -new -x509 -key "$TLS_DIR/wrong-ca.key" -subj "/CN=weir harness unrelated CA" -days 2 \
        -sha256 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$TLS_DIR/wrong-ca.crt" &&
      tls_sign pg-server "/CN=localhost" "$server_ext
subjectAltName=DNS:localhost" &&
      tls_sign mysql-server "/CN=localhost" "$server_ext
subjectAltName=DNS:localhost,IP:127.0.0.1" &&
      tls_sign client "/CN=weir_cert" 'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
  } >"$H/tls.log" 2>&1; then
    show_tail "$H/tls.log"
    die "generating TLS certificates with openssl failed"
  fi
  rm -f "$TLS_DIR/ca.key" "$TLS_DIR/wrong-ca.key" "$TLS_DIR/wrong-ca.srl" "$TLS_DIR/ca.srl"
  chmod 644 "$TLS_DIR"/*.crt
  chmod 600 "$TLS_DIR"/*.key
  if (( IS_ROOT )); then
    chown postgres:postgres "$TLS_DIR/pg-server.key" || die "cannot chown the postgres key"
    chown mysql:mysql "$TLS_DIR/mysql-server.key" || die "cannot chown the mariadb key"
  fi
}

# --- PostgreSQL ----------------------------------------------------------

pg_write_port_conf() {
  cat >"$PG_DATA/weir-harness.conf" <<EOF
# written by tests/harness/with-servers.sh
listen_addresses = '$LOOPBACK'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = '$TLS_DIR/pg-server.crt'
ssl_key_file = '$TLS_DIR/pg-server.key'
ssl_ca_file = '$TLS_DIR/ca.crt'
EOF
  (( IS_ROOT )) && chown postgres:postgres "$PG_DATA/weir-harness.conf"
  chmod 600 "$PG_DATA/weir-harness.conf"
}

start_pg() {
  local attempt ok=0 deadline version
  PG_DIR=$H/pg
  PG_DATA=$PG_DIR/data
  PG_SOCK=$PG_DIR/run
  PG_LOG=$PG_DIR/postgres.log
  mkdir -p "$PG_DATA" "$PG_SOCK" || die "cannot create $PG_DIR"
  chmod 755 "$PG_DIR"
  chmod 700 "$PG_SOCK"   # local connections are trust: keep other users out
  chmod 700 "$PG_DATA"
  if (( IS_ROOT )); then chown -R postgres:postgres "$PG_DIR" || die "cannot chown $PG_DIR"; fi
  PG_PASSWORD=$(gen_password)

  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync --no-instructions \
      >"$H/pg-initdb.log" 2>&1; then
    show_tail "$H/pg-initdb.log"
    die "initdb failed"
  fi

  cat >"$PG_DATA/pg_hba.conf" <<EOF
# written by tests/harness/with-servers.sh
# TYPE   DATABASE     USER       ADDRESS        METHOD
local    all          all                       trust
local    replication  all                       trust
hostssl  all          weir_cert  127.0.0.1/32   cert
host     all          weir_cert  127.0.0.1/32   reject
host     all          all        127.0.0.1/32   scram-sha-256
host     replication  all        127.0.0.1/32   scram-sha-256
EOF
  (( IS_ROOT )) && chown postgres:postgres "$PG_DATA/pg_hba.conf"
  chmod 600 "$PG_DATA/pg_hba.conf"
  printf "\ninclude 'weir-harness.conf'\n" >>"$PG_DATA/postgresql.conf"

  for ((attempt = 1; attempt <= PORT_TRIES; attempt++)); do
    if (( attempt == 1 )) && [[ ${WEIR_HARNESS_PG_PORT:-} =~ ^[0-9]+$ ]]; then
      PG_PORT=$WEIR_HARNESS_PG_PORT   # preferred port, tried as is
    else
      PG_PORT=$(pick_port) || die "no free port found for postgres"
    fi
    pg_write_port_conf
    : >"$PG_LOG"
    (( IS_ROOT )) && chown postgres:postgres "$PG_LOG"
    if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$START_TIMEOUT" -s start \
        >"$H/pg-ctl.log" 2>&1; then
      ok=1
      break
    fi
    if grep -Eq 'could not (bind|create listen socket)|Address already in use' "$PG_LOG" &&
        [[ ! -f $PG_DATA/postmaster.pid ]]; then
      log "postgres: port $PG_PORT is taken, retrying with another port"
      continue
    fi
    show_tail "$H/pg-ctl.log"
    show_tail "$PG_LOG"
    die "postgres did not start (timeout ${START_TIMEOUT}s or error)"
  done
  (( ok )) || { show_tail "$PG_LOG"; die "postgres: no usable port after $PORT_TRIES tries"; }

  deadline=$((SECONDS + START_TIMEOUT))
  until clean_run "$PG_BIN/pg_isready" -q -h "$LOOPBACK" -p "$PG_PORT" -t 2; do
    if (( SECONDS >= deadline )); then
      show_tail "$PG_LOG"
      die "postgres does not accept connections on $LOOPBACK:$PG_PORT after ${START_TIMEOUT}s"
    fi
    sleep 0.2
  done

  # Role and database. Statements go over stdin (never argv) and
  # log_min_error_statement=panic keeps them out of the server log.
  if ! clean_run "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" \
      -U postgres -d postgres >/dev/null 2>"$H/pg-setup.log" <<EOF
SET log_min_error_statement = panic;
CREATE ROLE weir LOGIN SUPERUSER REPLICATION PASSWORD '$PG_PASSWORD';
CREATE DATABASE weir_test OWNER weir;
CREATE ROLE weir_cert LOGIN;
EOF
  then
    show_tail "$H/pg-setup.log"
    die "postgres: creating role/database failed"
  fi
  # Check the password login over TCP exactly as the tests will do it.
  if ! clean_run PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -X -q -At \
      "host=$LOOPBACK port=$PG_PORT user=weir dbname=weir_test connect_timeout=10" \
      -c 'select 1' >/dev/null 2>"$H/pg-setup.log"; then
    show_tail "$H/pg-setup.log"
    die "postgres: password login as weir over TCP failed"
  fi

  version=$("$PG_BIN/postgres" --version 2>/dev/null | awk '{print $3}')
  log "postgres ${version:-15} on $LOOPBACK:$PG_PORT (data $PG_DATA)"
}

stop_pg() {
  local pid
  [[ -n $PG_DATA && -f $PG_DATA/postmaster.pid ]] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 -s stop >/dev/null 2>&1 && return 0
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 -s stop >/dev/null 2>&1 && return 0
  read -r pid <"$PG_DATA/postmaster.pid" 2>/dev/null
  if pid_alive "${pid:-x}" && [[ $(proc_comm "$pid") == postgres ]]; then
    kill -KILL "$pid" 2>/dev/null
    wait_gone "$pid" 10
  fi
}

# --- PgBouncer -----------------------------------------------------------

# PgBouncer in front of the harness's PostgreSQL: transaction pooling, every
# other setting PgBouncer's default (so startup parameters it does not track,
# such as `options`, are refused, as on a stock installation). Run as the OS
# user postgres (PgBouncer refuses to run as root), daemonized with a pid file.
pb_write_conf() {
  cat >"$PB_DIR/pgbouncer.ini" <<EOF
; written by tests/harness/with-servers.sh
[databases]
weir_test = host=$LOOPBACK port=$PG_PORT dbname=weir_test

[pgbouncer]
listen_addr = $LOOPBACK
listen_port = $PB_PORT
unix_socket_dir = $PB_DIR
pool_mode = transaction
auth_type = scram-sha-256
auth_file = $PB_DIR/userlist.txt
logfile = $PB_LOG
pidfile = $PB_PIDFILE
EOF
  (( IS_ROOT )) && chown postgres:postgres "$PB_DIR/pgbouncer.ini"
  chmod 600 "$PB_DIR/pgbouncer.ini"
}

pb_pid() { local pid; { read -r pid <"$PB_PIDFILE"; } 2>/dev/null && echo "$pid"; }

pb_alive() {
  local pid
  pid=$(pb_pid) || return 1
  pid_alive "$pid" && [[ $(proc_comm "$pid") == pgbouncer ]]
}

start_pgbouncer() {
  local attempt ok=0 deadline version
  PB_DIR=$H/pgbouncer
  PB_PIDFILE=$PB_DIR/pgbouncer.pid
  PB_LOG=$PB_DIR/pgbouncer.log
  mkdir -p "$PB_DIR" || die "cannot create $PB_DIR"
  chmod 700 "$PB_DIR"
  # The plain password: PgBouncer needs it to log in to the server with SCRAM.
  printf '"weir" "%s"\n' "$PG_PASSWORD" >"$PB_DIR/userlist.txt" || die "cannot write the PgBouncer auth_file"
  chmod 600 "$PB_DIR/userlist.txt"
  if (( IS_ROOT )); then chown -R postgres:postgres "$PB_DIR" || die "cannot chown $PB_DIR"; fi

  for ((attempt = 1; attempt <= PORT_TRIES; attempt++)); do
    if (( attempt == 1 )) && [[ ${WEIR_HARNESS_PGBOUNCER_PORT:-} =~ ^[0-9]+$ ]]; then
      PB_PORT=$WEIR_HARNESS_PGBOUNCER_PORT   # preferred port, tried as is
    else
      PB_PORT=$(pick_port) || die "no free port found for pgbouncer"
    fi
    pb_write_conf
    rm -f "$PB_PIDFILE"
    : >"$PB_LOG"
    (( IS_ROOT )) && chown postgres:postgres "$PB_LOG"
    if as_pg "$PGBOUNCER" -d -q "$PB_DIR/pgbouncer.ini" >"$H/pgbouncer-start.log" 2>&1; then
      deadline=$((SECONDS + START_TIMEOUT))
      # -d: the parent exits at once; the daemon writes the pid file a moment later.
      until clean_run "$PG_BIN/pg_isready" -q -h "$LOOPBACK" -p "$PB_PORT" -d weir_test -t 2; do
        [[ -s $PB_PIDFILE ]] && ! pb_alive && break
        (( SECONDS >= deadline )) && break
        sleep 0.1
      done
      if pb_alive; then
        ok=1
        break
      fi
    fi
    if grep -Eq 'Address already in use' "$PB_LOG" "$H/pgbouncer-start.log" 2>/dev/null; then
      log "pgbouncer: port $PB_PORT is taken, retrying with another port"
      continue
    fi
    show_tail "$H/pgbouncer-start.log"
    show_tail "$PB_LOG"
    die "pgbouncer did not start"
  done
  (( ok )) || { show_tail "$PB_LOG"; die "pgbouncer: no usable port after $PORT_TRIES tries"; }

  # Check the password login through the pooler exactly as the tests will do it.
  if ! clean_run PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -X -q -At \
      "host=$LOOPBACK port=$PB_PORT user=weir dbname=weir_test connect_timeout=10" \
      -c 'select 1' >/dev/null 2>"$H/pgbouncer-setup.log"; then
    show_tail "$H/pgbouncer-setup.log"
    show_tail "$PB_LOG"
    die "pgbouncer: password login as weir over TCP failed"
  fi
  version=$("$PGBOUNCER" --version 2>/dev/null | awk 'NR == 1 {print $2}')
  log "pgbouncer ${version:-?} (pool_mode transaction) on $LOOPBACK:$PB_PORT"
}

stop_pgbouncer() {
  local pid
  [[ -n $PB_PIDFILE ]] || return 0
  pb_alive || return 0
  pid=$(pb_pid)
  kill -INT "$pid" 2>/dev/null   # SIGINT: shut down at once, closing every connection
  if ! wait_gone "$pid" 10; then
    kill -KILL "$pid" 2>/dev/null
    wait_gone "$pid" 10
  fi
  return 0
}

# --- MariaDB -------------------------------------------------------------

my_admin_user() { if (( IS_ROOT )); then echo root; else id -un; fi; }

my_sql() { # runs stdin as the socket-authenticated admin user
  clean_run "$MARIADB_CLIENT" --no-defaults --socket="$MY_SOCK" -u"$(my_admin_user)" \
    --connect-timeout=10 --batch
}

# Creates the MariaDB data dir and starts mariadb-install-db in the background
# (it runs while PostgreSQL is being set up); start_mysql waits for it.
prepare_mysql() {
  local install_opts=()
  MY_DIR=$H/mysql
  MY_DATA=$MY_DIR/data
  MY_SOCK=$MY_DIR/mysqld.sock
  MY_PIDFILE=$MY_DIR/mysqld.pid
  MY_LOG=$MY_DIR/error.log
  mkdir -p "$MY_DATA" "$MY_DIR/tmp" || die "cannot create $MY_DIR"
  chmod 755 "$MY_DIR"
  chmod 700 "$MY_DATA" "$MY_DIR/tmp"
  if (( IS_ROOT )); then
    chown -R mysql:mysql "$MY_DIR" || die "cannot chown $MY_DIR"
    install_opts=(--user=mysql)
  else
    install_opts=(--auth-root-socket-user="$(id -un)")
  fi
  MY_PASSWORD=$(gen_password)

  clean_run "$MARIADB_INSTALL_DB" --no-defaults "${install_opts[@]}" --basedir=/usr \
    --datadir="$MY_DATA" --tmpdir="$MY_DIR/tmp" --skip-test-db --skip-name-resolve \
    </dev/null >"$H/mysql-install-db.log" 2>&1 &
  MY_INSTALL_PID=$!
}

start_mysql() {
  local attempt ok=0 deadline version rc server_opts=()
  (( IS_ROOT )) && server_opts=(--user=mysql)

  wait "$MY_INSTALL_PID"
  rc=$?
  MY_INSTALL_PID=""
  if (( rc != 0 )); then
    show_tail "$H/mysql-install-db.log"
    die "mariadb-install-db failed"
  fi

  for ((attempt = 1; attempt <= PORT_TRIES; attempt++)); do
    if (( attempt == 1 )) && [[ ${WEIR_HARNESS_MYSQL_PORT:-} =~ ^[0-9]+$ ]]; then
      MY_PORT=$WEIR_HARNESS_MYSQL_PORT   # preferred port, tried as is
    else
      MY_PORT=$(pick_port) || die "no free port found for mariadb"
    fi
    rm -f "$MY_LOG" "$MY_PIDFILE"
    MY_CMD=("$MARIADBD" --no-defaults "${server_opts[@]}" --basedir=/usr
      --datadir="$MY_DATA" --tmpdir="$MY_DIR/tmp"
      --socket="$MY_SOCK" --pid-file="$MY_PIDFILE" --log-error="$MY_LOG"
      --bind-address="$LOOPBACK" --port="$MY_PORT" --skip-name-resolve
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
      --local-infile=ON
      --ssl-ca="$TLS_DIR/ca.crt" --ssl-cert="$TLS_DIR/mysql-server.crt"
      --ssl-key="$TLS_DIR/mysql-server.key")
    # setsid: a Ctrl-C at the terminal must not hit the server; we stop it ourselves.
    (
      exec {LOG_FD}>&-
      cd / || exit 1
      for v in $(compgen -e); do case $v in MYSQL*|MARIADB*) unset "$v" ;; esac; done
      exec setsid "${MY_CMD[@]}"
    ) </dev/null >>"$H/mysql-stdout.log" 2>&1 &
    MY_PID=$!

    deadline=$((SECONDS + START_TIMEOUT))
    while :; do
      if clean_run "$MARIADB_ADMIN" --no-defaults --socket="$MY_SOCK" -u"$(my_admin_user)" \
          --connect-timeout=2 ping >/dev/null 2>&1; then
        ok=1
        break
      fi
      if ! pid_alive "$MY_PID"; then
        wait "$MY_PID" 2>/dev/null
        break
      fi
      if (( SECONDS >= deadline )); then
        show_tail "$MY_LOG"
        die "mariadb did not become ready within ${START_TIMEOUT}s"
      fi
      sleep 0.1
    done
    (( ok )) && break
    MY_PID=""
    if grep -Eq "Can't start server: Bind on TCP/IP port|Address already in use|Do you already have another" "$MY_LOG" 2>/dev/null; then
      log "mariadb: port $MY_PORT is taken, retrying with another port"
      continue
    fi
    show_tail "$MY_LOG"
    show_tail "$H/mysql-stdout.log"
    die "mariadb exited during startup"
  done
  (( ok )) || { show_tail "$MY_LOG"; die "mariadb: no usable port after $PORT_TRIES tries"; }

  if ! my_sql >/dev/null 2>"$H/mysql-setup.log" <<EOF
CREATE DATABASE weir_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'weir'@'127.0.0.1' IDENTIFIED BY '$MY_PASSWORD';
CREATE USER 'weir'@'localhost' IDENTIFIED BY '$MY_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'weir'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'weir'@'localhost' WITH GRANT OPTION;
CREATE USER 'weir_cert'@'127.0.0.1' REQUIRE SUBJECT '/CN=weir_cert' AND ISSUER '/CN=weir harness CA';
GRANT SELECT ON weir_test.* TO 'weir_cert'@'127.0.0.1';
EOF
  then
    show_tail "$H/mysql-setup.log"
    die "mariadb: creating user/database failed"
  fi
  # Check the password login over TCP exactly as the tests will do it.
  if ! clean_run MYSQL_PWD="$MY_PASSWORD" "$MARIADB_CLIENT" --no-defaults --protocol=tcp \
      --host="$LOOPBACK" --port="$MY_PORT" -uweir --connect-timeout=10 --batch \
      -e 'select 1' weir_test >/dev/null 2>"$H/mysql-setup.log"; then
    show_tail "$H/mysql-setup.log"
    die "mariadb: password login as weir over TCP failed"
  fi

  write_mysql_ctl
  version=$("$MARIADBD" --version 2>/dev/null | sed -n 's/.*Ver \([0-9][0-9.]*\).*/\1/p')
  log "mariadb ${version:-?} on $LOOPBACK:$MY_PORT (data $MY_DATA)"
}

# Writes $MY_DIR/ctl: `ctl stop|start|restart` stops this run's mariadbd (SIGTERM, waits for
# it to exit) and/or starts it again with the same command line, waiting until it answers on
# its socket. For tests that restart the server (WEIR_TEST_MYSQL_CTL). The server it starts is
# not our child: cleanup finds it through the pid file (stop_mysql_begin) and, failing that,
# by its command line (kill_servers_in).
write_mysql_ctl() {
  local ctl=$MY_DIR/ctl
  {
    printf '#!/usr/bin/env bash\n'
    printf '# Written by tests/harness/with-servers.sh for this run only.\n'
    printf 'set -u\n'
    printf 'cmd=(%s)\n' "$(printf '%q ' "${MY_CMD[@]}")"
    printf 'pidfile=%q sock=%q out=%q admin=%q user=%q timeout=%q\n' "$MY_PIDFILE" "$MY_SOCK" \
      "$H/mysql-stdout.log" "$MARIADB_ADMIN" "$(my_admin_user)" "$START_TIMEOUT"
    cat <<'EOS'
stop() {
  local pid deadline=$((SECONDS + timeout))
  { read -r pid <"$pidfile"; } 2>/dev/null || return 0
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == mariadbd ]] || return 0
  kill -TERM "$pid" 2>/dev/null
  while [[ -e /proc/$pid && $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; do
    (( SECONDS < deadline )) || { echo "ctl: mariadbd $pid did not stop" >&2; return 1; }
    sleep 0.05
  done
}
start() {
  local deadline=$((SECONDS + timeout))
  (
    cd / || exit 1
    for v in $(compgen -e); do case $v in MYSQL*|MARIADB*) unset "$v" ;; esac; done
    exec setsid "${cmd[@]}"
  ) </dev/null >>"$out" 2>&1 &
  until "$admin" --no-defaults --socket="$sock" -u"$user" --connect-timeout=2 ping >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { echo "ctl: mariadbd did not answer within ${timeout}s" >&2; return 1; }
    sleep 0.05
  done
}
case ${1:-restart} in
  stop) stop ;;
  start) start ;;
  restart) stop && start ;;
  *) echo "usage: $0 stop|start|restart" >&2; exit 2 ;;
esac
EOS
  } >"$ctl" || die "cannot write $ctl"
  chmod 700 "$ctl"
}

# SIGTERM (= normal shutdown) to mariadbd; stop_mysql_wait waits for it. Split
# in two so that both servers shut down at the same time.
MY_STOPPING=()
stop_mysql_begin() {
  local pids=() pid
  [[ -n $MY_PID ]] && pids+=("$MY_PID")
  if [[ -n $MY_PIDFILE && -f $MY_PIDFILE ]]; then
    read -r pid <"$MY_PIDFILE" 2>/dev/null
    [[ -n ${pid:-} && $pid != "$MY_PID" ]] && pids+=("$pid")
  fi
  for pid in "${pids[@]}"; do
    if ! pid_alive "$pid" || [[ $(proc_comm "$pid") != mariadbd ]]; then continue; fi
    kill -TERM "$pid" 2>/dev/null && MY_STOPPING+=("$pid")
  done
  return 0
}

stop_mysql_wait() {
  local pid
  for pid in "${MY_STOPPING[@]}"; do
    if ! wait_gone "$pid" 30; then
      kill -KILL "$pid" 2>/dev/null
      wait_gone "$pid" 10
    fi
  done
  [[ -n $MY_PID ]] && wait "$MY_PID" 2>/dev/null
  return 0
}

# --- lifecycle -----------------------------------------------------------

# stop_tree PID: SIGTERM a child of ours and all its descendants (SIGKILL
# after 10 s), then reap it.
stop_tree() {
  local pids p
  [[ -n $1 ]] || return 0
  if pid_alive "$1"; then
    pids="$1 $(descendants "$1")"
    for p in $pids; do kill -TERM "$p" 2>/dev/null; done
    if ! wait_gone "$1" 10; then
      for p in $pids; do kill -KILL "$p" 2>/dev/null; done
    fi
  fi
  wait "$1" 2>/dev/null
  return 0
}

cleanup() {
  (( CLEANED )) && return 0
  CLEANED=1
  trap '' INT TERM HUP
  stop_tree "$CHILD"
  stop_tree "$MY_INSTALL_PID"
  stop_mysql_begin
  stop_pgbouncer
  stop_pg
  stop_mysql_wait
  if [[ -n $H && -d $H ]]; then
    kill_servers_in "$H"     # safety net: anything still running from our dir
    rm -rf -- "$H"
  fi
  return 0
}

on_signal() { # name exit-code
  trap '' INT TERM HUP
  log "caught SIG$1, stopping servers"
  exit "$2"   # runs cleanup via the EXIT trap
}

have_pg_bins() {
  local b
  for b in initdb pg_ctl postgres psql pg_isready; do
    [[ -x $PG_BIN/$b ]] || { echo "$PG_BIN/$b"; return 1; }
  done
  if (( IS_ROOT )); then
    command -v runuser >/dev/null 2>&1 || { echo runuser; return 1; }
    id postgres >/dev/null 2>&1 || { echo "OS user postgres"; return 1; }
  fi
}

have_pgbouncer_bin() {
  [[ -x $PGBOUNCER ]] || { echo "$PGBOUNCER"; return 1; }
}

have_mysql_bins() {
  local b
  for b in "$MARIADBD" "$MARIADB_INSTALL_DB" "$MARIADB_CLIENT" "$MARIADB_ADMIN"; do
    [[ -x $b ]] || { echo "$b"; return 1; }
  done
  command -v setsid >/dev/null 2>&1 || { echo setsid; return 1; }
  if (( IS_ROOT )); then id mysql >/dev/null 2>&1 || { echo "OS user mysql"; return 1; }; fi
}

main() {
  local want_pg=1 want_my=1 want_pb=1 missing rc

  [[ ${1:-} == -- ]] && shift
  case ${1:-} in
    ""|-h|--help) usage; [[ -n ${1:-} ]] && exit 0; exit 2 ;;
  esac

  [[ ${WEIR_HARNESS_SKIP_PG:-0} == 1 ]] && want_pg=0
  [[ ${WEIR_HARNESS_SKIP_MYSQL:-0} == 1 ]] && want_my=0
  [[ ${WEIR_HARNESS_SKIP_PGBOUNCER:-0} == 1 ]] && want_pb=0

  if (( want_pg )) && ! missing=$(have_pg_bins); then
    log "PostgreSQL 15 not usable: missing $missing"
    [[ ${CI:-} == true ]] && die "CI=true: PostgreSQL is required"
    log "continuing without PostgreSQL (WEIR_TEST_PG_URL not set)"
    want_pg=0
  fi
  (( want_pg )) || want_pb=0   # it pools connections to the harness's PostgreSQL
  if (( want_pb )) && ! missing=$(have_pgbouncer_bin); then
    log "PgBouncer not usable: missing $missing"
    [[ ${CI:-} == true ]] && die "CI=true: PgBouncer is required"
    log "continuing without PgBouncer (WEIR_TEST_PGBOUNCER_URL not set)"
    want_pb=0
  fi
  if (( want_my )) && ! missing=$(have_mysql_bins); then
    log "MariaDB not usable: missing $missing"
    [[ ${CI:-} == true ]] && die "CI=true: MariaDB is required"
    log "continuing without MariaDB (WEIR_TEST_MYSQL_URL not set)"
    want_my=0
  fi

  # Never leak an outer harness' settings into this run.
  unset WEIR_TEST_PG_URL WEIR_TEST_PG_PORT WEIR_TEST_PG_PASSWORD WEIR_TEST_PG_SOCKET_DIR \
        WEIR_TEST_PG_DATA WEIR_TEST_PG_BIN WEIR_TEST_PG_LOG \
        WEIR_TEST_PGBOUNCER_URL WEIR_TEST_PGBOUNCER_PORT WEIR_TEST_PGBOUNCER_LOG \
        WEIR_TEST_MYSQL_URL WEIR_TEST_MYSQL_PORT WEIR_TEST_MYSQL_PASSWORD \
        WEIR_TEST_MYSQL_SOCKET WEIR_TEST_MYSQL_LOG WEIR_TEST_MYSQL_DATA WEIR_TEST_MYSQL_PIDFILE \
        WEIR_TEST_MYSQL_CTL WEIR_TEST_HARNESS_DIR \
        WEIR_TEST_TLS_CA WEIR_TEST_TLS_WRONG_CA WEIR_TEST_TLS_CLIENT_CERT WEIR_TEST_TLS_CLIENT_KEY

  reap_stale

  H=$(mktemp -d "${HARNESS_PREFIX}XXXXXX") || die "mktemp failed"
  # "<pid> <starttime>": the start time guards against pid reuse. Written via
  # rename so that a concurrent reaper never sees a half-written file.
  if ! printf '%s %s\n' "$$" "$(proc_info $$ | awk '{print $2}')" >"$H/.owner.pid.tmp" ||
      ! mv -f "$H/.owner.pid.tmp" "$H/owner.pid"; then
    die "cannot write $H/owner.pid"
  fi
  chmod 755 "$H"

  (( want_pg || want_my )) && make_tls
  (( want_my )) && prepare_mysql
  (( want_pg )) && start_pg
  (( want_pb )) && start_pgbouncer
  (( want_my )) && start_mysql

  export WEIR_TEST_HARNESS_DIR=$H
  if [[ -n $TLS_DIR ]]; then
    export WEIR_TEST_TLS_CA=$TLS_DIR/ca.crt
    export WEIR_TEST_TLS_WRONG_CA=$TLS_DIR/wrong-ca.crt
    export WEIR_TEST_TLS_CLIENT_CERT=$TLS_DIR/client.crt
    export WEIR_TEST_TLS_CLIENT_KEY=$TLS_DIR/client.key
  fi
  if (( want_pg )); then
    export WEIR_TEST_PG_URL="postgres://weir:$PG_PASSWORD@$LOOPBACK:$PG_PORT/weir_test"
    export WEIR_TEST_PG_PORT=$PG_PORT
    export WEIR_TEST_PG_PASSWORD=$PG_PASSWORD
    export WEIR_TEST_PG_SOCKET_DIR=$PG_SOCK
    export WEIR_TEST_PG_DATA=$PG_DATA
    export WEIR_TEST_PG_BIN=$PG_BIN
    export WEIR_TEST_PG_LOG=$PG_LOG
  fi
  if (( want_pb )); then
    export WEIR_TEST_PGBOUNCER_URL="postgres://weir:$PG_PASSWORD@$LOOPBACK:$PB_PORT/weir_test"
    export WEIR_TEST_PGBOUNCER_PORT=$PB_PORT
    export WEIR_TEST_PGBOUNCER_LOG=$PB_LOG
  fi
  if (( want_my )); then
    export WEIR_TEST_MYSQL_URL="mysql://weir:$MY_PASSWORD@$LOOPBACK:$MY_PORT/weir_test"
    export WEIR_TEST_MYSQL_PORT=$MY_PORT
    export WEIR_TEST_MYSQL_PASSWORD=$MY_PASSWORD
    export WEIR_TEST_MYSQL_SOCKET=$MY_SOCK
    export WEIR_TEST_MYSQL_LOG=$MY_LOG
    export WEIR_TEST_MYSQL_DATA=$MY_DATA
    export WEIR_TEST_MYSQL_PIDFILE=$MY_PIDFILE
    export WEIR_TEST_MYSQL_CTL=$MY_DIR/ctl
  fi

  # Run the command in the background so that SIGTERM/SIGINT to this script is
  # handled immediately (bash defers traps while a foreground child runs).
  # <&0 keeps stdin (async commands would get /dev/null); env --default-signal
  # undoes the SIGINT/SIGQUIT ignore bash applies to async commands, so Ctrl-C
  # reaches the command as usual.
  if env --default-signal=INT true >/dev/null 2>&1; then
    env --default-signal=INT,QUIT -- "$@" <&0 {LOG_FD}>&- &
  else
    "$@" <&0 {LOG_FD}>&- &
  fi
  CHILD=$!
  wait "$CHILD"
  rc=$?
  CHILD=""
  exit "$rc"
}

trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

main "$@"
