#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions are called from traps or by name
# Run a command against a throwaway PostgreSQL 15 and Redis, then stop both and delete their data:
#
#   scripts/with-services.sh <command> [args...]
#
# The command sees:
#   DATABASE_URL      postgres://postgres@127.0.0.1:$PG_PORT/backstride (trust auth; btree_gist is
#                     installed there and in template1, so Django's test database has it too)
#   PG_PORT           the PostgreSQL port
#   REDIS_URL         redis://127.0.0.1:$REDIS_PORT/0
#   REDIS_PORT        the Redis port
#   REDIS_SERVER_BIN  path of redis-server
#
# A test may simulate a Redis outage by stopping the server (kill it, or
# `redis-cli -p "$REDIS_PORT" shutdown nosave`) and bring it back on the same port with
#   "$REDIS_SERVER_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
# Whatever Redis listens on REDIS_PORT when the command ends is shut down here as well.
#
# As root, missing packages are installed with apt-get: postgresql, redis-server, Pango
# (libpango-1.0-0 libpangoft2-1.0-0, for WeasyPrint) and, unless WITH_BROWSER=0, chromium. A
# server that can't be had leaves its URL unset (the suite skips what needs it), except with
# CI=true, where a missing PostgreSQL or Redis is an error.
#
# The servers and the temp dirs are removed on any exit, including failure, Ctrl-C and TERM; the
# script exits with the command's status (130/143 when interrupted).
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
WITH_BROWSER=${WITH_BROWSER:-1}
CI=${CI:-}

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ $# -eq 0 ]]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

is_root=0
if [[ $(id -u) -eq 0 ]]; then is_root=1; fi

pg_dir='' redis_dir='' redis_pid='' redis_port='' child='' apt_log=''

# --- process helpers --------------------------------------------------------------------------

# True while pid runs (a zombie counts as gone).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# wait_gone PID SECONDS: poll until PID has exited; false on timeout.
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while alive "$pid"; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.1
  done
}

# Run a PostgreSQL binary as the postgres user when root (initdb and postgres refuse root).
as_pg() {
  if ((is_root)); then
    (cd "$pg_dir" && runuser -u postgres -- "$@")
  else
    (cd "$pg_dir" && "$@")
  fi
}

tail_log() {
  if [[ -s $1 ]]; then
    log "last lines of ${1##*/}:"
    tail -n 20 "$1" | sed 's/^/    /' >&2
  fi
}

# --- cleanup ----------------------------------------------------------------------------------

stop_redis() {
  if [[ -n $redis_port ]]; then
    # By port rather than pid: a test may have restarted it (see above).
    timeout 5 redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [[ -n $redis_pid ]]; then
    if alive "$redis_pid"; then kill -TERM "$redis_pid" 2>/dev/null || true; fi
    if ! wait_gone "$redis_pid" 5; then kill -KILL "$redis_pid" 2>/dev/null || true; fi
    wait "$redis_pid" 2>/dev/null || true
  fi
}

stop_postgres() {
  local pidfile=$pg_dir/data/postmaster.pid pid
  [[ -n $pg_dir && -f $pidfile ]] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 && return 0
  pid=$(head -n 1 "$pidfile" 2>/dev/null) || return 0
  if [[ $pid =~ ^[0-9]+$ ]]; then
    kill -QUIT "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 5; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
}

cleanup() {
  local rc=$?
  set +e
  trap '' INT TERM HUP
  if [[ -n $child ]] && alive "$child"; then
    kill -TERM "$child" 2>/dev/null
    wait_gone "$child" 10 || kill -KILL "$child" 2>/dev/null
  fi
  stop_redis
  stop_postgres
  for d in "$pg_dir" "$redis_dir" "$apt_log"; do
    if [[ -n $d ]]; then rm -rf -- "$d"; fi
  done
  exit "$rc"
}

# Ctrl-C reaches the command directly (same process group), so on INT give it time to finish
# its own shutdown; TERM/HUP are passed on. Either way, stop waiting after a grace period.
on_signal() {
  local sig=$1 code=$2
  trap '' INT TERM HUP
  if [[ -n $child ]] && alive "$child"; then
    if [[ $sig == INT ]]; then
      wait_gone "$child" 10 || kill -TERM "$child" 2>/dev/null || true
    else
      kill -"$sig" "$child" 2>/dev/null || true
    fi
    wait_gone "$child" 10 || kill -KILL "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit "$code"
}

trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

# --- packages ---------------------------------------------------------------------------------

have_postgres() {
  local b
  for b in initdb postgres pg_ctl pg_isready psql; do
    [[ -x $PG_BIN/$b ]] || return 1
  done
}
have_redis() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null; }
have_chromium() { command -v chromium >/dev/null; }
# grep reads to the end (not -q), so pipefail never sees ldconfig killed by SIGPIPE.
have_lib() { ldconfig -p 2>/dev/null | grep -F "$1" >/dev/null; }
have_pango() { have_lib libpango-1.0.so.0; }
have_pangoft2() { have_lib libpangoft2-1.0.so.0; }

apt_updated=0

# apt-get update has no lock timeout of its own, so retry while another apt holds the lists lock.
apt_update() {
  local deadline=$((SECONDS + 600)) out
  while :; do
    if out=$(DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 update 2>&1); then
      return 0
    fi
    if [[ $out != *"Could not get lock"* ]] || ((SECONDS >= deadline)); then
      printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /' >&2
      return 1
    fi
    sleep 3
  done
}

apt_install() {
  local pkg=$1
  if ((!apt_updated)); then
    apt_updated=1
    log "running apt-get update"
    apt_update || log "warning: apt-get update failed; trying the install anyway"
  fi
  log "installing $pkg"
  apt_log=${apt_log:-$(mktemp -t with-services-apt.XXXXXX)}
  if ! DEBIAN_FRONTEND=noninteractive apt-get -qq -y -o DPkg::Lock::Timeout=600 \
    install "$pkg" >"$apt_log" 2>&1; then
    log "warning: installing $pkg failed"
    tail_log "$apt_log"
    return 1
  fi
}

# ensure PACKAGE HAVE_FUNCTION WHAT: install PACKAGE if HAVE_FUNCTION fails and we may.
ensure() {
  local pkg=$1 check=$2 what=$3
  "$check" && return 0
  if ((is_root)); then
    apt_install "$pkg" || true
    "$check" && return 0
  else
    log "$what not found; install it with: sudo apt-get install $pkg"
  fi
  return 1
}

# Missing PostgreSQL or Redis: an error with CI=true, otherwise a warning.
unavailable() {
  if [[ $CI == true ]]; then
    die "$1 is unavailable and CI=true requires it"
  fi
  log "warning: $1 is unavailable; running without $2 (tests that need it are skipped)"
}

want_pg=1 want_redis=1
ensure postgresql have_postgres "PostgreSQL 15 ($PG_BIN)" || want_pg=0
ensure redis-server have_redis "redis-server" || want_redis=0
if [[ $WITH_BROWSER == 1 ]]; then
  ensure chromium have_chromium "chromium" ||
    log "warning: chromium is unavailable; browser tests will be skipped"
fi
# WeasyPrint (the referral summary's PDF) loads Debian's Pango at import.
ensure libpango-1.0-0 have_pango "Pango (libpango-1.0-0)" || log "warning: no Pango; PDFs fail"
ensure libpangoft2-1.0-0 have_pangoft2 "Pango (libpangoft2-1.0-0)" || log "warning: no Pango FT2"
if ((want_pg && is_root)) && ! id -u postgres >/dev/null 2>&1; then
  log "no postgres user to run PostgreSQL as (reinstall the postgresql package)"
  want_pg=0
fi

unset DATABASE_URL PG_PORT REDIS_URL REDIS_PORT REDIS_SERVER_BIN
if ((!want_pg)); then unavailable PostgreSQL DATABASE_URL; fi
if ((!want_redis)); then unavailable Redis REDIS_URL; fi

# --- free ports -------------------------------------------------------------------------------

ports=$(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
') || die "could not pick free ports (python3 is needed)"
read -r pg_port redis_port_free <<<"$ports"

# --- PostgreSQL -------------------------------------------------------------------------------

start_postgres() {
  local port=$1 deadline
  if ((is_root)); then
    pg_dir=$(mktemp -d -p /tmp with-services-pg.XXXXXX) || return 1
    chown postgres: "$pg_dir" || return 1
  else
    pg_dir=$(mktemp -d -t with-services-pg.XXXXXX) || return 1
  fi
  if ! as_pg "$PG_BIN/initdb" -D "$pg_dir/data" --auth=trust -U postgres \
    --encoding=UTF8 --locale=C --no-sync >"$pg_dir/initdb.log" 2>&1; then
    log "initdb failed"
    tail_log "$pg_dir/initdb.log"
    return 1
  fi
  cat >>"$pg_dir/data/postgresql.conf" <<EOF || return 1

# with-services.sh: throwaway test server
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pg_dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  if ! as_pg "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 30 start \
    >"$pg_dir/pg_ctl.log" 2>&1; then
    log "PostgreSQL did not start"
    tail_log "$pg_dir/pg_ctl.log"
    tail_log "$pg_dir/postgres.log"
    return 1
  fi
  deadline=$((SECONDS + 30))
  until "$PG_BIN/pg_isready" -q -t 1 -h 127.0.0.1 -p "$port" -U postgres -d postgres; do
    if ((SECONDS >= deadline)); then
      log "PostgreSQL is not answering on port $port"
      tail_log "$pg_dir/postgres.log"
      return 1
    fi
    sleep 0.2
  done
  local sql=(-X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  if ! { PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" "${sql[@]}" -d template1 \
    -c 'CREATE EXTENSION IF NOT EXISTS btree_gist' &&
    "$PG_BIN/psql" "${sql[@]}" -d postgres -c 'CREATE DATABASE backstride' &&
    PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" "${sql[@]}" -d backstride \
      -c 'CREATE EXTENSION IF NOT EXISTS btree_gist'; } >"$pg_dir/setup.log" 2>&1; then
    log "setting up the backstride database failed"
    tail_log "$pg_dir/setup.log"
    return 1
  fi
}

if ((want_pg)); then
  if start_postgres "$pg_port"; then
    export PG_PORT=$pg_port
    export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/backstride"
  else
    stop_postgres
    unavailable PostgreSQL DATABASE_URL
  fi
fi

# --- Redis ------------------------------------------------------------------------------------

start_redis() {
  local port=$1 bin deadline
  bin=$(command -v redis-server) || return 1
  redis_dir=$(mktemp -d -t with-services-redis.XXXXXX) || return 1
  # Own session, so a Ctrl-C in the terminal leaves the shutdown to cleanup.
  setsid "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    --dir "$redis_dir" </dev/null >"$redis_dir/redis.log" 2>&1 &
  redis_pid=$!
  deadline=$((SECONDS + 30))
  until [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; do
    if ! alive "$redis_pid" || ((SECONDS >= deadline)); then
      log "Redis did not start on port $port"
      tail_log "$redis_dir/redis.log"
      return 1
    fi
    sleep 0.1
  done
  if ! alive "$redis_pid"; then # something else answered on the port
    log "Redis did not start on port $port"
    tail_log "$redis_dir/redis.log"
    return 1
  fi
  redis_port=$port
  REDIS_SERVER_BIN=$bin
}

if ((want_redis)); then
  if start_redis "$redis_port_free"; then
    export REDIS_SERVER_BIN REDIS_PORT=$redis_port
    export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  else
    stop_redis
    unavailable Redis REDIS_URL
  fi
fi

# --- the command ------------------------------------------------------------------------------

# In the background so a TERM to this script is handled at once; an async command would get
# stdin from /dev/null and SIGINT ignored, so keep stdin and restore the default INT/QUIT.
reset_signals=()
if env --default-signal=INT true 2>/dev/null; then
  reset_signals=(env '--default-signal=INT,QUIT')
fi
"${reset_signals[@]}" "$@" <&0 &
child=$!
set +e
wait "$child"
rc=$?
set -e
child=
exit "$rc"
