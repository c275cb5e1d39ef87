#!/usr/bin/env bash
# Runs go vet and the full test suite (with the race detector) against
# throwaway PostgreSQL and Redis servers, which are stopped on exit.
#
#   scripts/test.sh                       all packages
#   scripts/test.sh -run TestX -v         extra flags go to "go test"
#   scripts/test.sh -run TestX -- ./resolver/...
#                                         packages after "--" replace ./...
set -euo pipefail

cd "$(dirname "$0")/.."

flags=()
pkgs=()
seen_sep=0
for arg in "$@"; do
	if [[ "$seen_sep" == 0 && "$arg" == "--" ]]; then
		seen_sep=1
	elif [[ "$seen_sep" == 1 ]]; then
		pkgs+=("$arg")
	else
		flags+=("$arg")
	fi
done
[[ ${#pkgs[@]} -gt 0 ]] || pkgs=(./...)

echo "== go vet ${pkgs[*]}"
go vet "${pkgs[@]}"

# shellcheck source=scripts/services.sh
. scripts/services.sh

services_install

# Always use servers of our own, even if the caller has some running: they
# are stopped and removed on exit.
unset TENANTPLUGIN_SERVICES_DIR
# shellcheck disable=SC2317 # invoked by the EXIT trap
stop_services() {
	local t0=${EPOCHREALTIME/[.,]/}
	services_stop
	echo "== services stopped in $(((${EPOCHREALTIME/[.,]/} - t0) / 1000)) ms"
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

t0=${EPOCHREALTIME/[.,]/}
services_start
t1=${EPOCHREALTIME/[.,]/}
pg_port=${TENANTPLUGIN_PG_URL#*127.0.0.1:}
pg_port=${pg_port%%/*}
redis_port=${TENANTPLUGIN_REDIS_URL#*127.0.0.1:}
redis_port=${redis_port%%/*}
echo "== postgres on 127.0.0.1:$pg_port, redis on 127.0.0.1:$redis_port (started in $(((t1 - t0) / 1000)) ms)"

echo "== go test -race -count=1${flags[*]:+ ${flags[*]}} ${pkgs[*]}"
# go test runs in a session (and process group) of its own so that a signal
# to this script can end it and every test binary it started, before the
# servers are stopped.
setsid -w go test -race -count=1 "${flags[@]}" "${pkgs[@]}" &
test_pid=$!
# shellcheck disable=SC2317 # invoked by the signal traps
interrupt_tests() {
	kill -INT -- "-$test_pid" "$test_pid" 2>/dev/null || true
	wait "$test_pid" 2>/dev/null || true
	exit "$1"
}
trap 'interrupt_tests 130' INT
trap 'interrupt_tests 143' TERM
trap 'interrupt_tests 129' HUP
rc=0
wait "$test_pid" || rc=$?
exit "$rc"
