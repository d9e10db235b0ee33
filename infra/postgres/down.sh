#!/usr/bin/env bash
# Stops the PostgreSQL cluster that up.sh uses (the one on port ${PGPORT:-5432}).
# Harmless when PostgreSQL is not installed, the cluster does not exist or is already stopped.
# Data is kept; see README.md for a full reset.
set -euo pipefail
PGPORT="${PGPORT:-5432}"
log() { echo "[postgres/down] $*" >&2; }

command -v pg_lsclusters >/dev/null 2>&1 || { log "PostgreSQL not installed; nothing to stop"; exit 0; }
read -r CVER CNAME CSTATUS < <(pg_lsclusters -h 2>/dev/null | awk -v p="$PGPORT" '$3 == p { print $1, $2, $4; exit }') || true
if [[ -z "${CNAME:-}" ]]; then
    log "no cluster on port $PGPORT; nothing to stop"
elif [[ "$CSTATUS" == online* ]]; then
    log "stopping cluster $CVER/$CNAME"
    pg_ctlcluster "$CVER" "$CNAME" stop -m fast
else
    log "cluster $CVER/$CNAME already stopped"
fi
