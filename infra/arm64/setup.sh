#!/usr/bin/env bash
# Makes this Debian 12 machine run a linux-arm64 flops (artifacts/publish/linux-arm64/flops):
#   - on an x64 machine, qemu's user-mode emulator (qemu-user-static) and the arm64 builds of the
#     libraries the published binary links: glibc, libstdc++ (with libgcc) and OpenSSL (for https),
#     as Debian multiarch packages (dpkg --add-architecture arm64), so the arm64 loader is at
#     /lib/ld-linux-aarch64.so.1 and qemu needs no -L sysroot;
#   - on an arm64 machine, nothing (the binary runs as it is).
# No libicu: flops is built with invariant globalization (Directory.Build.props).
# Idempotent and quick once done (nothing is asked of apt when every package is there); as root.
# The LAST line on stdout is the emulator's path (empty on arm64); everything else goes to stderr.
# infra/arm64/run.sh runs the binary.
set -euo pipefail

exec 3>&1 1>&2   # fd 3 = real stdout (the emulator's path only); everything else to stderr
log() { echo "[arm64/setup] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ $(uname -m) == aarch64 ]]; then
    log "this machine is arm64: nothing to install"
    echo "" >&3
    exit 0
fi
[[ $(dpkg --print-architecture) == amd64 ]] || die "only amd64 (x64) and arm64 Debian machines are supported, not $(dpkg --print-architecture)"

PACKAGES=(qemu-user-static libc6:arm64 libstdc++6:arm64 libssl3:arm64)
missing() {
    local p
    for p in "${PACKAGES[@]}"; do
        [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || echo "$p"
    done
}

# Serialize concurrent runs (tests may start several); other installers may hold dpkg's lock, so
# apt waits for it too.
exec 9>/tmp/flops-arm64-setup.lock
flock -w 600 9 || die "timed out waiting for another setup.sh run"

if [[ -n $(missing) ]]; then
    [[ $EUID -eq 0 ]] || die "installing $(missing | tr '\n' ' ')needs root"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        log "adding the arm64 architecture to dpkg"
        dpkg --add-architecture arm64
    fi
    log "installing $(missing | tr '\n' ' ')from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt=(apt-get -o DPkg::Lock::Timeout=300 -y -qq)
    # The package lists must include the arm64 ones, which an update made before the architecture
    # was added lacks: update first, always.
    "${apt[@]}" update </dev/null >/dev/null 3>&- 9>&- || die "apt-get update failed"
    "${apt[@]}" install --no-install-recommends "${PACKAGES[@]}" </dev/null >/dev/null 3>&- 9>&- \
        || die "apt-get install ${PACKAGES[*]} failed (does this machine's apt source serve arm64? see /etc/apt/sources.list.d)"
    [[ -z $(missing) ]] || die "still missing after the install: $(missing | tr '\n' ' ')"
fi
[[ -e /lib/ld-linux-aarch64.so.1 ]] || die "the arm64 loader /lib/ld-linux-aarch64.so.1 is missing (libc6:arm64)"
QEMU="$(command -v qemu-aarch64-static)" || die "qemu-aarch64-static is not on PATH after installing qemu-user-static"
log "ready: $("$QEMU" --version | head -n 1)"
echo "$QEMU" >&3
