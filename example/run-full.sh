#!/usr/bin/env bash
# Runs the example hospital application's full stack on this machine:
# PostgreSQL 15 and Redis on 127.0.0.1, the tenants tenant-1.localhost and
# tenant-2.localhost created with tenantctl, then example/cmd/worker and
# example/cmd/server (its Redis mode). Ctrl-C stops everything.
#
#   example/run-full.sh           start (again: the data of the last run is kept)
#   example/run-full.sh --fresh   remove the data of the last run first
#
# Missing Debian packages (postgresql-15, redis-server) are installed with
# apt-get when run as root. Everything lives in one directory of its own,
# RUN_FULL_DIR (default /tmp/tenantplugin-full): the servers' data, the
# built programs and the logs (logs/server.log, logs/worker.log).
#
# Settings (environment):
#   RUN_FULL_DIR   state directory (default /tmp/tenantplugin-full)
#   PORT           the server's HTTP port (default 9500)
#   PG_PORT        PostgreSQL's port (default 15432)
#   REDIS_PORT     Redis's port (default 16379)
#   PG_BIN         PostgreSQL's binaries (default /usr/lib/postgresql/15/bin)
set -euo pipefail

DIR="${RUN_FULL_DIR:-/tmp/tenantplugin-full}"
PORT="${PORT:-9500}"
PG_PORT="${PG_PORT:-15432}"
REDIS_PORT="${REDIS_PORT:-16379}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
SERVICE=hospital
TENANTS=(tenant-1.localhost tenant-2.localhost)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=$SECONDS

log() { printf 'run-full: [%3ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() {
	log "$*"
	exit 1
}

as_postgres() {
	if [[ "$(id -u)" == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# redis_ping PORT: true if a Redis server answers PING on PORT.
redis_ping() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf 'PING\r\n' >&3
		IFS= read -r -t 1 line <&3 || exit 1
		[[ "$line" == "+PONG"* ]]
	) 2>/dev/null
}

# wait_gone PID SECONDS
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

install_missing() {
	local pkgs=()
	[[ -x "$PG_BIN/initdb" ]] || pkgs+=(postgresql-15)
	command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
	[[ ${#pkgs[@]} -gt 0 ]] || return 0
	[[ "$(id -u)" == 0 ]] || die "missing ${pkgs[*]}: install them, or run as root"
	log "installing ${pkgs[*]}"
	local policy=0
	# Keep the packages' own services from starting.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy=1
	fi
	local rc=0
	DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >"$DIR/apt.log" 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			"${pkgs[@]}" </dev/null >>"$DIR/apt.log" 2>&1 || rc=$?
	[[ "$policy" == 0 ]] || rm -f /usr/sbin/policy-rc.d
	[[ "$rc" == 0 ]] || {
		tail -n 20 "$DIR/apt.log" >&2
		die "apt-get failed (log: $DIR/apt.log)"
	}
	[[ -x "$PG_BIN/initdb" ]] || die "$PG_BIN/initdb still missing after install"
	command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after install"
}

pg_pid() { [[ -r "$DIR/pg/data/postmaster.pid" ]] && head -n 1 "$DIR/pg/data/postmaster.pid"; }
redis_pid() { [[ -r "$DIR/redis/redis.pid" ]] && cat "$DIR/redis/redis.pid"; }

stop_pg() {
	local pid
	pid="$(pg_pid)" || return 0
	if alive "$pid"; then
		(cd "$DIR/pg" && as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -t 20 -w stop) >/dev/null 2>&1 ||
			kill -KILL "$pid" 2>/dev/null || true
		wait_gone "$pid" 10 || true
	fi
}

stop_redis() {
	local pid
	pid="$(redis_pid)" || return 0
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/redis/redis.pid"
}

start_pg() {
	if [[ ! -f "$DIR/pg/data/PG_VERSION" ]]; then
		rm -rf "$DIR/pg"
		mkdir -p "$DIR/pg/sock"
		[[ "$(id -u)" != 0 ]] || chown -R postgres: "$DIR/pg"
		(cd "$DIR/pg" && as_postgres "$PG_BIN/initdb" -D "$DIR/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8) \
			>"$DIR/pg/initdb.log" 2>&1 || {
			tail -n 20 "$DIR/pg/initdb.log" >&2
			die "initdb failed"
		}
	fi
	port_busy "$PG_PORT" && die "port $PG_PORT is taken: set PG_PORT"
	(cd "$DIR/pg" && as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg/sock" -w start) >/dev/null 2>&1 || {
		tail -n 20 "$DIR/pg/server.log" >&2
		die "PostgreSQL did not start"
	}
}

start_redis() {
	port_busy "$REDIS_PORT" && die "port $REDIS_PORT is taken: set REDIS_PORT"
	mkdir -p "$DIR/redis"
	# An append-only file keeps the tenants from one run to the next.
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis" \
		--appendonly yes --save '' --daemonize yes --pidfile "$DIR/redis/redis.pid" \
		--logfile "$DIR/redis/server.log" </dev/null >/dev/null 2>&1 || die "redis-server did not start"
	local i
	for ((i = 0; i < 150; i++)); do
		if alive "$(redis_pid || true)" && redis_ping "$REDIS_PORT"; then
			return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$DIR/redis/server.log" >&2
	die "Redis did not answer"
}

SERVER_PID=""
WORKER_PID=""
stop_all() {
	trap - INT TERM EXIT
	log "stopping"
	local pid
	for pid in "$SERVER_PID" "$WORKER_PID"; do
		alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "$SERVER_PID" "$WORKER_PID"; do
		if [[ -n "$pid" ]]; then
			wait "$pid" 2>/dev/null || true
		fi
	done
	stop_redis
	stop_pg
	rm -f "$DIR/run.pid"
	log "stopped (data kept in $DIR; --fresh starts from nothing)"
}

if [[ "${1:-}" == "--fresh" ]]; then
	FRESH=1
	shift
fi
[[ $# == 0 ]] || die "usage: $0 [--fresh]"

mkdir -p "$DIR"
chmod 755 "$DIR"
# One run per directory: a second one would stop the first's servers.
if other="$(cat "$DIR/run.pid" 2>/dev/null)" && [[ "$other" != "$$" ]] && alive "$other" &&
	tr '\0' ' ' <"/proc/$other/cmdline" 2>/dev/null | grep -q 'run-full\.sh'; then
	die "example/run-full.sh is running already in $DIR (pid $other): use that run, stop it with Ctrl-C, or give this one another RUN_FULL_DIR, PORT, PG_PORT and REDIS_PORT"
fi
echo "$$" >"$DIR/run.pid"
# Whatever the last run left running is stopped first.
stop_redis
stop_pg
if [[ "${FRESH:-0}" == 1 ]]; then
	log "removing the data of the last run"
	rm -rf "$DIR/pg" "$DIR/redis"
fi
mkdir -p "$DIR/bin" "$DIR/logs"
port_busy "$PORT" && die "port $PORT is taken: set PORT"

install_missing
on_signal() {
	stop_all
	exit 0
}
trap on_signal INT TERM
trap stop_all EXIT

log "building the server, the worker and tenantctl"
(cd "$ROOT" && go build -o "$DIR/bin/" ./example/cmd/server ./example/cmd/worker ./example/cmd/tenantctl)

log "starting PostgreSQL and Redis"
start_pg
start_redis
log "PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"

# The application's own database: the central one, owned by its user, who
# may create the tenants' databases.
as_postgres "$PG_BIN/psql" -h "$DIR/pg/sock" -p "$PG_PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT 'CREATE ROLE hospital LOGIN CREATEDB PASSWORD ''hospital'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hospital') \gexec
SELECT 'CREATE DATABASE central OWNER hospital'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'central') \gexec
SQL

export DATABASE_URL="postgres://hospital:hospital@127.0.0.1:$PG_PORT/central?sslmode=disable"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

log "creating the tenants ${TENANTS[*]}"
for t in "${TENANTS[@]}"; do
	"$DIR/bin/tenantctl" -service "$SERVICE" create "$t" | sed 's/^/tenantctl: /' >&2
done

log "starting the worker and the server"
"$DIR/bin/worker" -service "$SERVICE" >"$DIR/logs/worker.log" 2>&1 &
WORKER_PID=$!
"$DIR/bin/server" -service "$SERVICE" -addr "127.0.0.1:$PORT" >"$DIR/logs/server.log" 2>&1 &
SERVER_PID=$!

ready=0
for ((i = 0; i < 300; i++)); do
	if grep -q 'msg=serving' "$DIR/logs/server.log" 2>/dev/null && grep -q 'msg=working' "$DIR/logs/worker.log" 2>/dev/null; then
		ready=1
		break
	fi
	alive "$SERVER_PID" || break
	alive "$WORKER_PID" || break
	sleep 0.1
done
if [[ "$ready" != 1 ]]; then
	tail -n 20 "$DIR/logs/server.log" "$DIR/logs/worker.log" >&2
	die "the server or the worker did not start"
fi

cat <<EOF

Ready in $((SECONDS - START)) s. Open:
  http://tenant-1.localhost:$PORT/
  http://tenant-2.localhost:$PORT/

Each tenant has its own PostgreSQL database; patients added on a page are
inserted by the worker, as that tenant. Try, in another shell:
  export REDIS_URL='$REDIS_URL' DATABASE_URL='$DATABASE_URL'
  $DIR/bin/tenantctl create tenant-3.localhost    # then http://tenant-3.localhost:$PORT/
  $DIR/bin/tenantctl remove tenant-3.localhost    # the page answers 404 again
Logs: $DIR/logs/server.log, $DIR/logs/worker.log. Ctrl-C stops everything.

EOF

# Until Ctrl-C, or until the server or the worker exits.
set +e
wait -n "$SERVER_PID" "$WORKER_PID"
log "the server or the worker exited; last log lines:"
tail -n 5 "$DIR/logs/server.log" "$DIR/logs/worker.log" >&2
exit 1
