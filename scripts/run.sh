#!/usr/bin/env bash
# Sets up CareLedger on a fresh machine and runs it on the embedded default (SQLite in ./data):
# the first time, records a realistic day of operations through the commands, then serves the
# GraphQL API (projections and the SLA/delay policies run in-process).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
export CARELEDGER_DATA_DIR=${CARELEDGER_DATA_DIR:-data}
if [ ! -f "$CARELEDGER_DATA_DIR/careledger.db" ]; then
    .venv/bin/careledger demo --size small
    # the analysts' report of the demo day (yesterday, UTC), one self-contained HTML file
    .venv/bin/careledger report --from "$(date -u -d yesterday +%F)" --to "$(date -u +%F)" \
        --out "$CARELEDGER_DATA_DIR/report.html"
fi
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
TOKEN=$(.venv/bin/careledger token issue --role admin --subject newcomer --ttl-hours 12)
cat <<MSG

GraphiQL: http://$HOST:$PORT/graphql  (open it in a browser)
In GraphiQL's Headers tab, paste:  {"Authorization": "Bearer $TOKEN"}
Other roles: .venv/bin/careledger token issue --role analyst --subject someone
Report: $(cd "$CARELEDGER_DATA_DIR" && pwd)/report.html (any browser, offline), or served at
        http://$HOST:$PORT/report (sign in with an analyst or supervisor token)
Supervisors' wall: http://$HOST:$PORT/wall (sign in with a supervisor token:
        .venv/bin/careledger token issue --role supervisor --subject sup-1)
Health: http://$HOST:$PORT/healthz   Metrics: http://$HOST:$PORT/metrics

MSG
exec .venv/bin/careledger serve --host "$HOST" --port "$PORT"
