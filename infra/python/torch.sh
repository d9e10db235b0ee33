#!/usr/bin/env bash
# Makes sure Debian's python3 can import torch, numpy and onnx, for the PyTorch learner example
# (src/python/examples/pytorch_mnist) and the tests that run it.
#   infra/python/torch.sh
# Installs python3-torch, python3-numpy and python3-onnx from the system's packages for
# /usr/bin/python3 (not whichever python3 is first on PATH) when it cannot import them (as root, on
# Debian 12). Idempotent. The LAST line on stdout is the interpreter's path; everything else goes
# to stderr.
set -euo pipefail

PYTHON=/usr/bin/python3
exec 3>&1 1>&2   # fd 3 = real stdout (the interpreter's path only)
log() { echo "[python/torch] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

has_all() { [[ -x $PYTHON ]] && "$PYTHON" -c 'import numpy, torch, onnx' >/dev/null 2>&1; }

# Serialize with numpy.sh and concurrent runs (apt-get takes one lock at a time).
exec 9>/tmp/flops-python-apt.lock
flock -w 600 9 || die "timed out waiting for another infra/python script"

if ! has_all; then
    [[ $EUID -eq 0 ]] || die "torch, numpy or onnx is missing for $PYTHON and installing them needs root"
    log "torch, numpy or onnx not found for $PYTHON; installing python3-torch python3-numpy python3-onnx from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -qq --no-install-recommends python3 python3-numpy python3-torch python3-onnx </dev/null >/dev/null 3>&- 9>&-; }
    apt_install || { apt-get update -qq </dev/null 3>&- 9>&- && apt_install; } || die "apt-get install python3-torch python3-numpy python3-onnx failed"
    has_all || die "the packages are installed but $PYTHON cannot import numpy, torch and onnx"
fi

echo "$PYTHON" >&3
