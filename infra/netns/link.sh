#!/usr/bin/env bash
# Takes one test host's link down or up, as a cut cable or a failed switch port would: its
# root-namespace side of the veth pair goes down, so nothing passes either way, and no socket
# is told (no RST, no FIN). Addresses and routes stay; `up` restores the link as it was.
#
#   infra/netns/link.sh RUN HOST down|up|status
set -euo pipefail
log() { echo "[netns/link] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root"
RUN="${1:-}"; HOST="${2:-}"; ACTION="${3:-}"
[[ $RUN =~ ^[a-z][a-z0-9]{0,5}$ && $HOST =~ ^[a-z][a-z0-9-]*$ ]] || die "usage: $0 RUN HOST down|up|status"
VETH="$RUN-$HOST"
ip link show "$VETH" >/dev/null 2>&1 || die "no interface $VETH: is host $HOST of run $RUN up (infra/netns/up.sh)?"
case "$ACTION" in
    down|up)
        ip link set "$VETH" "$ACTION"
        log "$HOST ($VETH) $ACTION"
        ;;
    status)
        ip -br link show "$VETH" | awk '{ print ($2 == "DOWN" ? "down" : "up") }'
        ;;
    *)
        die "usage: $0 RUN HOST down|up|status"
        ;;
esac
