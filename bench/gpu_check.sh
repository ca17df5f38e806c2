#!/usr/bin/env bash
# The GPU check, ready to run wherever an NVIDIA GPU is at hand: fp32 against fp16 on real frames, model
# speed at 720p and 1080p for both models, NVENC, and a 16-clip catalog on one worker per GPU with the
# GPU's busy fraction and the data path's CPU. Paste bench/out/gpu_check.md into bench/RESULTS.md.
#   bash bench/gpu_check.sh              (the whole check, a few minutes on one GPU)
#   bash bench/gpu_check.sh --device cpu (every part that needs no GPU, small: checks the script itself)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
if [ "${1:-}" != "--device" ]; then
  command -v nvidia-smi >/dev/null && nvidia-smi -L || echo "gpu_check: nvidia-smi not found" >&2
fi
.venv/bin/python -m tests.media >/dev/null
PYTHONUNBUFFERED=1 exec .venv/bin/python bench/gpu_check.py "$@"
