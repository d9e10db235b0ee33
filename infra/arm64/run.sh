#!/usr/bin/env bash
# Runs a linux-arm64 flops (dotnet publish src/FLOps.Cli -p:PublishProfile=linux-arm64) on this
# machine: on x64 under qemu-aarch64-static (user-mode emulation of the arm64 process, its system
# calls served by this kernel), on arm64 directly.
#   infra/arm64/run.sh PUBLISHED_FLOPS ARGS...
#   infra/arm64/run.sh artifacts/publish/linux-arm64/flops learner --gateway http://127.0.0.1:5080 --api-key k --data mnist:shard=0/2
# infra/arm64/setup.sh installs the emulator and the arm64 libraries (multiarch, so no sysroot is
# needed); QEMU_LD_PREFIX=DIR makes qemu look for the loader and libraries in another arm64 root
# (e.g. one made with debootstrap --arch=arm64). The process is exec'd: signals sent to this
# script's pid (SIGTERM, SIGINT, SIGKILL) reach the emulated flops, so it can be prefixed
# (ip netns exec NS infra/arm64/run.sh ...) or run by a service manager like the binary itself.
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 PUBLISHED_FLOPS ARGS..." >&2; exit 2; }
binary=$1
shift
[[ -f $binary ]] || { echo "run.sh: no such file: $binary" >&2; exit 2; }

if [[ $(uname -m) == aarch64 ]]; then
    exec "$binary" "$@"
fi
qemu="$(command -v qemu-aarch64-static)" || { echo "run.sh: qemu-aarch64-static is missing: run infra/arm64/setup.sh (as root)" >&2; exit 127; }
# .NET maps the code it generates twice (W^X: written through one mapping, run through the other);
# qemu does not see writes through the second mapping and runs stale translations of patched code,
# so a silo died at start-up with a NullReferenceException in a reflection stub (the known qemu
# issue 249; .NET does not support running under qemu). One mapping avoids it. Emulation only:
# on real arm64 hardware flops keeps W^X.
export DOTNET_EnableWriteXorExecute="${DOTNET_EnableWriteXorExecute:-0}"
exec "$qemu" "$binary" "$@"
