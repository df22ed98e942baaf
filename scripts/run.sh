#!/usr/bin/env bash
# Sets up CareLedger on a fresh machine and runs it on the embedded default (SQLite in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/careledger "${@:-scenario}"
