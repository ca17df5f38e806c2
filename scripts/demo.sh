#!/usr/bin/env bash
# The main job on the embedded default: a synthetic sample clip (or your own files in
# demo/catalog/), local storage, a local Dask cluster and Prefect's ephemeral API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p demo/catalog
[ -n "$(ls -A demo/catalog 2>/dev/null)" ] || .venv/bin/rifeflow sample demo/catalog/sample.mp4 --seconds 2 --size 256
export PREFECT_HOME="${PREFECT_HOME:-$PWD/demo/.prefect}"
.venv/bin/rifeflow run demo/catalog demo/output --exp 1 --workers 1 "$@"
.venv/bin/rifeflow report demo/output --plot demo/output/report.png
