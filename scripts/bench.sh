#!/usr/bin/env bash
# Runs the benchmarks against throwaway PostgreSQL and Redis servers and
# prints a Markdown table of medians and the performance targets.
#
#   scripts/bench.sh            5 rounds
#   ROUNDS=9 scripts/bench.sh
#
# Each round runs every benchmark once, so that the compared variants
# alternate through the run and share the machine's noise.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${ROUNDS:-5}"
out="${BENCH_OUT:-bench-results}"
mkdir -p "$out"
raw="$out/raw.txt"
: >"$raw"

# shellcheck source=scripts/services.sh
. scripts/services.sh
services_install
# The example's load benchmark drives wrk.
if ! command -v wrk >/dev/null 2>&1; then
	echo "installing wrk" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null >/dev/null
fi
trap services_stop EXIT
services_start

go test -c -o "$out/benchmarks.test" ./benchmarks
go test -c -o "$out/e2e.test" ./internal/e2e
go test -c -o "$out/provision.test" ./provision
go test -c -o "$out/chi.test" ./chi
for i in $(seq 1 "$rounds"); do
	echo "round $i/$rounds" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench '^Benchmark(Routing|RoutingWithStrategy)$' -test.benchmem -test.benchtime 2s | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkRoutingCold$' -test.benchtime 3000x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkRoutingColdParts$' -test.benchtime 3000x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkRawRouting$' -test.benchtime 200000x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench 'FirstByPK' -test.benchtime 6000x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench 'ColdTenant' -test.benchtime 100x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkBudget$' -test.benchtime 3x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench 'IdleTenantMemory' -test.benchtime 1x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkMigrateAll$' -test.benchtime 2x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkMigrateServers$' -test.benchtime 2x | tee -a "$raw" >&2
	"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkNoisyServer$' -test.benchtime 1x | tee -a "$raw" >&2 || echo "round $i: BenchmarkNoisyServer failed (see above); its other rounds still count" >&2
	"$out/provision.test" -test.run '^$' -test.bench '^BenchmarkCreate$' -test.benchtime 20x | tee -a "$raw" >&2
	"$out/chi.test" -test.run '^$' -test.bench '^BenchmarkMiddleware$/host' -test.benchtime 1s | tee -a "$raw" >&2
	"$out/e2e.test" -test.run '^$' -test.bench 'Propagation|Recovery' -test.benchtime 1x | tee -a "$raw" >&2
	# One failover per topology and kind a round: the table shows the
	# median over the rounds.
	"$out/e2e.test" -test.run '^$' -test.bench '^BenchmarkFailover$' -test.benchtime 1x | tee -a "$raw" >&2 || echo "round $i: BenchmarkFailover failed (see above); its other rounds still count" >&2
done

# Long ones, once: Zipf traffic over 10,000 tenants (about 80 s), and the
# example app under wrk (its own table, below ours).
"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkCapacity$' -test.benchtime 1x | tee -a "$raw" >&2
"$out/benchmarks.test" -test.run '^$' -test.bench '^BenchmarkStoreSync$' -test.benchtime 1x | tee -a "$raw" >&2
ROUNDS="$rounds" BENCH_OUT="$out" bash scripts/loadbench.sh >"$out/loadbench.md"

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), PostgreSQL $("$TENANTPLUGIN_PG_BIN/postgres" --version | awk '{print $3}') on loopback; $rounds rounds"
echo
go run ./internal/cmd/benchtable <"$raw"
echo
cat "$out/loadbench.md"
