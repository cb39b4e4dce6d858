#!/usr/bin/env bash
# Rehearse KoBERT training end to end where monologg/kobert cannot be downloaded:
# a KoBERT-shaped base with random weights (buddy bench base), fine-tuned on DATA on the GPU
# (or CPU), evaluated on its held-out split, then its int8 ONNX serving path compared with
# fp32 PyTorch on our dataset's utterances (buddy bench inference --model).
#
#   bash scripts/kobert_rehearsal.sh DATA OUT [extra `buddy train` options]
#
# With the random base it rehearses every step and measures the GPU's speed; such a base
# does not learn the 359 categories without pre-training (docs/BENCHMARKS.md). The agreement
# figure needs a real base: BASE=DIR (a local copy of monologg/kobert), or BASE=monologg/kobert
# where the hub is reachable. MLM_SECONDS=300 pre-trains the random base by masked LM on the
# same text first (a rehearsal of pre-training; not yet tried on a GPU).
# BUDDY is the command that runs the CLI (default .venv/bin/buddy).
set -euo pipefail
data=${1:?usage: kobert_rehearsal.sh DATA OUT [train options]}
out=${2:?usage: kobert_rehearsal.sh DATA OUT [train options]}
shift 2
buddy=${BUDDY:-.venv/bin/buddy}
mkdir -p "$out"

base=${BASE:-}
if [ -z "$base" ]; then
    echo "== base: KoBERT-shaped, random weights, SentencePiece vocabulary from the data"
    base="$out/base"
    $buddy bench base --out "$base" --init-range "${BASE_INIT_RANGE:-0.02}" \
        --mlm-seconds "${MLM_SECONDS:-0}" --data data/dataset --data "$data" | tee "$out/base.json"
fi

echo "== train (held-out split 0.2, seed 42)"
start=$(date +%s)
$buddy train --backend kobert --base "$base" --data "$data" --out "$out/model" \
    --eval-split 0.2 --seed 42 "$@" 2>&1 | tee "$out/train.log"
echo "train_seconds $(( $(date +%s) - start ))" | tee -a "$out/train.log"

echo "== evaluate on the held-out split"
$buddy evaluate --model "$out/model" --data "$data" --split test --json | tee "$out/evaluate.json"

echo "== serving path (int8 ONNX) vs fp32 PyTorch, on our dataset's utterances"
$buddy bench inference --model "$out/model" --threads "${BENCH_THREADS:-2}" --json \
    | tee "$out/inference.json"
