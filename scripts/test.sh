#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite. Needs ../shared/data beside the checkout
# (or RIFEFLOW_SHARED_DATA); the suite fails, not skips, without it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PREFECT_HOME="${PREFECT_HOME:-$(mktemp -d)}"
exec .venv/bin/python -m pytest -q "$@"
