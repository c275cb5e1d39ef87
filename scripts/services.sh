#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis servers on free loopback ports, for
# tests: one Redis, a Redis Sentinel set-up and a Redis Cluster
# (scripts/topology.sh).
#
# Standalone:
#   scripts/services.sh install          install missing Debian packages
#   eval "$(scripts/services.sh start)"  start both servers, print export lines
#   scripts/services.sh env              print the export lines again
#   scripts/services.sh status           show whether the servers are up
#   scripts/services.sh stop [DIR]       stop both servers and remove DIR
#   scripts/services.sh run CMD [ARG...] install, start, run CMD, stop
#
# Sourced (". scripts/services.sh"): defines services_install, services_start,
# services_stop, services_env and services_status; services_start exports the
# variables below into the calling shell. Callers should stop with a trap:
#   trap services_stop EXIT
#
# Exported by start:
#   TENANTPLUGIN_PG_URL        postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#   TENANTPLUGIN_PG2_URL       the same, of a second PostgreSQL server
#   TENANTPLUGIN_REDIS_URL     redis://127.0.0.1:PORT/0
#   TENANTPLUGIN_INTEGRATION   1 (a missing server fails tests instead of skipping them)
#   TENANTPLUGIN_PG_BIN        directory holding initdb, pg_ctl, postgres
#   TENANTPLUGIN_REDIS_SERVER  path of redis-server
#   TENANTPLUGIN_SERVICES_DIR  state directory holding both servers' data
#   TENANTPLUGIN_REDIS_SENTINEL_URL, TENANTPLUGIN_REDIS_SENTINEL_NODES,
#   TENANTPLUGIN_REDIS_SENTINEL_DIR, TENANTPLUGIN_REDIS_CLUSTER_URL,
#   TENANTPLUGIN_REDIS_CLUSTER_DIR  see scripts/topology.sh
#
# Settings (environment):
#   TENANTPLUGIN_PG_BIN        default /usr/lib/postgresql/15/bin
#   TENANTPLUGIN_SERVICES_TMP  parent of the state directory, default /tmp
#                              (it must be traversable by the postgres user)

: "${TENANTPLUGIN_PG_BIN:=/usr/lib/postgresql/15/bin}"

_SVC_MARKER=".tenantplugin-services"
# Ports are picked below the Linux ephemeral range (32768-60999) so that
# sockets bound to port 0 by the tests cannot take them first.
_SVC_PORT_MIN=15000
_SVC_PORT_MAX=32000

_svc_log() { printf 'services: %s\n' "$*" >&2; }

# shellcheck source=scripts/topology.sh
. "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

# _svc_alive PID: true if PID is a running (not zombie) process.
_svc_alive() {
	local pid="$1" stat
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
	stat="${stat##*) }"
	[[ "${stat:0:1}" != "Z" && "${stat:0:1}" != "X" ]]
}

# _svc_port_busy PORT: true if something listens on 127.0.0.1:PORT.
_svc_port_busy() {
	local port="$1"
	local out=""
	if command -v ss >/dev/null 2>&1; then
		out="$(ss -Hltn "sport = :$port" 2>/dev/null)" || out=""
		[[ -z "$out" ]] || return 0
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# _svc_free_port: print a port nobody listens on.
_svc_free_port() {
	local i port span=$((_SVC_PORT_MAX - _SVC_PORT_MIN))
	for ((i = 0; i < 200; i++)); do
		port=$((_SVC_PORT_MIN + (RANDOM * 32768 + RANDOM) % span))
		if ! _svc_port_busy "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	_svc_log "no free port found"
	return 1
}

# _svc_as_postgres CMD...: run CMD as the postgres user when running as root.
_svc_as_postgres() {
	if [[ "$(id -u)" == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# _svc_wait_gone PID SECONDS: wait until PID has exited.
_svc_wait_gone() {
	local pid="$1" i
	for ((i = 0; i < $2 * 10; i++)); do
		_svc_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}

# _svc_redis_ping PORT: true if a Redis server answers PING on PORT.
_svc_redis_ping() {
	local port="$1" line=""
	(
		exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
		printf 'PING\r\n' >&3
		IFS= read -r -t 1 line <&3 || exit 1
		[[ "$line" == "+PONG"* ]]
	) 2>/dev/null
}

_svc_pg_pid() {
	local dir="$1" name="${2:-pg}" pid=""
	[[ -r "$dir/$name/data/postmaster.pid" ]] || return 1
	IFS= read -r pid <"$dir/$name/data/postmaster.pid" || true
	printf '%s\n' "$pid"
}

_svc_redis_pid() {
	local dir="$1" pid=""
	[[ -r "$dir/redis/redis.pid" ]] || return 1
	IFS= read -r pid <"$dir/redis/redis.pid" || true
	printf '%s\n' "$pid"
}

_svc_pg_up() {
	local dir="$1" name="${2:-pg}" pid port
	pid="$(_svc_pg_pid "$dir" "$name")" || return 1
	_svc_alive "$pid" || return 1
	port="$(cat "$dir/$name/port" 2>/dev/null)" || return 1
	"$TENANTPLUGIN_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1
}

_svc_redis_up() {
	local dir="$1" pid port
	pid="$(_svc_redis_pid "$dir")" || return 1
	_svc_alive "$pid" || return 1
	port="$(cat "$dir/redis/port" 2>/dev/null)" || return 1
	_svc_redis_ping "$port"
}

# services_install: install the Debian packages that are missing.
_svc_install_impl() {
	local pkgs=() p rc=0 policy_created=0 log
	[[ -x "$TENANTPLUGIN_PG_BIN/initdb" ]] || pkgs+=(postgresql-15)
	command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
	command -v redis-cli >/dev/null 2>&1 || pkgs+=(redis-tools)
	# The example's browser tests drive headless Chromium; a font keeps
	# their screenshots legible.
	command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
	# Tests start a PgBouncer of their own (internal/testenv).
	[[ -x /usr/sbin/pgbouncer ]] || command -v pgbouncer >/dev/null 2>&1 || pkgs+=(pgbouncer)
	[[ -e /usr/share/fonts/truetype/liberation ]] || pkgs+=(fonts-liberation)
	[[ ${#pkgs[@]} -gt 0 ]] || return 0
	if [[ "$(id -u)" != 0 ]]; then
		_svc_log "missing ${pkgs[*]}; run as root to install them"
		return 1
	fi
	for p in "${pkgs[@]}"; do
		_svc_log "installing $p"
	done
	# Keep the packages' own service units from starting during install.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy_created=1
	fi
	log="$(mktemp "${TMPDIR:-/tmp}/tenantplugin-apt.XXXXXX")" || return 1
	if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >"$log" 2>&1; then
		_svc_log "apt-get update failed:"
		tail -n 20 "$log" >&2
		rc=1
	elif ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${pkgs[@]}" </dev/null >"$log" 2>&1; then
		_svc_log "apt-get install ${pkgs[*]} failed:"
		tail -n 20 "$log" >&2
		rc=1
	fi
	rm -f "$log"
	if [[ "$policy_created" == 1 ]]; then
		rm -f /usr/sbin/policy-rc.d
	fi
	[[ "$rc" == 0 ]] || return 1
	[[ -x "$TENANTPLUGIN_PG_BIN/initdb" ]] || {
		_svc_log "$TENANTPLUGIN_PG_BIN/initdb still missing after install"
		return 1
	}
	command -v redis-server >/dev/null 2>&1 || {
		_svc_log "redis-server still missing after install"
		return 1
	}
	command -v chromium >/dev/null 2>&1 || {
		_svc_log "chromium still missing after install"
		return 1
	}
}

_svc_start_pg() {
	local dir="$1" name="${2:-pg}" port attempt
	if _svc_pg_up "$dir" "$name"; then
		return 0
	fi
	if [[ ! -x "$TENANTPLUGIN_PG_BIN/initdb" ]]; then
		_svc_log "$TENANTPLUGIN_PG_BIN/initdb not found (run: $0 install)"
		return 1
	fi
	if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
		_svc_log "user postgres does not exist"
		return 1
	fi
	# A cluster that is not answering is replaced, not repaired.
	_svc_stop_pg "$dir" "$name"
	rm -rf "$dir/$name"
	mkdir -p "$dir/$name/sock" || return 1
	if [[ "$(id -u)" == 0 ]]; then
		chown -R postgres: "$dir/$name" || return 1
	fi
	if ! (cd "$dir/$name" && _svc_as_postgres "$TENANTPLUGIN_PG_BIN/initdb" -D "$dir/$name/data" \
		-N -U postgres --auth=trust -E UTF8 --locale=C.UTF-8) >"$dir/$name/initdb.log" 2>&1; then
		_svc_log "initdb failed:"
		tail -n 20 "$dir/$name/initdb.log" >&2
		return 1
	fi
	for ((attempt = 1; attempt <= 5; attempt++)); do
		port="$(_svc_free_port)" || return 1
		if (cd "$dir/$name" && _svc_as_postgres "$TENANTPLUGIN_PG_BIN/pg_ctl" -D "$dir/$name/data" \
			-l "$dir/$name/server.log" -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $dir/$name/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
			-w start) >"$dir/$name/pg_ctl.log" 2>&1; then
			printf '%s\n' "$port" >"$dir/$name/port"
			return 0
		fi
		_svc_log "postgres did not start on port $port (attempt $attempt)"
		_svc_stop_pg "$dir" "$name"
	done
	_svc_log "postgres failed to start; last log lines:"
	tail -n 20 "$dir/$name/server.log" >&2 2>/dev/null
	return 1
}

_svc_start_redis() {
	local dir="$1" port attempt deadline redis
	if _svc_redis_up "$dir"; then
		return 0
	fi
	redis="${TENANTPLUGIN_REDIS_SERVER:-$(command -v redis-server)}"
	if [[ -z "$redis" || ! -x "$redis" ]]; then
		_svc_log "redis-server not found (run: $0 install)"
		return 1
	fi
	_svc_stop_redis "$dir"
	mkdir -p "$dir/redis" || return 1
	for ((attempt = 1; attempt <= 5; attempt++)); do
		port="$(_svc_free_port)" || return 1
		rm -f "$dir/redis/redis.pid" "$dir/redis/server.log"
		printf '%s\n' "$port" >"$dir/redis/port"
		if "$redis" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
			--daemonize yes --pidfile "$dir/redis/redis.pid" --dir "$dir/redis" \
			--logfile "$dir/redis/server.log" </dev/null >/dev/null 2>&1; then
			# --daemonize returns before the port is bound and the pid file is
			# written; wait until our own process answers PING.
			deadline=$((SECONDS + 15))
			while ((SECONDS < deadline)); do
				if _svc_redis_up "$dir"; then
					return 0
				fi
				if grep -q -e 'aborting' -e 'Could not create server TCP' -e 'Fatal' \
					"$dir/redis/server.log" 2>/dev/null; then
					break
				fi
				sleep 0.1
			done
		fi
		_svc_log "redis did not start on port $port (attempt $attempt)"
		_svc_stop_redis "$dir"
	done
	_svc_log "redis failed to start; last log lines:"
	tail -n 20 "$dir/redis/server.log" >&2 2>/dev/null
	return 1
}

_svc_stop_pg() {
	local dir="$1" name="${2:-pg}" pid
	[[ -d "$dir/$name/data" ]] || return 0
	pid="$(_svc_pg_pid "$dir" "$name")" || return 0
	if _svc_alive "$pid"; then
		(cd "$dir/$name" && _svc_as_postgres "$TENANTPLUGIN_PG_BIN/pg_ctl" -D "$dir/$name/data" \
			-m immediate -t 20 -w stop) >/dev/null 2>&1
		if ! _svc_wait_gone "$pid" 5; then
			kill -KILL "$pid" 2>/dev/null
			_svc_wait_gone "$pid" 5
		fi
	fi
	rm -f "$dir/$name/data/postmaster.pid"
}

_svc_stop_redis() {
	local dir="$1" pid
	pid="$(_svc_redis_pid "$dir")" || return 0
	if _svc_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! _svc_wait_gone "$pid" 10; then
			kill -KILL "$pid" 2>/dev/null
			_svc_wait_gone "$pid" 5
		fi
	fi
	rm -f "$dir/redis/redis.pid"
}

# _svc_export NAME VALUE: print a single-quoted export line.
_svc_export() {
	local q="'\\''"
	printf "export %s='%s'\n" "$1" "${2//\'/$q}"
}

_svc_write_env() {
	local dir="$1" pg_port pg2_port redis_port redis
	pg_port="$(cat "$dir/pg/port")" || return 1
	pg2_port="$(cat "$dir/pg2/port")" || return 1
	redis_port="$(cat "$dir/redis/port")" || return 1
	redis="${TENANTPLUGIN_REDIS_SERVER:-$(command -v redis-server)}"
	{
		_svc_export TENANTPLUGIN_SERVICES_DIR "$dir"
		_svc_export TENANTPLUGIN_PG_URL "postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
		_svc_export TENANTPLUGIN_PG2_URL "postgres://postgres@127.0.0.1:$pg2_port/postgres?sslmode=disable"
		_svc_export TENANTPLUGIN_REDIS_URL "redis://127.0.0.1:$redis_port/0"
		_svc_export TENANTPLUGIN_INTEGRATION 1
		_svc_export TENANTPLUGIN_PG_BIN "$TENANTPLUGIN_PG_BIN"
		_svc_export TENANTPLUGIN_REDIS_SERVER "$redis"
		_svc_topo_env "$dir"
	} >"$dir/env"
}

# services_start: start both servers (reusing the ones already running under
# $TENANTPLUGIN_SERVICES_DIR) and export the connection variables.
_svc_start_impl() {
	local dir="${TENANTPLUGIN_SERVICES_DIR:-}" parent="${TENANTPLUGIN_SERVICES_TMP:-/tmp}"
	if [[ -z "$dir" || ! -f "$dir/$_SVC_MARKER" ]]; then
		dir="$(mktemp -d "$parent/tenantplugin-svc.XXXXXX")" || return 1
		chmod 755 "$dir" || return 1
		: >"$dir/$_SVC_MARKER"
	fi
	export TENANTPLUGIN_SERVICES_DIR="$dir"
	_svc_start_pg "$dir" || return 1
	# A second PostgreSQL server: tenants spread over several servers.
	_svc_start_pg "$dir" pg2 || return 1
	_svc_start_redis "$dir" || return 1
	_svc_start_topologies "$dir" || return 1
	_svc_write_env "$dir" || return 1
	# shellcheck disable=SC1091
	. "$dir/env"
}

# services_stop [DIR]: stop both servers and remove DIR. Safe to call more
# than once and after a partial start.
_svc_stop_impl() {
	local dir="${1:-${TENANTPLUGIN_SERVICES_DIR:-}}"
	[[ -n "$dir" && -d "$dir" ]] || return 0
	if [[ ! -f "$dir/$_SVC_MARKER" ]]; then
		_svc_log "refusing to remove $dir: not a services directory"
		return 1
	fi
	_svc_stop_pg "$dir"
	_svc_stop_pg "$dir" pg2
	_svc_stop_redis "$dir"
	_svc_stop_topologies "$dir"
	rm -rf "$dir"
	if [[ "${TENANTPLUGIN_SERVICES_DIR:-}" == "$dir" ]]; then
		unset TENANTPLUGIN_SERVICES_DIR TENANTPLUGIN_PG_URL TENANTPLUGIN_PG2_URL TENANTPLUGIN_REDIS_URL TENANTPLUGIN_INTEGRATION \
			TENANTPLUGIN_REDIS_SENTINEL_URL TENANTPLUGIN_REDIS_SENTINEL_NODES TENANTPLUGIN_REDIS_SENTINEL_DIR \
			TENANTPLUGIN_REDIS_CLUSTER_URL TENANTPLUGIN_REDIS_CLUSTER_DIR
	fi
	return 0
}

# services_env: print the export lines of the running servers.
_svc_env_impl() {
	local dir="${1:-${TENANTPLUGIN_SERVICES_DIR:-}}"
	if [[ -z "$dir" || ! -f "$dir/env" ]]; then
		_svc_log "no services running (TENANTPLUGIN_SERVICES_DIR unset or stale)"
		return 1
	fi
	cat "$dir/env"
}

_svc_status_impl() {
	local dir="${1:-${TENANTPLUGIN_SERVICES_DIR:-}}" rc=0
	if [[ -z "$dir" || ! -d "$dir" ]]; then
		echo "services: not started"
		return 1
	fi
	local pg
	for pg in pg pg2; do
		if _svc_pg_up "$dir" "$pg"; then
			echo "postgres ($pg): up on 127.0.0.1:$(cat "$dir/$pg/port")"
		else
			echo "postgres ($pg): down"
			rc=1
		fi
	done
	if _svc_redis_up "$dir"; then
		echo "redis: up on 127.0.0.1:$(cat "$dir/redis/port")"
	else
		echo "redis: down"
		rc=1
	fi
	local name
	for name in sentinel cluster; do
		if _svc_topo_up "$dir" "$name"; then
			echo "redis $name: up on ports $(tr '\n' ' ' <"$dir/$name/nodes")"
		else
			echo "redis $name: down"
			rc=1
		fi
	done
	return "$rc"
}

# Public entry points. Each runs its body as the left side of "||" so that a
# caller's "set -e" does not abort it half-way (a half-done stop leaks servers).
services_install() { _svc_install_impl || return $?; }
services_start() { _svc_start_impl || return $?; }
services_stop() { _svc_stop_impl "$@" || return $?; }
services_env() { _svc_env_impl "$@" || return $?; }
services_status() { _svc_status_impl "$@" || return $?; }

_svc_main() {
	local cmd="${1:-}"
	shift || true
	case "$cmd" in
	install)
		services_install
		;;
	start)
		services_install || return 1
		if ! services_start; then
			services_stop
			return 1
		fi
		services_env
		;;
	stop)
		services_stop "$@"
		;;
	env)
		services_env "$@"
		;;
	status)
		services_status "$@"
		;;
	run)
		[[ $# -gt 0 ]] || {
			echo "usage: $0 run CMD [ARG...]" >&2
			return 2
		}
		services_install || return 1
		trap 'services_stop' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		services_start || return 1
		"$@"
		;;
	*)
		echo "usage: $0 {install|start|stop [DIR]|env|status|run CMD...}" >&2
		return 2
		;;
	esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -uo pipefail
	_svc_main "$@"
	exit $?
fi
