#!/usr/bin/env bash
# Brings up PostgreSQL for FLOps.Orleans on 127.0.0.1:${PGPORT:-5432} and applies the schema.
# Runs as root on Debian 12 without systemd. Idempotent: a second run only checks and re-applies
# the (idempotent) schema. The LAST line on stdout is the Npgsql connection string; everything
# else goes to stderr.
# FLOPS_PG_CLUSTER=NAME asks for a cluster of one's own: <version>/NAME on $PGPORT, created if
# missing and started; no other cluster is touched (a port held by another cluster is an error).
# FLOPS_PG_LISTEN=ADDRESS (opt-in) also listens on that address of this machine, such as the test
# hosts' bridge (FLOPS_PG_LISTEN=198.18.0.1 after infra/netns/up.sh), lets role flops in from
# ${FLOPS_PG_ALLOW:-198.18.0.0/15} with a password (scram-sha-256), and prints the connection
# string with Host=ADDRESS.
set -euo pipefail

PGPORT="${PGPORT:-5432}"
FLOPS_PG_CLUSTER="${FLOPS_PG_CLUSTER:-}"
FLOPS_DB="${FLOPS_DB:-flops}"
FLOPS_USER=flops
FLOPS_PASSWORD=flops
FLOPS_PG_LISTEN="${FLOPS_PG_LISTEN:-}"
FLOPS_PG_ALLOW="${FLOPS_PG_ALLOW:-198.18.0.0/15}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCHEMA_FILES=(01-main.sql 02-clustering.sql 03-persistence.sql 04-reminders.sql flops.sql)

exec 3>&1 1>&2   # fd 3 = real stdout (connection string only); everything else to stderr
log() { echo "[postgres/up] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root"
[[ $PGPORT =~ ^[0-9]+$ ]] || die "PGPORT must be a number, got '$PGPORT'"
[[ $FLOPS_DB =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "FLOPS_DB must be a plain identifier, got '$FLOPS_DB'"
IPV4='([0-9]{1,3}\.){3}[0-9]{1,3}'
[[ -z $FLOPS_PG_LISTEN || $FLOPS_PG_LISTEN =~ ^$IPV4$ ]] || die "FLOPS_PG_LISTEN must be an IPv4 address, got '$FLOPS_PG_LISTEN'"
[[ $FLOPS_PG_ALLOW =~ ^$IPV4/[0-9]{1,2}$ ]] || die "FLOPS_PG_ALLOW must be an IPv4 network such as 198.18.0.0/15, got '$FLOPS_PG_ALLOW'"
[[ -z $FLOPS_PG_CLUSTER || $FLOPS_PG_CLUSTER =~ ^[A-Za-z0-9_][A-Za-z0-9_-]*$ ]] || die "FLOPS_PG_CLUSTER must be a plain name, got '$FLOPS_PG_CLUSTER'"

# Serialize concurrent runs (tests may start several).
exec 9>/tmp/flops-postgres-up.lock
flock -w 300 9 || die "timed out waiting for another up.sh run"

# --- 1. install -------------------------------------------------------------------------------
have_server() {
    command -v pg_ctlcluster >/dev/null 2>&1 && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}
if ! have_server; then
    log "PostgreSQL not found; installing from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null 3>&- 9>&-
    apt-get install -y -qq --no-install-recommends postgresql postgresql-client </dev/null >/dev/null 3>&- 9>&-
    have_server || die "PostgreSQL installation did not provide pg_ctlcluster/postgres"
fi
PGVER="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
command -v psql >/dev/null || die "psql missing"

as_postgres() { runuser -u postgres -- "$@"; }

# --- 2. cluster on $PGPORT --------------------------------------------------------------------
# pg_lsclusters -h: Ver Cluster Port Status Owner Data-directory Log-file
cluster_on_port() { pg_lsclusters -h 2>/dev/null | awk -v p="$PGPORT" '$3 == p { print $1, $2; exit }'; }

read -r CVER CNAME < <(cluster_on_port || true) || true
if [[ -n "$FLOPS_PG_CLUSTER" ]]; then
    # A named cluster of the caller's own: never move or reuse another one.
    if [[ -n "${CNAME:-}" && "$CNAME" != "$FLOPS_PG_CLUSTER" ]]; then
        die "port $PGPORT belongs to cluster $CVER/$CNAME, not $FLOPS_PG_CLUSTER: choose another PGPORT"
    fi
    if [[ -z "${CNAME:-}" ]]; then
        if pg_lsclusters -h "$PGVER" "$FLOPS_PG_CLUSTER" >/dev/null 2>&1; then
            log "moving cluster $PGVER/$FLOPS_PG_CLUSTER to port $PGPORT"
            pg_ctlcluster "$PGVER" "$FLOPS_PG_CLUSTER" stop </dev/null >/dev/null 2>&1 3>&- 9>&- || true
            pg_conftool "$PGVER" "$FLOPS_PG_CLUSTER" set port "$PGPORT"
        else
            log "creating cluster $PGVER/$FLOPS_PG_CLUSTER on port $PGPORT"
            pg_createcluster "$PGVER" "$FLOPS_PG_CLUSTER" --port "$PGPORT" >/dev/null
        fi
        CVER="$PGVER"; CNAME="$FLOPS_PG_CLUSTER"
    fi
elif [[ -z "${CNAME:-}" ]]; then
    if pg_lsclusters -h "$PGVER" flops >/dev/null 2>&1; then
        log "moving existing cluster $PGVER/flops to port $PGPORT"
        pg_ctlcluster "$PGVER" flops stop </dev/null >/dev/null 2>&1 3>&- 9>&- || true
        pg_conftool "$PGVER" flops set port "$PGPORT"
    else
        log "creating cluster $PGVER/flops on port $PGPORT"
        pg_createcluster "$PGVER" flops --port "$PGPORT" >/dev/null
    fi
    CVER="$PGVER"; CNAME=flops
fi
log "using cluster $CVER/$CNAME (port $PGPORT)"

# listen on loopback TCP (Debian's default 'localhost' covers 127.0.0.1; fix an empty setting)
LISTEN="$(pg_conftool -s "$CVER" "$CNAME" show listen_addresses 2>/dev/null || true)"
if [[ -z "$LISTEN" || "$LISTEN" == "''" ]]; then
    pg_conftool "$CVER" "$CNAME" set listen_addresses 'localhost'
    pg_ctlcluster "$CVER" "$CNAME" stop </dev/null >/dev/null 2>&1 3>&- 9>&- || true
fi

status() { pg_lsclusters -h "$CVER" "$CNAME" | awk '{ print $4 }'; }

# --- opt-in: also listen on FLOPS_PG_LISTEN ----------------------------------------------------------
HOST=127.0.0.1
if [[ -n $FLOPS_PG_LISTEN ]]; then
    ip -o -4 addr show 2>/dev/null | awk '{ split($4, a, "/"); print a[1] }' | grep -qxF "$FLOPS_PG_LISTEN" \
        || die "FLOPS_PG_LISTEN=$FLOPS_PG_LISTEN is no address of this machine (for the test hosts' bridge, run infra/netns/up.sh first)"
    HOST="$FLOPS_PG_LISTEN"
    LISTEN="$(pg_conftool -s "$CVER" "$CNAME" show listen_addresses 2>/dev/null || true)"
    LISTEN="${LISTEN//\'/}"
    if [[ ",${LISTEN// /}," != *",$FLOPS_PG_LISTEN,"* ]]; then
        log "listening on $FLOPS_PG_LISTEN too"
        pg_conftool "$CVER" "$CNAME" set listen_addresses "${LISTEN:-localhost},$FLOPS_PG_LISTEN"
        pg_ctlcluster "$CVER" "$CNAME" stop </dev/null >/dev/null 2>&1 3>&- 9>&- || true
    fi
    HBA="/etc/postgresql/$CVER/$CNAME/pg_hba.conf"
    RULE="host $FLOPS_DB $FLOPS_USER $FLOPS_PG_ALLOW scram-sha-256"
    if ! grep -qxF "$RULE" "$HBA"; then
        log "letting $FLOPS_USER in from $FLOPS_PG_ALLOW ($HBA)"
        printf '# added by infra/postgres/up.sh (FLOPS_PG_LISTEN)\n%s\n' "$RULE" >> "$HBA"
        if [[ "$(status)" == online* ]]; then
            pg_ctlcluster "$CVER" "$CNAME" reload </dev/null >/dev/null 3>&- 9>&-
        fi
    fi
fi
if [[ "$(status)" != online* ]]; then
    install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    log "starting cluster $CVER/$CNAME"
    # The server must not inherit our lock (fd 9) or the caller's stdout (fd 3): a caller
    # reading up.sh's output through a pipe would otherwise wait for the server to exit.
    pg_ctlcluster "$CVER" "$CNAME" start </dev/null >/dev/null 3>&- 9>&- || {
        log "start failed; last log lines:"; tail -n 20 "/var/log/postgresql/postgresql-$CVER-$CNAME.log" >&2 || true
        exit 1
    }
fi

# --- 3. wait until it accepts connections (bounded) ---------------------------------------------
for i in $(seq 1 120); do
    if pg_isready -q -h 127.0.0.1 -p "$PGPORT"; then break; fi
    (( i == 120 )) && die "server on 127.0.0.1:$PGPORT not accepting connections after 60s"
    sleep 0.5
done
# A server started before the address existed (the bridge was made again) never bound it.
if [[ $HOST != 127.0.0.1 ]] && ! pg_isready -q -h "$HOST" -p "$PGPORT"; then
    log "not listening on $HOST:$PGPORT yet; restarting $CVER/$CNAME"
    pg_ctlcluster "$CVER" "$CNAME" restart </dev/null >/dev/null 3>&- 9>&-
    for i in $(seq 1 120); do
        if pg_isready -q -h "$HOST" -p "$PGPORT"; then break; fi
        (( i == 120 )) && die "server on $HOST:$PGPORT not accepting connections after 60s"
        sleep 0.5
    done
fi

# --- 4. role and database ---------------------------------------------------------------------
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres "$@"; }
psql_admin -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$FLOPS_USER') THEN
    CREATE ROLE $FLOPS_USER LOGIN PASSWORD '$FLOPS_PASSWORD';
  END IF;
END \$\$;" \
    -c "ALTER ROLE $FLOPS_USER LOGIN PASSWORD '$FLOPS_PASSWORD';"
if [[ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$FLOPS_DB'")" != 1 ]]; then
    log "creating database $FLOPS_DB"
    as_postgres createdb -p "$PGPORT" -O "$FLOPS_USER" -E UTF8 -T template0 "$FLOPS_DB"
fi
# Timestamps without a zone are interpreted in the session zone: pin it to UTC.
psql_admin -c "ALTER DATABASE $FLOPS_DB SET timezone TO 'UTC';"

# --- 5. schema (as the owner, over TCP: also proves the connection string works) ---------------
args=()
for f in "${SCHEMA_FILES[@]}"; do
    [[ -f "$HERE/$f" ]] || die "missing $HERE/$f"
    args+=(-f "$HERE/$f")
done
PGPASSWORD="$FLOPS_PASSWORD" PGOPTIONS='-c client_min_messages=warning' \
    psql -X -q -v ON_ERROR_STOP=1 --single-transaction -h "$HOST" -p "$PGPORT" -U "$FLOPS_USER" -d "$FLOPS_DB" \
    -c "SELECT pg_advisory_xact_lock(727274)" "${args[@]}" >/dev/null
log "schema applied to $FLOPS_DB"

echo "Host=$HOST;Port=$PGPORT;Database=$FLOPS_DB;Username=$FLOPS_USER;Password=$FLOPS_PASSWORD" >&3
