#!/usr/bin/env bash
# Stops the Prometheus that up.sh started on port ${PROMPORT:-9090} (found through the pid file
# in its data dir, ${PROMDATA:-/var/tmp/flops-prometheus-$PROMPORT}). Harmless when none runs.
# Data is kept; remove the data dir for a full reset.
set -euo pipefail
PROMPORT="${PROMPORT:-9090}"
PROMDATA="${PROMDATA:-/var/tmp/flops-prometheus-$PROMPORT}"
PIDFILE="$PROMDATA/prometheus.pid"
log() { echo "[prometheus/down] $*" >&2; }

if [[ ! -f $PIDFILE ]]; then
    log "no Prometheus started by up.sh on port $PROMPORT; nothing to stop"
    exit 0
fi
PID="$(cat "$PIDFILE")"
if kill -0 "$PID" 2>/dev/null && grep -q prometheus "/proc/$PID/cmdline" 2>/dev/null; then
    log "stopping Prometheus (pid $PID) on port $PROMPORT"
    kill -TERM "$PID"
    for _ in $(seq 1 100); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$PID" 2>/dev/null && { log "still running after 10s; killing it"; kill -KILL "$PID"; }
else
    log "Prometheus (pid $PID) already stopped"
fi
rm -f "$PIDFILE"
