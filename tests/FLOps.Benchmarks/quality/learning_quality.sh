#!/usr/bin/env bash
# Issue 15's learning-quality table: MNIST test accuracy after A1, A2, … rounds (default 10 and
# 30, read from the per-round accuracies of one 30-round run) of each model, trained centralized
# (one device or learner with all 8,000 training digits; a "round" is then its local epochs over
# all of them) and federated over 10 devices with IID, Dirichlet 0.5 and Dirichlet 0.1 shards, and
# the median seconds a federated IID round took. Accuracy is always the service's own: the global
# model of that round scored on the 2,000 held-out digits.
#
#   softmax, mlp, cnn  built-in kinds, `flops demo --model KIND` (simulated devices, in process)
#   pytorch            the PyTorch CNN of src/python/examples/pytorch_mnist, exported to ONNX,
#                      submitted with `flops submit --model` to a real `flops serve`, trained by
#                      10 Python learners (1 for centralized), each with its shard from
#                      `flops data export mnist --shard K/10 --partition P --seed S`: the same
#                      shards as the simulated devices'
#
#   tests/FLOps.Benchmarks/quality/learning_quality.sh [options]
#     --rows LIST       which rows, of softmax,mlp,cnn,pytorch (default: all four)
#     --settings LIST   which columns, of central,iid,dirichlet:0.5,dirichlet:0.1 (default: all)
#     --rounds N        rounds of each run (default 30)
#     --at LIST         rounds whose accuracy the table shows (default 10,N)
#     --devices N       federated devices or learners (default 10)
#     --seed S          seed of partitions, selection and training (default 42)
#     --out DIR         where runs are kept (default: a new /tmp/flops-quality.XXXXXX)
#     --resume          keep the runs already in --out and run only the missing ones
#     --no-build        use the Release build as it is (default: dotnet build -c Release first)
#     --timeout S       longest any single run may take, in seconds (default 5400)
#     --cnn-lr X --cnn-epochs N --cnn-batch N --cnn-momentum X
#                       the built-in CNN row's training (default 0.05, 2, 32, 0.9: the cnn kind's
#                       suggested training, issue 15's reference set-up)
#     --pytorch-lr X --pytorch-epochs N --pytorch-batch N --pytorch-momentum X
#                       the PyTorch row's training (default: the same as the built-in CNN's;
#                       momentum 0 sends a spec without training.momentum: plain SGD)
#
# Prints progress on stderr, then on stdout the Markdown table and, last, one JSON line with every
# run's per-round accuracy and seconds, its settings and the machine's load average around it.
# Softmax and MLP use the demo's defaults: 1 local epoch, batch 16, learning rate 0.5.
# Every background process it starts (serve, learners) is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
FLOPS_DLL="${FLOPS_DLL:-$ROOT/src/FLOps.Cli/bin/Release/net10.0/flops.dll}"

ROWS="softmax,mlp,cnn,pytorch"
SETTINGS="central,iid,dirichlet:0.5,dirichlet:0.1"
ROUNDS=30
AT=""
DEVICES=10
SEED=42
OUT=""
RESUME=0
BUILD=1
RUN_TIMEOUT=5400
CNN_LR=0.05; CNN_EPOCHS=2; CNN_BATCH=32; CNN_MOMENTUM=0.9
PT_LR=$CNN_LR; PT_EPOCHS=$CNN_EPOCHS; PT_BATCH=$CNN_BATCH; PT_MOMENTUM=$CNN_MOMENTUM
# The demo's defaults (flops demo --help), passed explicitly so that the row does not move if they change.
BASE_LR=0.5; BASE_EPOCHS=1; BASE_BATCH=16
API_KEY=quality-k1

log() { echo "[quality] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '/^#   tests/,/^# Every background/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rows) ROWS="$2"; shift 2 ;;
        --settings) SETTINGS="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --at) AT="$2"; shift 2 ;;
        --devices) DEVICES="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --resume) RESUME=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --timeout) RUN_TIMEOUT="$2"; shift 2 ;;
        --pytorch-lr) PT_LR="$2"; shift 2 ;;
        --pytorch-epochs) PT_EPOCHS="$2"; shift 2 ;;
        --pytorch-batch) PT_BATCH="$2"; shift 2 ;;
        --pytorch-momentum) PT_MOMENTUM="$2"; shift 2 ;;
        --cnn-lr) CNN_LR="$2"; shift 2 ;;
        --cnn-epochs) CNN_EPOCHS="$2"; shift 2 ;;
        --cnn-batch) CNN_BATCH="$2"; shift 2 ;;
        --cnn-momentum) CNN_MOMENTUM="$2"; shift 2 ;;
        -h|--help) usage ;;
        *) log "unknown option $1"; usage ;;
    esac
done

is_int() { [[ $1 =~ ^[1-9][0-9]{0,4}$ ]]; }
is_num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
is_int "$ROUNDS" || die "--rounds must be a positive integer (got $ROUNDS)"
is_int "$DEVICES" || die "--devices must be a positive integer (got $DEVICES)"
is_int "$RUN_TIMEOUT" || die "--timeout must be a positive integer (got $RUN_TIMEOUT)"
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a non-negative integer (got $SEED)"
for x in "$PT_LR" "$PT_MOMENTUM" "$CNN_LR" "$CNN_MOMENTUM"; do is_num "$x" || die "not a number: $x"; done
for x in "$PT_EPOCHS" "$PT_BATCH" "$CNN_EPOCHS" "$CNN_BATCH"; do is_int "$x" || die "not a positive integer: $x"; done
if [[ -z $AT ]]; then
    if (( ROUNDS > 10 )); then AT="10,$ROUNDS"; else AT="$ROUNDS"; fi
fi
IFS=, read -r -a ROW_LIST <<<"$ROWS"
IFS=, read -r -a SETTING_LIST <<<"$SETTINGS"
IFS=, read -r -a AT_LIST <<<"$AT"
for row in "${ROW_LIST[@]}"; do [[ $row =~ ^(softmax|mlp|cnn|pytorch)$ ]] || die "unknown row '$row' (softmax, mlp, cnn, pytorch)"; done
for s in "${SETTING_LIST[@]}"; do [[ $s =~ ^(central|iid|dirichlet:[0-9]+(\.[0-9]+)?)$ ]] || die "unknown setting '$s' (central, iid, dirichlet:ALPHA)"; done
for a in "${AT_LIST[@]}"; do
    if ! is_int "$a" || (( a > ROUNDS )); then die "--at: $a is not a round of 1..$ROUNDS"; fi
done

command -v jq >/dev/null || die "jq is missing (apt-get install jq)"
command -v curl >/dev/null || die "curl is missing (apt-get install curl)"
command -v timeout >/dev/null || die "timeout (coreutils) is missing"

if [[ -z $OUT ]]; then OUT="$(mktemp -d /tmp/flops-quality.XXXXXX)"; fi
mkdir -p "$OUT/runs"
OUT="$(cd "$OUT" && pwd)"
log "runs are kept in $OUT"

# --- processes: everything started in the background is recorded and stopped on exit --------------
PIDS=()
stop_pids() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        # bounded: a process that ignores SIGTERM for 10 s gets SIGKILL
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap 'stop_pids' EXIT
trap 'log "interrupted"; exit 130' INT TERM

loadavg() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s until it succeeds, at most SECONDS.
wait_for() {
    local limit="$1" what="$2"; shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        (( SECONDS < deadline )) || { log "timed out after ${limit} s waiting for $what"; return 1; }
        sleep 0.5
    done
}

free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    die "found no free port"
}

flops() { dotnet "$FLOPS_DLL" "$@"; }

# bounded LOG COMMAND...: runs COMMAND under `timeout --timeout`, output to LOG, in the background and
# waited for, so that a signal to this script interrupts the wait and the EXIT trap stops it.
bounded() {
    local log="$1"; shift
    timeout "$RUN_TIMEOUT" "$@" >"$log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait "$pid"
}

# --- build ----------------------------------------------------------------------------------------
if (( BUILD )); then
    log "dotnet build FLOps.Orleans.sln -c Release"
    (cd "$ROOT" && dotnet build FLOps.Orleans.sln -c Release -nologo -v q >&2) || die "build failed"
fi
[[ -f $FLOPS_DLL ]] || die "$FLOPS_DLL missing: run dotnet build FLOps.Orleans.sln -c Release"

# --- one run = runs/ROW.SETTING.tsv (round, accuracy, seconds, participants) + .json (its settings) -
run_file() { echo "$OUT/runs/$1.${2//:/-}"; }

# finish_run ROW SETTING TSV-PRODUCED START LOAD0 SETTINGS-JSON: writes the run's .json beside its .tsv
finish_run() {
    local row="$1" setting="$2" start="$3" load0="$4" settings="$5" base
    base="$(run_file "$row" "$setting")"
    local rows_seen
    rows_seen="$(wc -l <"$base.tsv.part")"
    (( rows_seen == ROUNDS )) || { log "$row $setting: $rows_seen of $ROUNDS rounds recorded"; return 1; }
    mv "$base.tsv.part" "$base.tsv"
    jq -n --arg row "$row" --arg setting "$setting" --argjson settings "$settings" \
        --argjson wall "$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')" --argjson load0 "$load0" --argjson load1 "$(loadavg)" \
        --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" --argjson cores "$(nproc)" \
        '{row: $row, setting: $setting, settings: $settings, wallSeconds: $wall, load1: [$load0, $load1], cpu: $cpu, cores: $cores}' >"$base.json"
    log "$row $setting: done in $(jq -r '.wallSeconds | floor' "$base.json") s (load $load0 → $(loadavg)); final accuracy $(tail -n 1 "$base.tsv" | cut -f2)"
}

# settings_of ROW SETTING: the run's training as JSON; --resume keeps a run only if its own matches
settings_of() {
    local row="$1" setting="$2" devices="$DEVICES" partition="iid" lr epochs batch momentum
    case "$setting" in
        central) devices=1 ;;
        *) partition="$setting" ;;
    esac
    case "$row" in
        cnn) lr=$CNN_LR; epochs=$CNN_EPOCHS; batch=$CNN_BATCH; momentum=$CNN_MOMENTUM ;;
        pytorch) lr=$PT_LR; epochs=$PT_EPOCHS; batch=$PT_BATCH; momentum=$PT_MOMENTUM ;;
        *) lr=$BASE_LR; epochs=$BASE_EPOCHS; batch=$BASE_BATCH; momentum=0 ;;
    esac
    jq -cn --argjson d "$devices" --arg p "$partition" --argjson lr "$lr" --argjson e "$epochs" --argjson b "$batch" --argjson m "$momentum" \
        --argjson seed "$SEED" --argjson rounds "$ROUNDS" \
        '{devices: $d, partition: $p, learningRate: $lr, localEpochs: $e, batchSize: $b, momentum: $m, seed: $seed, rounds: $rounds}'
}

demo_run() {
    local row="$1" setting="$2" base start load0 settings devices partition lr epochs batch momentum extra=()
    base="$(run_file "$row" "$setting")"
    settings="$(settings_of "$row" "$setting")"
    IFS=$'\t' read -r devices partition lr epochs batch momentum < <(jq -r '[.devices, .partition, .learningRate, .localEpochs, .batchSize, .momentum] | @tsv' <<<"$settings")
    # --momentum only where it is not 0, so that softmax and mlp also run on a build without the option
    [[ $momentum == 0 ]] || extra=(--momentum "$momentum")
    local args=(demo --model "$row" --devices "$devices" --min-fit-clients "$devices" --rounds "$ROUNDS"
        --partition "$partition" --seed "$SEED" --local-epochs "$epochs" --batch-size "$batch" --learning-rate "$lr"
        "${extra[@]}" --round-timeout 1800 --out "$OUT/work/$row.${setting//:/-}" --json)
    log "$row $setting: flops ${args[*]}"
    start="$(now)"; load0="$(loadavg)"
    bounded "$base.log" dotnet "$FLOPS_DLL" "${args[@]}" || { log "$row $setting: flops demo failed (exit $?); see $base.log"; tail -n 5 "$base.log" >&2; stop_pids; return 1; }
    PIDS=()
    local csv
    csv="$(tail -n 1 "$base.log" | jq -r .metrics)" || { log "$row $setting: no JSON line in $base.log"; return 1; }
    # rounds.csv: round,participants,selected,accuracy,loss,training_loss,seconds,...
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
             { printf "%d\t%s\t%s\t%d\n", $col["round"], $col["accuracy"], $col["seconds"], $col["participants"] }' "$csv" >"$base.tsv.part"
    finish_run "$row" "$setting" "$start" "$load0" "$(jq -c --arg cmd "flops ${args[*]}" '{command: $cmd} + .' <<<"$settings")"
}

PYTHON=""
pytorch_prepare() {
    [[ -n $PYTHON ]] && return 0
    PYTHON="$("$ROOT/infra/python/torch.sh" | tail -n 1)" || die "infra/python/torch.sh failed"
    mkdir -p "$OUT/work/pytorch"
    PYTHONPATH="$ROOT/src/python" "$PYTHON" "$ROOT/src/python/examples/pytorch_mnist/export_onnx.py" --out "$OUT/work/pytorch/cnn.onnx" >&2
}

pytorch_run() {
    local setting="$1" base start load0 settings devices partition work port url
    base="$(run_file pytorch "$setting")"
    settings="$(settings_of pytorch "$setting")"
    IFS=$'\t' read -r devices partition < <(jq -r '[.devices, .partition] | @tsv' <<<"$settings")
    pytorch_prepare
    work="$OUT/work/pytorch/${setting//:/-}"
    rm -rf "$work"; mkdir -p "$work"
    local k
    for ((k = 0; k < devices; k++)); do
        flops data export mnist --shard "$k/$devices" --partition "$partition" --seed "$SEED" --out "$work/shard-$k.npz" >/dev/null \
            || { log "pytorch $setting: flops data export of shard $k/$devices failed"; return 1; }
    done

    start="$(now)"; load0="$(loadavg)"
    port="$(free_port)"; url="http://127.0.0.1:$port"
    FLOPS_API_KEYS="quality:$API_KEY" dotnet "$FLOPS_DLL" serve --urls "$url" >"$work/serve.log" 2>&1 &
    PIDS+=("$!")
    wait_for 180 "flops serve at $url" curl -fsS "$url/readyz" || { tail -n 20 "$work/serve.log" >&2; return 1; }

    for ((k = 0; k < devices; k++)); do
        PYTHONPATH="$ROOT/src/python" "$PYTHON" "$ROOT/src/python/examples/pytorch_mnist/learner.py" \
            --gateway "$url" --api-key "$API_KEY" --shard "$work/shard-$k.npz" --name "torch-$k" >"$work/learner-$k.log" 2>&1 &
        PIDS+=("$!")
    done

    local training
    training="$(jq -c '{rounds, localEpochs, batchSize, learningRate, minFitClients: .devices, minAvailableClients: .devices, roundTimeoutSeconds: 1800}
         + (if .momentum > 0 then {momentum} else {} end)' <<<"$settings")"
    jq -n --arg name "quality-pytorch-$setting" --argjson t "$training" '{name: $name, dataTag: "mnist", training: $t}' >"$work/spec.json"
    log "pytorch $setting: $devices learners at $url, flops submit $work/spec.json --model cnn.onnx"
    bounded "$base.log" dotnet "$FLOPS_DLL" submit "$work/spec.json" --model "$OUT/work/pytorch/cnn.onnx" --out "$work" --json \
        --gateway "$url" --api-key "$API_KEY" || { log "pytorch $setting: flops submit failed (exit $?); see $base.log"; tail -n 5 "$base.log" >&2; stop_pids; return 1; }
    local id
    id="$(tail -n 1 "$base.log" | jq -r .id)"
    curl -fsS -H "Authorization: Bearer $API_KEY" "$url/api/v1/projects/$id" >"$work/project.json" || { stop_pids; return 1; }
    stop_pids
    jq -r '.rounds[] | [.round, .accuracy, .seconds, .participants] | @tsv' "$work/project.json" >"$base.tsv.part"
    finish_run pytorch "$setting" "$start" "$load0" \
        "$(jq -c --arg py "$("$PYTHON" -c 'import torch; print(torch.__version__)')" --argjson spec "$(cat "$work/spec.json")" \
            '{command: "flops serve + flops submit spec.json --model cnn.onnx", spec: $spec, torch: $py} + .' <<<"$settings")"
}

# --- the runs -------------------------------------------------------------------------------------
FAILED=()
for row in "${ROW_LIST[@]}"; do
    if [[ $row == cnn ]] && ! flops demo --help 2>/dev/null | grep -q 'cnn'; then
        log "cnn: this build's flops demo has no --model cnn; the row is not measured"
        FAILED+=("cnn:all (no built-in cnn in this build)")
        continue
    fi
    if [[ $row == cnn ]] && ! flops demo --help 2>/dev/null | grep -q -- '--momentum'; then
        log "cnn: this build's flops demo has no --momentum; the row is not measured"
        FAILED+=("cnn:all (no --momentum in this build)")
        continue
    fi
    for setting in "${SETTING_LIST[@]}"; do
        if (( RESUME )) && [[ -f "$(run_file "$row" "$setting").json" ]]; then
            # the fields the earlier run recorded must match this run's (runs recorded before seed and rounds were stored match on the rest)
            if jq -e --argjson want "$(settings_of "$row" "$setting")" '.settings as $had | $want | to_entries | all(.key as $k | ($had | has($k) | not) or $had[$k] == .value)' \
                "$(run_file "$row" "$setting").json" >/dev/null && (( $(wc -l <"$(run_file "$row" "$setting").tsv") == ROUNDS )); then
                log "$row $setting: kept from an earlier run"
                continue
            fi
            log "$row $setting: the earlier run had other settings or rounds; running it again"
        fi
        rm -f "$(run_file "$row" "$setting").json" "$(run_file "$row" "$setting").tsv"
        if [[ $row == pytorch ]]; then
            pytorch_run "$setting" || FAILED+=("$row:$setting")
        else
            demo_run "$row" "$setting" || FAILED+=("$row:$setting")
        fi
    done
done

# --- the table ------------------------------------------------------------------------------------
# accuracy_at ROW SETTING ROUND, median_seconds ROW SETTING: empty when that run is missing
accuracy_at() {
    local f
    f="$(run_file "$1" "$2").tsv"
    [[ -f $f ]] && awk -F'\t' -v r="$3" '$1 == r { printf "%.4f", $2 }' "$f"
}
median_seconds() {
    local f
    f="$(run_file "$1" "$2").tsv"
    [[ -f $f ]] && cut -f3 "$f" | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
label_of() {
    case "$1" in
        softmax) echo "softmax" ;; mlp) echo "MLP (128 hidden)" ;; cnn) echo "built-in CNN" ;; pytorch) echo "PyTorch CNN via learners" ;;
    esac
}
column_of() {
    case "$1" in
        central) echo "centralized" ;; iid) echo "federated IID" ;; dirichlet:*) echo "Dirichlet ${1#dirichlet:}" ;;
    esac
}

header="| model |"; rule="|---|"
for s in "${SETTING_LIST[@]}"; do header+=" $(column_of "$s") (${AT//,/ \/ } rounds) |"; rule+="---|"; done
header+=" s/round (median, federated IID) |"; rule+="---|"
echo
echo "$header"
echo "$rule"
for row in "${ROW_LIST[@]}"; do
    line="| $(label_of "$row") |"
    for s in "${SETTING_LIST[@]}"; do
        cell=""
        for a in "${AT_LIST[@]}"; do
            v="$(accuracy_at "$row" "$s" "$a" || true)"
            cell+="${cell:+ / }${v:-n/m}"
        done
        line+=" $cell |"
    done
    m="$(median_seconds "$row" iid || true)"
    line+=" ${m:-n/m} |"
    echo "$line"
done
echo
echo "n/m: not measured. Accuracy on the 2,000 held-out digits after ${AT//,/ and } rounds of one ${ROUNDS}-round run; $DEVICES devices federated, seed $SEED."
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores."
for row in "${ROW_LIST[@]}"; do
    metas=()
    for s in "${SETTING_LIST[@]}"; do
        [[ -f "$(run_file "$row" "$s").json" ]] && metas+=("$(run_file "$row" "$s").json")
    done
    (( ${#metas[@]} )) || continue
    jq -rs --arg name "$(label_of "$row")" \
        '"\($name): load average (1 min) \([.[].load1[]] | min)–\([.[].load1[]] | max) at the start and end of its runs; \(map(.wallSeconds) | add | floor) s of wall time; " +
         "local training: " + (map("learning rate \(.settings.learningRate), local epochs \(.settings.localEpochs), batch \(.settings.batchSize), momentum \(.settings.momentum)") | unique | join(" / "))' "${metas[@]}"
done

# --- the JSON line: every run's per-round accuracy and seconds -------------------------------------
runs_json="[]"
for row in "${ROW_LIST[@]}"; do for s in "${SETTING_LIST[@]}"; do
    j="$(run_file "$row" "$s").json"; t="$(run_file "$row" "$s").tsv"
    [[ -f $j && -f $t ]] || continue
    runs_json="$(jq -c --slurpfile meta "$j" --rawfile tsv "$t" \
        '. + [$meta[0] + {rounds: ($tsv | split("\n") | map(select(length > 0) | split("\t") | {round: (.[0] | tonumber), accuracy: (.[1] | tonumber), seconds: (.[2] | tonumber), participants: (.[3] | tonumber)}))}]' <<<"$runs_json")"
done; done
failed_json="$(printf '%s\n' "${FAILED[@]+"${FAILED[@]}"}" | jq -R . | jq -cs 'map(select(length > 0))')"
jq -cn --argjson runs "$runs_json" --argjson failed "$failed_json" --argjson rounds "$ROUNDS" --arg at "$AT" --arg out "$OUT" \
    '{rounds: $rounds, at: ($at | split(",") | map(tonumber)), out: $out, notMeasured: $failed, runs: $runs}'
(( ${#FAILED[@]} == 0 )) || exit 1
