#!/usr/bin/env bash
# Stops or starts ONE named cluster, the one up.sh made for FLOPS_PG_CLUSTER=NAME (fault tests
# take their own database down and up again with it; nothing else is touched):
#   FLOPS_PG_CLUSTER=faults infra/postgres/ctl.sh stop [fast|immediate|smart]   (default fast)
#   FLOPS_PG_CLUSTER=faults infra/postgres/ctl.sh start                         (waits until it accepts connections)
#   FLOPS_PG_CLUSTER=faults infra/postgres/ctl.sh status                        (prints online or down)
# Stopping a stopped cluster or starting a started one is harmless.
set -euo pipefail
log() { echo "[postgres/ctl] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

NAME="${FLOPS_PG_CLUSTER:-}"
[[ -n $NAME ]] || die "set FLOPS_PG_CLUSTER to the cluster to control (this script never picks one by itself)"
ACTION="${1:-}"
MODE="${2:-fast}"
[[ $MODE =~ ^(smart|fast|immediate)$ ]] || die "stop mode must be smart, fast or immediate, got '$MODE'"

# pg_lsclusters -h: Ver Cluster Port Status Owner Data-directory Log-file
read -r VER STATUS PORT < <(pg_lsclusters -h 2>/dev/null | awk -v n="$NAME" '$2 == n { print $1, $4, $3; exit }') || true
[[ -n "${VER:-}" ]] || die "no cluster named $NAME (run FLOPS_PG_CLUSTER=$NAME PGPORT=... infra/postgres/up.sh first)"

# The server must not inherit the caller's stdout or stderr: a caller reading them through a pipe
# would otherwise wait for the server to exit.
case "$ACTION" in
    stop)
        if [[ $STATUS == online* ]]; then
            log "stopping $VER/$NAME (-m $MODE)"
            pg_ctlcluster "$VER" "$NAME" stop -m "$MODE" </dev/null >/dev/null 2>&1
        fi
        ;;
    start)
        if [[ $STATUS != online* ]]; then
            install -d -o postgres -g postgres -m 2775 /var/run/postgresql
            log "starting $VER/$NAME"
            pg_ctlcluster "$VER" "$NAME" start </dev/null >/dev/null 2>&1 || {
                log "start failed; last log lines:"; tail -n 20 "/var/log/postgresql/postgresql-$VER-$NAME.log" >&2 || true
                exit 1
            }
        fi
        for i in $(seq 1 120); do
            if pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
            (( i == 120 )) && die "$VER/$NAME on 127.0.0.1:$PORT not accepting connections after 60s"
            sleep 0.5
        done
        ;;
    status)
        [[ $STATUS == online* ]] && echo online || echo down
        ;;
    *)
        die "usage: FLOPS_PG_CLUSTER=NAME $0 stop [fast|immediate|smart] | start | status"
        ;;
esac
