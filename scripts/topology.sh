# shellcheck shell=bash
# Redis Sentinel and Redis Cluster on loopback, for tests. Sourced by
# scripts/services.sh, whose helpers (_svc_log, _svc_free_port, _svc_alive,
# _svc_wait_gone, _svc_redis_ping, _svc_export) it uses.
#
# Sentinel: a master, a replica and three sentinels watching them under
# the master name "tenantplugin" (down after 1 s). Cluster: three masters
# and three replicas (node timeout 1 s). Every data node has an
# append-only file. Each node lives in DIR/<port>/ with its redis.conf and
# redis.pid, so that a test that killed a node starts it again with
#   redis-server DIR/<port>/redis.conf [--replicaof HOST PORT]
# (it daemonizes and writes the same pid file, so services_stop stops it).
#
# Exported by services_start (see _svc_topo_env):
#   TENANTPLUGIN_REDIS_SENTINEL_URL    redis://127.0.0.1:S1/0?master_name=tenantplugin&addr=127.0.0.1:S2&addr=127.0.0.1:S3
#   TENANTPLUGIN_REDIS_SENTINEL_NODES  127.0.0.1:M,127.0.0.1:R (the data nodes, master first at start)
#   TENANTPLUGIN_REDIS_SENTINEL_DIR    parent of the nodes' directories
#   TENANTPLUGIN_REDIS_CLUSTER_URL     redis://127.0.0.1:C1?addr=127.0.0.1:C2&...&addr=127.0.0.1:C6
#   TENANTPLUGIN_REDIS_CLUSTER_DIR     parent of the nodes' directories

_SVC_SENTINEL_MASTER=tenantplugin
# How long the topologies take to notice a dead master: short, for tests.
_SVC_DOWN_AFTER_MS=1000
_SVC_FAILOVER_TIMEOUT_MS=3000
_SVC_CLUSTER_NODE_TIMEOUT_MS=1000

_svc_redis_bin() { printf '%s\n' "${TENANTPLUGIN_REDIS_SERVER:-$(command -v redis-server)}"; }

# _svc_cli PORT ARG...: run redis-cli against 127.0.0.1:PORT.
_svc_cli() {
	local port="$1"
	shift
	redis-cli -h 127.0.0.1 -p "$port" --no-raw "$@" 2>/dev/null
}

# _svc_cli_raw PORT ARG...: as _svc_cli, raw output (no quotes).
_svc_cli_raw() {
	local port="$1"
	shift
	redis-cli -h 127.0.0.1 -p "$port" --raw "$@" 2>/dev/null
}

# _svc_node_conf DIR PORT [LINE...]: write DIR/PORT/redis.conf.
_svc_node_conf() {
	local parent="$1" port="$2" d
	shift 2
	d="$parent/$port"
	mkdir -p "$d" || return 1
	{
		printf 'bind 127.0.0.1\nport %s\nprotected-mode no\n' "$port"
		printf 'daemonize yes\npidfile %s/redis.pid\nlogfile %s/redis.log\ndir %s\n' "$d" "$d" "$d"
		printf 'save ""\n'
		local line
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$d/redis.conf"
}

# _svc_node_start DIR PORT [ARG...]: start the node of DIR/PORT and wait
# until it answers PING.
_svc_node_start() {
	local parent="$1" port="$2" d deadline pid
	shift 2
	d="$parent/$port"
	rm -f "$d/redis.pid"
	if ! "$(_svc_redis_bin)" "$d/redis.conf" "$@" </dev/null >/dev/null 2>&1; then
		_svc_log "redis-server $d/redis.conf did not start"
		return 1
	fi
	deadline=$((SECONDS + 15))
	while ((SECONDS < deadline)); do
		if [[ -r "$d/redis.pid" ]] && IFS= read -r pid <"$d/redis.pid" && _svc_alive "$pid" &&
			_svc_redis_ping "$port"; then
			return 0
		fi
		sleep 0.05
	done
	_svc_log "redis node on port $port did not answer; last log lines:"
	tail -n 20 "$d/redis.log" >&2 2>/dev/null
	return 1
}

# _svc_ports N [BUS]: print N distinct free ports, one a line. With BUS,
# PORT+10000 (the cluster bus port) must be free too, and below the
# ephemeral range as well.
_svc_ports() {
	local n="$1" bus="${2:-}" port seen=" " tries=0
	while ((n > 0)); do
		((tries++ < 500)) || {
			_svc_log "no free ports found"
			return 1
		}
		port="$(_svc_free_port)" || return 1
		[[ "$seen" == *" $port "* ]] && continue
		if [[ -n "$bus" ]]; then
			((port + 10000 <= _SVC_PORT_MAX)) || continue
			_svc_port_busy $((port + 10000)) && continue
		fi
		seen+="$port "
		printf '%s\n' "$port"
		n=$((n - 1))
	done
}

# _svc_wait_until SECONDS WHAT CMD...: run CMD every 50 ms until it succeeds.
_svc_wait_until() {
	local secs="$1" what="$2" deadline
	shift 2
	deadline=$((SECONDS + secs))
	while ((SECONDS < deadline)); do
		"$@" && return 0
		sleep 0.05
	done
	_svc_log "timed out after ${secs}s waiting for $what"
	return 1
}

_svc_replica_linked() {
	_svc_cli_raw "$1" INFO replication | grep -q '^master_link_status:up'
}

# _svc_sentinel_ready PORT: the sentinel sees the replica and both other
# sentinels.
_svc_sentinel_ready() {
	local out
	out="$(_svc_cli_raw "$1" SENTINEL MASTER "$_SVC_SENTINEL_MASTER")" || return 1
	grep -A1 -x 'num-slaves' <<<"$out" | tail -n1 | grep -qx 1 &&
		grep -A1 -x 'num-other-sentinels' <<<"$out" | tail -n1 | grep -qx 2
}

_svc_sentinel_all_ready() {
	local p
	for p in "$@"; do
		_svc_sentinel_ready "$p" || return 1
	done
}

_svc_start_sentinel() {
	local dir="$1/sentinel" ports m r s p
	mkdir -p "$dir" || return 1
	mapfile -t ports < <(_svc_ports 5) || return 1
	[[ ${#ports[@]} -eq 5 ]] || return 1
	m="${ports[0]}" r="${ports[1]}"
	s=("${ports[@]:2}")
	for p in "$m" "$r"; do
		_svc_node_conf "$dir" "$p" 'appendonly yes' 'appendfsync everysec' \
			'repl-diskless-sync yes' 'repl-diskless-sync-delay 0' || return 1
	done
	_svc_node_start "$dir" "$m" || return 1
	_svc_node_start "$dir" "$r" --replicaof 127.0.0.1 "$m" || return 1
	_svc_wait_until 15 "the sentinel replica to sync" _svc_replica_linked "$r" || return 1
	for p in "${s[@]}"; do
		_svc_node_conf "$dir" "$p" \
			"sentinel monitor $_SVC_SENTINEL_MASTER 127.0.0.1 $m 2" \
			"sentinel down-after-milliseconds $_SVC_SENTINEL_MASTER $_SVC_DOWN_AFTER_MS" \
			"sentinel failover-timeout $_SVC_SENTINEL_MASTER $_SVC_FAILOVER_TIMEOUT_MS" \
			"sentinel parallel-syncs $_SVC_SENTINEL_MASTER 1" || return 1
		_svc_node_start "$dir" "$p" --sentinel || return 1
	done
	_svc_wait_until 20 "the sentinels to see each other and the replica" _svc_sentinel_all_ready "${s[@]}" || return 1
	printf '%s\n' "$m" "$r" >"$dir/nodes"
	printf '%s\n' "${s[@]}" >"$dir/sentinels"
}

# _svc_cluster_ok PORT...: every node reports cluster_state:ok, knows six
# nodes, and every replica's link to its master is up.
_svc_cluster_ok() {
	local p info
	for p in "$@"; do
		info="$(_svc_cli_raw "$p" CLUSTER INFO)" || return 1
		grep -q '^cluster_state:ok' <<<"$info" || return 1
		grep -q '^cluster_known_nodes:6' <<<"$info" || return 1
		info="$(_svc_cli_raw "$p" INFO replication)" || return 1
		if grep -q '^role:slave' <<<"$info"; then
			grep -q '^master_link_status:up' <<<"$info" || return 1
		fi
	done
}

_svc_start_cluster() {
	local dir="$1/cluster" ports p addrs=() log
	mkdir -p "$dir" || return 1
	mapfile -t ports < <(_svc_ports 6 bus) || return 1
	[[ ${#ports[@]} -eq 6 ]] || return 1
	for p in "${ports[@]}"; do
		_svc_node_conf "$dir" "$p" 'appendonly yes' 'appendfsync everysec' \
			'cluster-enabled yes' 'cluster-config-file nodes.conf' \
			"cluster-node-timeout $_SVC_CLUSTER_NODE_TIMEOUT_MS" \
			'cluster-replica-validity-factor 0' \
			'repl-diskless-sync yes' 'repl-diskless-sync-delay 0' || return 1
		_svc_node_start "$dir" "$p" || return 1
		addrs+=("127.0.0.1:$p")
	done
	log="$dir/create.log"
	if ! redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes </dev/null >"$log" 2>&1; then
		_svc_log "redis-cli --cluster create failed:"
		tail -n 20 "$log" >&2
		return 1
	fi
	_svc_wait_until 20 "the cluster to be ok" _svc_cluster_ok "${ports[@]}" || return 1
	printf '%s\n' "${ports[@]}" >"$dir/nodes"
}

# _svc_topo_up DIR NAME: every node of topology NAME runs.
_svc_topo_up() {
	local d="$1/$2" f pid n=0
	[[ -f "$d/nodes" ]] || return 1
	for f in "$d"/*/redis.pid; do
		[[ -r "$f" ]] && IFS= read -r pid <"$f" && _svc_alive "$pid" || return 1
		n=$((n + 1))
	done
	[[ "$2" == sentinel && "$n" == 5 || "$2" == cluster && "$n" == 6 ]]
}

# _svc_stop_topo DIR NAME: stop every node of topology NAME (sentinels
# first, so that none fails the master over while it stops).
_svc_stop_topo() {
	local d="$1/$2" f pid pids=()
	[[ -d "$d" ]] || return 0
	if [[ -f "$d/sentinels" ]]; then
		while IFS= read -r p; do
			f="$d/$p/redis.pid"
			[[ -r "$f" ]] && IFS= read -r pid <"$f" && _svc_alive "$pid" && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
		done <"$d/sentinels"
	fi
	for f in "$d"/*/redis.pid; do
		[[ -r "$f" ]] && IFS= read -r pid <"$f" && _svc_alive "$pid" && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
	done
	for pid in "${pids[@]}"; do
		if ! _svc_wait_gone "$pid" 10; then
			kill -KILL "$pid" 2>/dev/null
			_svc_wait_gone "$pid" 5
		fi
	done
	rm -f "$d"/*/redis.pid
}

_svc_start_topologies() {
	local dir="$1" name
	for name in sentinel cluster; do
		_svc_topo_up "$dir" "$name" && continue
		_svc_stop_topo "$dir" "$name"
		rm -rf "${dir:?}/$name"
		"_svc_start_$name" "$dir" || return 1
	done
}

_svc_stop_topologies() {
	_svc_stop_topo "$1" sentinel
	_svc_stop_topo "$1" cluster
}

# _svc_topo_env DIR: print the topologies' export lines.
_svc_topo_env() {
	local dir="$1" s=() n=() c=() url p sep
	mapfile -t s <"$dir/sentinel/sentinels" || return 1
	mapfile -t n <"$dir/sentinel/nodes" || return 1
	mapfile -t c <"$dir/cluster/nodes" || return 1
	url="redis://127.0.0.1:${s[0]}/0?master_name=$_SVC_SENTINEL_MASTER"
	for p in "${s[@]:1}"; do
		url+="&addr=127.0.0.1:$p"
	done
	_svc_export TENANTPLUGIN_REDIS_SENTINEL_URL "$url"
	_svc_export TENANTPLUGIN_REDIS_SENTINEL_NODES "127.0.0.1:${n[0]},127.0.0.1:${n[1]}"
	_svc_export TENANTPLUGIN_REDIS_SENTINEL_DIR "$dir/sentinel"
	url="redis://127.0.0.1:${c[0]}" sep="?"
	for p in "${c[@]:1}"; do
		url+="${sep}addr=127.0.0.1:$p"
		sep="&"
	done
	_svc_export TENANTPLUGIN_REDIS_CLUSTER_URL "$url"
	_svc_export TENANTPLUGIN_REDIS_CLUSTER_DIR "$dir/cluster"
}
