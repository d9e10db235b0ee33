#!/usr/bin/env bash
# Makes sure Debian's python3 can import numpy, for tests that read what flops writes (.npz) as a
# Python learner would.
#   infra/python/numpy.sh
# Installs python3-numpy from the system's packages if /usr/bin/python3 cannot import numpy (as
# root, on Debian 12). Idempotent. The LAST line on stdout is the interpreter's path; everything
# else goes to stderr.
set -euo pipefail

PYTHON=/usr/bin/python3
exec 3>&1 1>&2   # fd 3 = real stdout (the interpreter's path only)
log() { echo "[python/numpy] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

has_numpy() { [[ -x $PYTHON ]] && "$PYTHON" -c 'import numpy' >/dev/null 2>&1; }

# Serialize concurrent runs (apt-get takes one lock at a time).
exec 9>/tmp/flops-python-apt.lock   # shared with torch.sh
flock -w 600 9 || die "timed out waiting for another infra/python script"

if ! has_numpy; then
    [[ $EUID -eq 0 ]] || die "numpy is not installed for $PYTHON and installing it needs root"
    log "numpy not found for $PYTHON; installing python3-numpy from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -qq --no-install-recommends python3 python3-numpy </dev/null >/dev/null 3>&- 9>&-; }
    apt_install || { apt-get update -qq </dev/null 3>&- 9>&- && apt_install; } || die "apt-get install python3-numpy failed"
    has_numpy || die "python3-numpy is installed but $PYTHON cannot import numpy"
fi

echo "$PYTHON" >&3
