#!/usr/bin/env bash
# Build everything rifeflow needs from nothing: a virtual environment, torch (pinned CPU
# wheel where this machine has one), the project with its test extras, and the verified weights.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$PYTHON" - <<'PY' || { echo "setup: rifeflow needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)
PY

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip --disable-pip-version-check"
$PIP install --quiet --upgrade pip
# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
$PIP install --quiet "torch==2.13.0"
$PIP install --quiet -e ".[test,ui]"
.venv/bin/rifeflow fetch-weights rife-hdv3 rife-4.25
echo "setup: ready (.venv)"
