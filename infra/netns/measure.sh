#!/usr/bin/env bash
# Round time over a network relative to loopback, measured in one run: the same classic project
# (MNIST softmax, 4 registered `flops learner` processes, 2 per edge cluster) on
#   net:  the namespaced hosts of infra/netns (cloud silo + HTTPS gateway on `cloud`, one edge
#         silo and two learners on each of `edge-a` and `edge-b`, PostgreSQL on the bridge),
#   loop: the same processes in the root namespace on 127.0.0.1 (PostgreSQL on 127.0.0.1),
# both with mutual TLS between silos and clients and HTTPS to the gateway, edge silos without a
# client gateway (--gateway-port 0, as in the network tests), alternating net and
# loop RUNS times. Prints one line per project and, last, the median round time of each setting
# and their ratio. As root, after `dotnet build FLOps.Orleans.sln -c Release`.
#
#   infra/netns/measure.sh [RUNS (3)] [ROUNDS (10)]
set -euo pipefail
RUNS="${1:-3}"
ROUNDS="${2:-10}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
FLOPS_DLL="${FLOPS_DLL:-$ROOT/src/FLOps.Cli/bin/Release/net10.0/flops.dll}"
PGPORT="${FLOPS_NETNS_PGPORT:-5498}"
KEY=measure-key
RUN="m$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 5)"
WORK="$(mktemp -d /tmp/flops-measure.XXXXXX)"
PIDS=()

log() { echo "[netns/measure] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root"
[[ $RUNS =~ ^[1-9][0-9]?$ && $ROUNDS =~ ^[1-9][0-9]?$ ]] || die "usage: $0 [RUNS 1-99] [ROUNDS 1-99]"
[[ -f $FLOPS_DLL ]] || die "$FLOPS_DLL missing: run dotnet build FLOps.Orleans.sln -c Release first"
command -v jq >/dev/null || { log "installing jq"; apt-get install -y -qq jq >/dev/null </dev/null || die "jq missing"; }
command -v curl >/dev/null || die "curl missing"

stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
cleanup() {
    stop_all
    "$HERE/down.sh" "$RUN" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- hosts, database, certificates ----------------------------------------------------------------
mapfile -t HOSTS < <("$HERE/up.sh" "$RUN" cloud edge-a edge-b)
BRIDGE="$(printf '%s\n' "${HOSTS[@]}" | awk -F'\t' '$1 == "bridge" { print $3 }')"
address_of() { printf '%s\n' "${HOSTS[@]}" | awk -F'\t' -v h="$1" '$1 == "host" && $2 == h { print $4 }'; }
CLOUD="$(address_of cloud)"; EDGE_A="$(address_of edge-a)"; EDGE_B="$(address_of edge-b)"
CS_NET="$(FLOPS_PG_CLUSTER=netns PGPORT=$PGPORT FLOPS_PG_LISTEN=$BRIDGE "$ROOT/infra/postgres/up.sh" | tail -n 1)"
CS_LOOP="${CS_NET/Host=$BRIDGE/Host=127.0.0.1}"
CERTS="$WORK/certs"
dotnet "$FLOPS_DLL" certs create --out "$CERTS" --host "$CLOUD" --host "$EDGE_A" --host "$EDGE_B" --host 127.0.0.1 >/dev/null
tls() { echo --tls-cert "$CERTS/$1.crt" --tls-key "$CERTS/$1.key" --tls-ca "$CERTS/ca.crt"; }

# start NAME NETNS|- READY-TEXT ARGS...: runs flops in the background, waits (at most 120 s) for its ready line
start() {
    local name="$1" netns="$2" ready="$3"; shift 3
    local out="$WORK/$name.log"
    if [[ $netns == - ]]; then
        dotnet "$FLOPS_DLL" "$@" >"$out" 2>&1 &
    else
        ip netns exec "$netns" dotnet "$FLOPS_DLL" "$@" >"$out" 2>&1 &
    fi
    PIDS+=($!)
    for _ in $(seq 1 1200); do
        grep -q "$ready" "$out" && return 0
        kill -0 "${PIDS[-1]}" 2>/dev/null || die "$name exited: $(tail -n 5 "$out")"
        sleep 0.1
    done
    die "$name not ready after 120 s: $(tail -n 5 "$out")"
}

# one_project MODE: starts the processes, runs the project, stops them; appends to $RESULTS
# "MODE sum-of-round-seconds median-round r1 r2 ...". (Not in a subshell: its processes are in PIDS.)
one_project() {
    local mode="$1" id="measure-$mode-$RANDOM$RANDOM" cs ns_cloud ns_a ns_b a_cloud a_a a_b p_cloud p_a p_b g_cloud g_a g_b http
    if [[ $mode == net ]]; then
        cs="$CS_NET"; ns_cloud="$RUN-cloud"; ns_a="$RUN-edge-a"; ns_b="$RUN-edge-b"
        a_cloud="$CLOUD"; a_a="$EDGE_A"; a_b="$EDGE_B"
        p_cloud=11111; p_a=11111; p_b=11111; g_cloud=30000; g_a=0; g_b=0; http=5080
    else
        cs="$CS_LOOP"; ns_cloud=-; ns_a=-; ns_b=-
        a_cloud=127.0.0.1; a_a=127.0.0.1; a_b=127.0.0.1
        p_cloud=11121; p_a=11122; p_b=11123; g_cloud=30021; g_a=0; g_b=0; http=15080
    fi
    local common=(--postgres "$cs" --cluster-id "$id" --service-id "$id" --project-tick 2)
    # shellcheck disable=SC2046
    start "$mode-cloud" "$ns_cloud" "flops silo ready" silo "${common[@]}" --advertise "$a_cloud" --silo-port $p_cloud --gateway-port $g_cloud --role cloud $(tls "$a_cloud")
    # shellcheck disable=SC2046
    start "$mode-edge-a" "$ns_a" "flops silo ready" silo "${common[@]}" --advertise "$a_a" --silo-port $p_a --gateway-port $g_a --role edge --cluster edge-a $(tls "$a_a")
    # shellcheck disable=SC2046
    start "$mode-edge-b" "$ns_b" "flops silo ready" silo "${common[@]}" --advertise "$a_b" --silo-port $p_b --gateway-port $g_b --role edge --cluster edge-b $(tls "$a_b")
    local url="https://$a_cloud:$http"
    # shellcheck disable=SC2046
    FLOPS_API_KEYS="measure:$KEY" start "$mode-gateway" "$ns_cloud" "flops gateway: listening" gateway --postgres "$cs" --cluster-id "$id" --service-id "$id" --urls "$url" $(tls "$a_cloud")
    local i=0 edge ns
    for edge in edge-a edge-b; do
        ns="$ns_a"; [[ $edge == edge-b ]] && ns="$ns_b"
        for _ in 1 2; do
            start "$mode-learner-$i" "$ns" "flops learner: registered" learner --gateway "$url" --ca "$CERTS/ca.crt" --api-key "$KEY" --cluster "$edge" --name "$edge-$i" --data "mnist:shard=$i/4"
            i=$((i + 1))
        done
    done

    local api=(curl -sS --fail --cacert "$CERTS/ca.crt" -H "Authorization: Bearer $KEY")
    local spec project state json
    spec="$(jq -n --argjson r "$ROUNDS" '{name: "measure", dataTag: "mnist", model: {kind: "softmax"},
        training: {mode: "classic", rounds: $r, localEpochs: 1, batchSize: 16, learningRate: 0.5, minFitClients: 4, minAvailableClients: 4, roundTimeoutSeconds: 60}}')"
    project="$("${api[@]}" -H 'Content-Type: application/json' -d "$spec" "$url/api/v1/projects" | jq -r .id)"
    for _ in $(seq 1 3000); do
        json="$("${api[@]}" "$url/api/v1/projects/$project")"
        state="$(jq -r .state <<<"$json")"
        [[ $state == Completed || $state == Failed || $state == Cancelled ]] && break
        sleep 0.2
    done
    [[ $state == Completed ]] || die "$mode project $project ended $state: $(jq -c .reason <<<"$json")"
    jq -r --arg m "$mode" '
        [.rounds[].seconds] as $s | ($s | sort) as $o
        | ($o | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end) as $median
        | "\($m) \($s | add) \($median) \($s | map(tostring) | join(" "))"' <<<"$json" >>"$RESULTS"
    stop_all
}

log "run $RUN: cloud $CLOUD, edge-a $EDGE_A, edge-b $EDGE_B, PostgreSQL $BRIDGE:$PGPORT; $RUNS x (net, loop) x $ROUNDS rounds"
RESULTS="$WORK/results"
: >"$RESULTS"
for r in $(seq 1 "$RUNS"); do
    # Alternate which goes first, so that a machine growing busier does not favour one.
    if (( r % 2 == 1 )); then order=(net loop); else order=(loop net); fi
    for mode in "${order[@]}"; do
        one_project "$mode"
        tail -n 1 "$RESULTS" | awk -v r="$r" '{ printf "run %d %-4s %d rounds in %.2f s, median round %.3f s\n", r, $1, NF - 3, $2, $3 }'
    done
done

# The median of every round of a setting, over all its runs, and the ratio.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
NET="$(awk '$1 == "net" { for (i = 4; i <= NF; i++) print $i }' "$RESULTS" | median)"
LOOP="$(awk '$1 == "loop" { for (i = 4; i <= NF; i++) print $i }' "$RESULTS" | median)"
# Each run's net and loop projects ran back to back: their ratio is the least disturbed by a load
# that changes over minutes.
PAIRED="$(awk '{ m[$1] = $3 } $1 == "loop" && ("net" in m) || $1 == "net" && ("loop" in m) { printf "%.2f ", m["net"] / m["loop"]; delete m }' "$RESULTS")"
echo "net/loop per run (median round of each): $PAIRED"
echo "median round: net $NET s, loop $LOOP s, net/loop $(awk -v n="$NET" -v l="$LOOP" 'BEGIN { printf "%.2f", n / l }') (load average $(cut -d' ' -f1-3 /proc/loadavg))"
