#!/usr/bin/env bash
# Brings up Prometheus for FLOps.Orleans on 127.0.0.1:${PROMPORT:-9090} with a scrape config.
#   infra/prometheus/up.sh [CONFIG]      (default: prometheus.yml beside this script)
# Installs Prometheus from the system's packages if missing (as root, on Debian 12), checks the
# config with promtool, and starts the server in the background with its data in
# ${PROMDATA:-/var/tmp/flops-prometheus-$PROMPORT}. Idempotent: a server that an earlier run left
# on the same port with the same config is reloaded (the config and rule files are read again);
# one with another config is restarted. The LAST line on stdout is Prometheus' URL; everything
# else goes to stderr. infra/prometheus/down.sh stops it.
set -euo pipefail

PROMPORT="${PROMPORT:-9090}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONFIG="${1:-$HERE/prometheus.yml}"
PROMDATA="${PROMDATA:-/var/tmp/flops-prometheus-$PROMPORT}"
URL="http://127.0.0.1:$PROMPORT"

exec 3>&1 1>&2   # fd 3 = real stdout (the URL only); everything else to stderr
log() { echo "[prometheus/up] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $PROMPORT =~ ^[0-9]+$ ]] || die "PROMPORT must be a number, got '$PROMPORT'"
[[ -f $CONFIG ]] || die "no scrape config at '$CONFIG'"
CONFIG="$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG")"

# Serialize concurrent runs (tests may start several; apt-get takes one lock at a time).
exec 9>/tmp/flops-prometheus-up.lock
flock -w 300 9 || die "timed out waiting for another up.sh run"

# --- 1. install -------------------------------------------------------------------------------
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || die "Prometheus is not installed and installing it needs root"
    log "Prometheus not found; installing from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -qq --no-install-recommends prometheus </dev/null >/dev/null 3>&- 9>&-; }
    apt_install || { apt-get update -qq </dev/null 3>&- 9>&- && apt_install; } || die "apt-get install prometheus failed"
    command -v prometheus >/dev/null && command -v promtool >/dev/null || die "the prometheus package did not provide prometheus and promtool"
fi

# --- 2. check the config (and the rule files it names) ----------------------------------------
promtool check config "$CONFIG" >&2 3>&- 9>&- || die "promtool check config $CONFIG failed"

# --- 3. a server of ours already there? ----------------------------------------------------------
mkdir -p "$PROMDATA"
PIDFILE="$PROMDATA/prometheus.pid"
ready() { curl -fsS -m 2 "$URL/-/ready" >/dev/null 2>&1; }
ours() { [[ -f $PIDFILE ]] && grep -qa prometheus "/proc/$(cat "$PIDFILE")/cmdline" 2>/dev/null; }

if ours; then
    if [[ "$(cat "$PROMDATA/config-path" 2>/dev/null)" == "$CONFIG" ]]; then
        log "Prometheus already running on $URL (pid $(cat "$PIDFILE")); reloading $CONFIG"
        curl -fsS -m 10 -X POST "$URL/-/reload" >/dev/null || die "reload failed; see $PROMDATA/prometheus.log"
    else
        log "Prometheus on $URL runs another config; restarting it with $CONFIG"
        PROMPORT="$PROMPORT" PROMDATA="$PROMDATA" "$HERE/down.sh" 3>&- 9>&-
    fi
fi

if ! ours; then
    if ready || (exec 8<>"/dev/tcp/127.0.0.1/$PROMPORT") 2>/dev/null; then
        die "port $PROMPORT is taken by a process up.sh did not start (a system Prometheus service?); set PROMPORT"
    fi
    log "starting Prometheus on $URL (data in $PROMDATA)"
    # The server must not inherit our lock (fd 9) or the caller's stdout (fd 3): a caller
    # reading up.sh's output through a pipe would otherwise wait for the server to exit.
    setsid prometheus \
        --config.file="$CONFIG" \
        --web.listen-address="127.0.0.1:$PROMPORT" \
        --web.enable-lifecycle \
        --storage.tsdb.path="$PROMDATA/data" \
        --storage.tsdb.retention.time="${PROMRETENTION:-7d}" \
        </dev/null >"$PROMDATA/prometheus.log" 2>&1 3>&- 9>&- &
    echo $! >"$PIDFILE"
    echo "$CONFIG" >"$PROMDATA/config-path"
fi

# --- 4. wait until it is ready (bounded) -----------------------------------------------------------
for i in $(seq 1 120); do
    if ready; then break; fi
    if ! ours; then
        log "Prometheus exited; last log lines:"; tail -n 20 "$PROMDATA/prometheus.log" >&2 || true
        exit 1
    fi
    (( i == 120 )) && die "Prometheus on $URL not ready after 60s; see $PROMDATA/prometheus.log"
    sleep 0.5
done
log "ready: $URL (config $CONFIG)"

echo "$URL" >&3
