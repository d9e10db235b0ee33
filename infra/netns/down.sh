#!/usr/bin/env bash
# Removes the test hosts of one run made by up.sh (those its /run/flops-netns/RUN lists): ends the processes still running in its
# namespaces (by their ids, from `ip netns pids`), deletes the namespaces and veth pairs, and
# frees the run's subnet. Harmless when the run is gone already.
#
#   infra/netns/down.sh RUN
#   infra/netns/down.sh --all      every run, then the bridge flops-br and its firewall rules
set -euo pipefail
BRIDGE=flops-br
STATE=/run/flops-netns
log() { echo "[netns/down] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root"
ARG="${1:-}"
if [[ $ARG == --all ]]; then
    RUNS="$(ls "$STATE" 2>/dev/null || true)"
else
    [[ $ARG =~ ^[a-z][a-z0-9]{0,5}$ ]] || die "usage: $0 RUN | --all"
    RUNS="$ARG"
fi

mkdir -p "$STATE"
exec 9>"$STATE/.lock"
flock -w 60 9 || die "timed out waiting for another netns up/down"

for run in $RUNS; do
    # Only the namespaces up.sh made for this run, as its state file lists them.
    [[ -f "$STATE/$run" ]] || continue
    for ns in $(awk -v r="$run" '$1 == "host" { print r "-" $2 }' "$STATE/$run"); do
        pids="$(ip netns pids "$ns" 2>/dev/null || true)"
        if [[ -n $pids ]]; then
            log "ending processes left in $ns: $(echo $pids)"
            # shellcheck disable=SC2086
            kill -9 $pids 2>/dev/null || true
            for _ in $(seq 1 50); do
                [[ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ]] && break
                sleep 0.1
            done
        fi
        ip link del "$ns" 2>/dev/null || true   # the root side; its peer eth0 goes with it
        ip netns del "$ns" 2>/dev/null || true
        log "removed $ns"
    done
    rm -f "$STATE/$run"
done

if [[ $ARG == --all ]]; then
    if command -v iptables >/dev/null 2>&1 && iptables -S >/dev/null 2>&1; then
        iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
        iptables -D INPUT -i "$BRIDGE" -j ACCEPT 2>/dev/null || true
    fi
    if ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link del "$BRIDGE"
        log "removed bridge $BRIDGE"
    fi
fi
