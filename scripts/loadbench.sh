#!/usr/bin/env bash
# Load benchmark of the example dashboard under wrk: GET /api/hospitals
# served by example/cmd/loadserver in its two modes, single (plain GORM on
# one database, no plugin, no middleware) and tenant (the plugin and the
# tenant middleware, requests spread over tenant-1.localhost and
# tenant-2.localhost, each on its own database). Prints a Markdown table
# of medians and the ratio tenant/single against the target.
#
#   scripts/loadbench.sh                          5 rounds of 10s a mode
#   DURATION=2s ROUNDS=1 scripts/loadbench.sh     smoke run, under a minute
#   PROFILE=1 scripts/loadbench.sh                and CPU profiles (below)
#
# Settings (environment):
#   ROUNDS        rounds (default 5); each runs both modes, the order
#                 alternating, so that the machine's noise hits both
#   DURATION      wrk -d of each run (default 10s)
#   THREADS       wrk -t (default 2)
#   CONNECTIONS   wrk -c (default 32), keep-alive connections
#   POOL          connections each database pool keeps open and idle at
#                 most, in both modes (default CONNECTIONS: no request
#                 ever waits for a connection; see Fairness)
#   SERVER_PROCS  GOMAXPROCS of the servers (default 1; see below)
#   TARGET        per cent of the single mode's req/s the tenant mode must
#                 keep (default 95)
#   BENCH_OUT     directory (as for scripts/bench.sh) that receives
#                 loadbench.json, the raw wrk output, the servers' logs and
#                 the profiles; default a temporary directory, removed
#   PROFILE=1     one more round after the measured ones, not counted,
#                 with a CPU profile of each server over its run
#                 (BENCH_OUT/loadbench-{single,tenant}.cpu.pprof)
#   TENANTPLUGIN_PG_URL  PostgreSQL server to use; unset, a throwaway one
#                 is started with scripts/services.sh and stopped at exit
#
# Fairness: both servers run the same handlers, GORM config, logging and
# seeded rows (the same response bytes); both run for the whole
# benchmark, warmed up before the first round; wrk sends the same
# Lua-built requests on keep-alive connections to both. Every database
# pool has POOL connections, and the tenant mode's connection budget is
# never short. The tenant mode has a pool per tenant, though: with POOL
# below CONNECTIONS the single mode's one pool makes requests wait where
# the tenant mode's two do not, which measures pool sizes, not code. So
# POOL defaults to CONNECTIONS: no request waits for a connection in
# either mode, and in both at most CONNECTIONS queries reach PostgreSQL
# at once. Each server reports its pools' waits at exit; the script
# prints them and warns when there were any. With SERVER_PROCS=1 the
# server has one core of the two that wrk and PostgreSQL share with it,
# so its own CPU time, where the plugin's cost lies, shows in the
# throughput instead of hiding in an idle core.
#
# It fails (exit 1) when a request fails: a non-2xx status, a socket
# error, or a wrong answer before the rounds. A missed target is
# reported, not a failure: on a shared machine the figures are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${ROUNDS:-5}"
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
conns="${CONNECTIONS:-32}"
pool="${POOL:-$conns}"
procs="${SERVER_PROCS:-1}"
target="${TARGET:-95}"
profile="${PROFILE:-0}"
path="/api/hospitals"

log() { printf 'loadbench: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

for v in rounds threads conns pool procs target; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
# seconds DURATION: wrk's duration in whole seconds (Ns, Nm, Nh or N).
seconds() {
	local d="$1"
	case "$d" in
	*[0-9]s | *[0-9]) echo "${d%s}" ;;
	*[0-9]m) echo $((${d%m} * 60)) ;;
	*[0-9]h) echo $((${d%h} * 3600)) ;;
	*) return 1 ;;
	esac
}
secs="$(seconds "$duration" || true)"
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || die "DURATION must be like 10s, 1m; got '$duration'"
command -v wrk >/dev/null 2>&1 || die "wrk not found (Debian: apt-get install wrk)"
command -v curl >/dev/null 2>&1 || die "curl not found"
psql="$(command -v psql || true)"
[[ -n "$psql" ]] || psql="${TENANTPLUGIN_PG_BIN:-/usr/lib/postgresql/15/bin}/psql"
[[ -x "$psql" ]] || die "psql not found"

work="$(mktemp -d "${TMPDIR:-/tmp}/loadbench.XXXXXX")"
out="${BENCH_OUT:-$work/out}"
mkdir -p "$out"
raw="$out/loadbench-raw.txt"
: >"$raw"

services_started=0
dbs=()
pids=()
# Per mode: the server's process, its address and its pprof address.
declare -A server_pid server_addr server_pprof
cleanup() {
	local rc=$? pid
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for db in "${dbs[@]}"; do
		"$psql" -q -X "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 ||
			log "could not drop database $db"
	done
	if [[ "$services_started" == 1 ]]; then
		services_stop
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "${TENANTPLUGIN_PG_URL:-}" ]]; then
	# shellcheck source=scripts/services.sh
	. scripts/services.sh
	unset TENANTPLUGIN_SERVICES_DIR
	services_install
	services_started=1
	services_start
fi
PG_URL="$TENANTPLUGIN_PG_URL"

prefix="loadbench_$$_${RANDOM}"
for name in single central tenant_1 tenant_2; do
	"$psql" -q -X -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE ${prefix}_$name" >/dev/null
	dbs+=("${prefix}_$name")
done

log "building example/cmd/loadserver"
go build -o "$work/loadserver" ./example/cmd/loadserver

# start_server MODE ARGS...: start the server, wait until it serves, and
# note its address and pprof address from the line it prints then.
start_server() {
	local mode="$1" logf="$out/loadserver-$1.log" line="" i
	shift
	GOMAXPROCS="$procs" "$work/loadserver" -mode "$mode" -dsn "$PG_URL" -addr 127.0.0.1:0 \
		-pprof 127.0.0.1:0 -pool "$pool" "$@" 2>"$logf" &
	pids+=("$!")
	server_pid[$mode]="$!"
	for ((i = 0; i < 600; i++)); do
		line="$(grep -m1 '^loadserver: serving ' "$logf" || true)"
		[[ -n "$line" ]] && break
		kill -0 "${pids[-1]}" 2>/dev/null || {
			cat "$logf" >&2
			die "loadserver -mode $mode exited before serving"
		}
		sleep 0.1
	done
	[[ -n "$line" ]] || die "loadserver -mode $mode not serving after 60s"
	[[ "$line" =~ \ addr=([^ ]+)\ pprof=([^ ]+)\  ]] || die "unexpected line from loadserver: $line"
	server_addr[$mode]="${BASH_REMATCH[1]}"
	server_pprof[$mode]="${BASH_REMATCH[2]}"
}

start_server single -db "${prefix}_single"
start_server tenant -central "${prefix}_central" -tenant-dbs "${prefix}_tenant_1,${prefix}_tenant_2"
addr_single="${server_addr[single]}"
addr_tenant="${server_addr[tenant]}"
port_single="${addr_single##*:}"
port_tenant="${addr_tenant##*:}"
# The Host headers of each mode's requests, in turn.
hosts_single=("localhost:$port_single")
hosts_tenant=("tenant-1.localhost:$port_tenant" "tenant-2.localhost:$port_tenant")

# Both modes must answer the same bytes, and the tenant mode must refuse
# a host that is no tenant, before anything is measured.
fetch() { curl -sS --max-time 10 -o "$3" -w '%{http_code}' -H "Host: $2" "http://$1$path"; }
[[ "$(fetch "$addr_single" "${hosts_single[0]}" "$work/single.json")" == 200 ]] || die "single mode: GET $path is not 200: $(cat "$work/single.json")"
for h in "${hosts_tenant[@]}"; do
	[[ "$(fetch "$addr_tenant" "$h" "$work/tenant.json")" == 200 ]] || die "tenant mode, Host $h: GET $path is not 200: $(cat "$work/tenant.json")"
	cmp -s "$work/single.json" "$work/tenant.json" || die "tenant mode, Host $h answers otherwise than the single mode"
done
code="$(fetch "$addr_tenant" "tenant-3.localhost:$port_tenant" "$work/unknown.json")"
[[ "$code" == 404 ]] || die "tenant mode: an unknown host got $code, want 404"

# The same Lua for both modes: the requests, one per Host given after
# "--", built once per thread and sent in turn; done() prints one line
# for this script.
cat >"$work/loadbench.lua" <<EOF
local reqs, n, i = {}, 0, 0
function init(args)
  for k = 1, #args do
    reqs[k] = wrk.format("GET", "$path", { Host = args[k] })
  end
  n = #reqs
end
function request()
  i = i % n + 1
  return reqs[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LOADBENCH requests=%d duration_us=%d status=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
EOF

results="$work/results.tsv" # round, mode, req/s, p50 µs, p99 µs, server CPU µs/request
: >"$results"

# cpu_ticks PID: the user and system CPU time PID has used, in clock
# ticks.
clk_tck="$(getconf CLK_TCK)"
cpu_ticks() {
	local stat
	stat="$(cat "/proc/$1/stat")" || die "server $1 is gone"
	stat="${stat##*) }"
	# shellcheck disable=SC2086 # fields 3.. of /proc/PID/stat
	set -- $stat
	echo $((${12} + ${13}))
}

# run_wrk ROUND MODE DURATION: one wrk run against MODE's server; ROUND
# 0 is not recorded. Fails on any failed request.
run_wrk() {
	local round="$1" mode="$2" d="$3" line o cpu0 cpu1 hosts=()
	case "$mode" in
	single) hosts=("${hosts_single[@]}") ;;
	tenant) hosts=("${hosts_tenant[@]}") ;;
	esac
	o="$work/wrk.out"
	cpu0="$(cpu_ticks "${server_pid[$mode]}")"
	wrk -t"$threads" -c"$conns" -d"$d" -s "$work/loadbench.lua" "http://${server_addr[$mode]}" -- "${hosts[@]}" >"$o" 2>&1 ||
		{
			cat "$o" >&2
			die "wrk failed against the $mode mode"
		}
	cpu1="$(cpu_ticks "${server_pid[$mode]}")"
	{
		echo "## round $round mode $mode"
		cat "$o"
	} >>"$raw"
	line="$(grep -m1 '^LOADBENCH ' "$o" || true)"
	[[ -n "$line" ]] || {
		cat "$o" >&2
		die "wrk printed no LOADBENCH line ($mode mode)"
	}
	local requests=-1 duration_us=-1 status=-1 connect=-1 read=-1 write=-1 timeout=-1 p50_us=-1 p99_us=-1 kv
	for kv in ${line#LOADBENCH }; do
		case "$kv" in
		requests=* | duration_us=* | status=* | connect=* | read=* | write=* | timeout=* | p50_us=* | p99_us=*)
			[[ "${kv#*=}" =~ ^[0-9]+$ ]] || die "unexpected figure from wrk: $kv"
			printf -v "${kv%%=*}" '%s' "${kv#*=}"
			;;
		esac
	done
	for kv in requests duration_us status connect read write timeout p50_us p99_us; do
		((${!kv} >= 0)) || die "wrk's line lacks $kv: $line"
	done
	if ((status + connect + read + write + timeout > 0)); then
		cat "$o" >&2
		die "$mode mode, round $round: $status non-2xx responses, socket errors: connect $connect, read $read, write $write, timeout $timeout"
	fi
	((requests > 0)) || die "$mode mode, round $round: no request completed"
	local rps cpu_us
	rps="$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.1f", r / (d / 1e6) }')"
	cpu_us="$(awk -v t="$((cpu1 - cpu0))" -v hz="$clk_tck" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')"
	log "round $round: $mode $rps req/s, p50 ${p50_us}µs, p99 ${p99_us}µs, server CPU ${cpu_us}µs/request"
	if [[ "$round" != 0 ]]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$mode" "$rps" "$p50_us" "$p99_us" "$cpu_us" >>"$results"
	fi
}

# profile_run ROUND MODE: run_wrk with a CPU profile of the server over
# the run, saved in $out.
profile_run() {
	local mode="$2" ppid
	curl -sS --max-time $((secs + 30)) -o "$out/loadbench-$mode.cpu.pprof" \
		"http://${server_pprof[$mode]}/debug/pprof/profile?seconds=$secs" &
	ppid=$!
	run_wrk "$1" "$mode" "$duration"
	wait "$ppid" || die "the CPU profile of the $mode mode failed"
	log "CPU profile: $out/loadbench-$mode.cpu.pprof (go tool pprof -top $out/loadserver FILE)"
}

log "warming up"
run_wrk 0 single 1s
run_wrk 0 tenant 1s
for ((i = 1; i <= rounds; i++)); do
	if ((i % 2)); then order=(single tenant); else order=(tenant single); fi
	for mode in "${order[@]}"; do
		run_wrk "$i" "$mode" "$duration"
	done
done
if [[ "$profile" == 1 ]]; then
	log "profiled round (not counted)"
	cp "$work/loadserver" "$out/loadserver"
	profile_run 0 single
	profile_run 0 tenant
fi

# Stop the servers now, for their pools' waits.
for pid in "${pids[@]}"; do
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done
pids=()

# median MODE COLUMN: the median of COLUMN (3 req/s, 4 p50, 5 p99, 6 CPU) over
# MODE's runs.
median() {
	awk -F'\t' -v m="$1" -v c="$2" '$2 == m { print $c }' "$results" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() {
	awk -F'\t' -v m="$1" '$2 == m { print $3 }' "$results" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s–%s", lo, hi }'
}
ms() { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }

s_rps="$(median single 3)"
t_rps="$(median tenant 3)"
ratio="$(awk -v t="$t_rps" -v s="$s_rps" 'BEGIN { printf "%.3f", t / s }')"
cpu_ratio="$(awk -v t="$(median tenant 6)" -v s="$(median single 6)" 'BEGIN { printf "%.3f", t / s }')"
met="$(awk -v r="$ratio" -v g="$target" 'BEGIN { print (r * 100 >= g) ? "met" : "not met" }')"
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "GET $path, wrk -t$threads -c$conns -d$duration, $rounds rounds; servers GOMAXPROCS=$procs, pool $pool a database; $machine; $(go version | cut -d' ' -f3)"
echo
echo "| mode | median req/s | req/s min–max | p50 latency | p99 latency | server CPU/request |"
echo "|---|---:|---:|---:|---:|---:|"
for mode in single tenant; do
	echo "| $mode | $(median "$mode" 3) | $(range "$mode") | $(ms "$(median "$mode" 4)") | $(ms "$(median "$mode" 5)") | $(median "$mode" 6) µs |"
done
echo
echo "tenant/single: $ratio (target ≥ $(awk -v g="$target" 'BEGIN { printf "%.2f", g / 100 }'): $met); server CPU per request tenant/single: $cpu_ratio"
echo
grep -h '^loadserver: pool waits' "$out"/loadserver-*.log | sed 's/^loadserver: //' || true
if grep -h '^loadserver: pool waits' "$out"/loadserver-*.log | grep -qv '=0 ('; then
	log "warning: requests waited for a pool connection (above): the ratio measures pool sizes too; raise POOL"
fi

{
	printf '{\n  "path": "%s", "rounds": %s, "duration": "%s", "threads": %s, "connections": %s,\n' "$path" "$rounds" "$duration" "$threads" "$conns"
	printf '  "pool": %s, "server_gomaxprocs": %s, "machine": "%s",\n' "$pool" "$procs" "${machine//\"/}"
	printf '  "runs": [\n'
	awk -F'\t' '{ printf "%s    {\"round\": %s, \"mode\": \"%s\", \"req_per_s\": %s, \"p50_us\": %s, \"p99_us\": %s, \"server_cpu_us_per_req\": %s}", (NR > 1 ? ",\n" : ""), $1, $2, $3, $4, $5, $6 } END { print "" }' "$results"
	printf '  ],\n'
	for mode in single tenant; do
		printf '  "%s": {"median_req_per_s": %s, "median_p50_us": %s, "median_p99_us": %s, "median_server_cpu_us_per_req": %s},\n' "$mode" "$(median "$mode" 3)" "$(median "$mode" 4)" "$(median "$mode" 5)" "$(median "$mode" 6)"
	done
	printf '  "ratio": %s, "server_cpu_ratio": %s, "target": %s, "target_met": %s\n}\n' "$ratio" "$cpu_ratio" "$(awk -v g="$target" 'BEGIN { printf "%.2f", g / 100 }')" "$([[ "$met" == met ]] && echo true || echo false)"
} >"$out/loadbench.json"
if [[ -n "${BENCH_OUT:-}" ]]; then
	log "results: $out/loadbench.json, raw wrk output: $raw"
fi
