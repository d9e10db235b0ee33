#!/usr/bin/env bash
# Makes test hosts on this machine: one network namespace per host, each joined by a veth pair to
# a bridge in the root namespace, with addresses in 198.18.0.0/15 (RFC 2544's block for network
# testing) and no other address but loopback. As root; idempotent.
#
#   infra/netns/up.sh RUN HOST [HOST ...]        e.g. infra/netns/up.sh n3f2a cloud edge-a edge-b
#
# RUN (1-6 lower-case letters and digits, starting with a letter) keeps parallel runs apart: host
# HOST is the namespace RUN-HOST, whose side of the pair is eth0 and whose root-namespace side is
# the interface RUN-HOST (so RUN-HOST is at most 15 characters). Every run shares the bridge
# flops-br, 198.18.0.1/15: the user's side, where the tests run and PostgreSQL listens
# (FLOPS_PG_LISTEN=198.18.0.1 infra/postgres/up.sh). A run gets its own /24 inside the block,
# 198.18.S.0 (S = 1..254, the lowest free one, kept in /run/flops-netns/RUN), and its hosts
# 198.18.S.10, .11, ... in the order given.
#
# stdout, one line each, tab-separated:   bridge  flops-br  198.18.0.1
#                                         host    HOST  NETNS  ADDRESS  VETH   (per host)
# Run a program on a host:   ip netns exec RUN-HOST PROGRAM ...
# Cut a host's link:         infra/netns/link.sh RUN HOST down|up
# Remove the run:            infra/netns/down.sh RUN      (infra/netns/down.sh --all: every run and the bridge)
set -euo pipefail
shopt -s nullglob

BRIDGE=flops-br
BRIDGE_ADDRESS=198.18.0.1
PREFIX=15
STATE=/run/flops-netns

log() { echo "[netns/up] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root (network namespaces and veth pairs need CAP_NET_ADMIN)"
command -v ip >/dev/null || die "ip (iproute2) missing: apt-get install iproute2"
RUN="${1:-}"
shift || true
[[ $RUN =~ ^[a-z][a-z0-9]{0,5}$ ]] || die "usage: $0 RUN HOST [HOST ...]; RUN is 1-6 lower-case letters and digits starting with a letter (got '$RUN')"
(( $# >= 1 )) || die "usage: $0 RUN HOST [HOST ...]: name at least one host"
for host in "$@"; do
    [[ $host =~ ^[a-z][a-z0-9-]*$ ]] || die "host names are lower-case letters, digits and '-' (got '$host')"
    (( ${#RUN} + 1 + ${#host} <= 15 )) || die "interface $RUN-$host would be longer than 15 characters: shorten the run id or the host name"
done
(( $# <= 200 )) || die "at most 200 hosts per run"

# Serialize runs: the subnet of each is chosen under this lock.
mkdir -p "$STATE"
exec 9>"$STATE/.lock"
flock -w 60 9 || die "timed out waiting for another netns up/down"

ipv6_off() { sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" 2>/dev/null || true; }

# --- 1. the shared bridge (the user's side) ----------------------------------------------------
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "creating bridge $BRIDGE ($BRIDGE_ADDRESS/$PREFIX)"
    ip link add "$BRIDGE" type bridge
fi
ipv6_off "$BRIDGE"   # no link-local fe80:: address: the test hosts use 198.18.0.0/15 only
ip addr show dev "$BRIDGE" | grep -q "inet $BRIDGE_ADDRESS/$PREFIX " || ip addr add "$BRIDGE_ADDRESS/$PREFIX" dev "$BRIDGE"
ip link set "$BRIDGE" up

# With net.bridge.bridge-nf-call-iptables=1 (br_netfilter loaded), frames crossing the bridge go
# through iptables' FORWARD chain, which a Docker host drops by default; packets to the bridge
# address go through INPUT. Let both through for this bridge alone (down.sh --all removes them).
if command -v iptables >/dev/null 2>&1 && iptables -S >/dev/null 2>&1; then
    iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
    iptables -C INPUT -i "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I INPUT -i "$BRIDGE" -j ACCEPT
fi

# --- 2. this run's subnet ------------------------------------------------------------------------
# /run/flops-netns/RUN: "subnet N", then "host NAME" per host. A run whose namespaces are all gone
# (a crashed test, a reboot) frees its subnet.
has_namespace() { ip netns list | awk '{ print $1 }' | grep -qx "$1"; }
for file in "$STATE"/*; do
    other="$(basename "$file")"
    [[ $other == "$RUN" ]] && continue
    alive=0
    while read -r key value; do
        [[ $key == host ]] && has_namespace "$other-$value" && alive=1
    done < "$file"
    if (( alive == 0 )); then
        log "forgetting run $other (no namespace left)"
        rm -f "$file"
    fi
done
if [[ -f "$STATE/$RUN" ]]; then
    SUBNET="$(awk '$1 == "subnet" { print $2 }' "$STATE/$RUN")"
else
    used=" $(cat "$STATE"/* 2>/dev/null | awk '$1 == "subnet" { print $2 }' | tr '\n' ' ' || true) "
    SUBNET=""
    for s in $(seq 1 254); do
        if [[ $used != *" $s "* ]]; then SUBNET=$s; break; fi
    done
    [[ -n $SUBNET ]] || die "all 254 subnets are taken: remove old runs with infra/netns/down.sh"
    echo "subnet $SUBNET" > "$STATE/$RUN"
fi
[[ $SUBNET =~ ^[0-9]+$ ]] || die "$STATE/$RUN is damaged: remove it (infra/netns/down.sh $RUN)"

# --- 3. the hosts --------------------------------------------------------------------------------
printf 'bridge\t%s\t%s\n' "$BRIDGE" "$BRIDGE_ADDRESS"
i=0
for host in "$@"; do
    ns="$RUN-$host"
    veth="$RUN-$host"
    address="198.18.$SUBNET.$((10 + i))"
    i=$((i + 1))
    grep -qx "host $host" "$STATE/$RUN" || echo "host $host" >> "$STATE/$RUN"
    if ! has_namespace "$ns"; then
        log "creating host $host: namespace $ns, $address"
        ip netns add "$ns"
    fi
    # Loopback keeps ::1 and 127.0.0.1; every interface made later gets no IPv6 address at all.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
    ip -n "$ns" link set lo up
    if ! ip link show "$veth" >/dev/null 2>&1; then
        ip -n "$ns" link del eth0 2>/dev/null || true
        ip link add "$veth" type veth peer name eth0 netns "$ns"
    fi
    ipv6_off "$veth"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 2>/dev/null || true
    ip link set "$veth" master "$BRIDGE"
    ip link set "$veth" up
    ip -n "$ns" addr show dev eth0 | grep -q "inet $address/$PREFIX " || ip -n "$ns" addr add "$address/$PREFIX" dev eth0
    ip -n "$ns" link set eth0 up
    printf 'host\t%s\t%s\t%s\t%s\n' "$host" "$ns" "$address" "$veth"
done

# --- 4. check: every host has its route to the bridge address ------------------------------------
for host in "$@"; do
    ns="$RUN-$host"
    ip -n "$ns" -4 route get "$BRIDGE_ADDRESS" >/dev/null 2>&1 || die "host $host has no route to $BRIDGE_ADDRESS"
done
log "run $RUN: subnet 198.18.$SUBNET.0/24, hosts $*"
