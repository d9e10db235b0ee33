#!/usr/bin/env bash
# Our CNN against Debian's PyTorch 1.13 on the same architecture (issue 15: conv 3×3×32 → pool →
# conv 3×3×64 → pool → dense 128 → 10, 225,034 parameters), the same bundled MNIST digits, the same
# batch size, SGD with momentum, and the same thread count, in one run.
#
#   tests/FLOps.Benchmarks/cnn/compare_pytorch.sh [--samples 8000] [--threads 2] [--batch 32] [--turns 3]
#                                                 [--openblas] [--federated] [--rounds 10]
#
# Throughput: each turn runs PyTorch and ours one after the other (alternating which goes first), each
# timing 2 epochs over the first --samples training digits after a warm-up; the best epoch of each side
# over all turns is compared, so a burst of load on a shared machine hurts neither side's figure.
# --openblas also times PyTorch with OpenBLAS in place of the reference BLAS that Debian's libblas3
# gives it (fc layers use BLAS; convolutions use oneDNN). The OpenBLAS package is unpacked into a
# temporary folder and put on LD_LIBRARY_PATH for that run only; nothing is installed system-wide.
# --federated also runs the reference federated set-up on both sides: 10 IID devices, 2 local epochs,
# lr 0.05, momentum 0.9, batch 32, FedAvg weighted by samples, accuracy on the 2,000 test digits each round.
#
# PyTorch runs under Debian's /usr/bin/python3 (python3-torch and python3-numpy are installed with apt
# if missing), which need not be the python3 first on PATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
samples=8000 threads=2 batch=32 turns=3 openblas=0 federated=0 rounds=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --samples) samples="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --turns) turns="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --openblas) openblas=1; shift ;;
    --federated) federated=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

python=/usr/bin/python3
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  echo "installing python3-torch and python3-numpy with apt…" >&2
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q python3-torch python3-numpy >&2
fi

openblas_dir=""
if [[ $openblas -eq 1 ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download -q libopenblas0-pthread >/dev/null 2>&1 && dpkg -x libopenblas0-pthread_*.deb root)
  openblas_dir="$(dirname "$(find "$work/root" -name 'libblas.so.3' | head -n 1)")"
  [[ -d "$openblas_dir" ]] || { echo "could not unpack libopenblas0-pthread" >&2; exit 1; }
fi

echo "building FLOps.Benchmarks (Release)…" >&2
dotnet build "$root/tests/FLOps.Benchmarks/FLOps.Benchmarks.csproj" -c Release -nologo -v q >&2
ours=(dotnet "$root/tests/FLOps.Benchmarks/bin/Release/net10.0/FLOps.Benchmarks.dll" cnn)
theirs=("$python" "$here/pytorch_cnn.py")
data="$root/src/FLOps.Learning/Data/mnist.bin.gz"

field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }
best() { printf '%s\n' "$@" | sort -g | tail -n 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "PyTorch $("$python" -c 'import torch; print(torch.__version__)'), BLAS $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
echo "throughput: $samples samples, batch $batch, $threads threads, SGD lr 0.05 momentum 0.9, $turns turns of 2 timed epochs each"
our_rates=() torch_rates=() openblas_rates=()
for ((turn = 1; turn <= turns; turn++)); do
  run_ours() { "${ours[@]}" throughput --samples "$samples" --batch "$batch" --threads "$threads" --repeats 2; }
  run_torch() { "${theirs[@]}" throughput --data "$data" --samples "$samples" --batch "$batch" --threads "$threads" --repeats 2; }
  if (( turn % 2 )); then a="$(run_ours)"; b="$(run_torch)"; else b="$(run_torch)"; a="$(run_ours)"; fi
  echo "  turn $turn: $a"
  echo "  turn $turn: $b"
  our_rates+=("$(field best "$a")")
  torch_rates+=("$(field best "$b")")
  if [[ -n "$openblas_dir" ]]; then
    c="$(LD_LIBRARY_PATH="$openblas_dir" OPENBLAS_NUM_THREADS="$threads" run_torch | sed 's/^pytorch/pytorch+openblas/')"
    echo "  turn $turn: $c"
    openblas_rates+=("$(field best "$c")")
  fi
done

our_best="$(best "${our_rates[@]}")"
torch_best="$(best "${torch_rates[@]}")"
printf 'ours:    %8.1f samples/s\n' "$our_best"
printf 'PyTorch: %8.1f samples/s (Debian python3-torch as installed)\n' "$torch_best"
printf 'ratio ours/PyTorch: %.2f (target >= 0.5)\n' "$(awk -v a="$our_best" -v b="$torch_best" 'BEGIN { print a / b }')"
if [[ -n "$openblas_dir" ]]; then
  openblas_best="$(best "${openblas_rates[@]}")"
  printf 'PyTorch with OpenBLAS: %8.1f samples/s; ratio ours/that: %.2f\n' "$openblas_best" \
    "$(awk -v a="$our_best" -v b="$openblas_best" 'BEGIN { print a / b }')"
fi

if [[ $federated -eq 1 ]]; then
  echo "federated: 10 IID devices, 2 local epochs, lr 0.05, momentum 0.9, batch 32, $rounds rounds, FedAvg, $threads threads"
  "${ours[@]}" federated --devices 10 --rounds "$rounds" --epochs 2 --threads "$threads" | sed 's/^/  /'
  "${theirs[@]}" federated --data "$data" --devices 10 --rounds "$rounds" --epochs 2 --threads "$threads" | sed 's/^/  /'
fi
