"""Any number of processes may start at once on an empty database."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

import pytest

from testing.postgres_server import PostgresServer
from tests.backends import MASTER_KEY

pytestmark = pytest.mark.postgres

# What `serve`, `project run` and `policies run` do first: open the event store and the views,
# and install every view (the policy views through their runners).
START = """
import sys, time
from application.app import CareLedger
from application.settings import Settings
from api.embedded import install_views
from projections.catalog import projections
from projections.engine.store import open_view_store
from projections.engine.runner import Runner
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
settings = Settings.from_env()
with CareLedger(settings) as app:
    views = open_view_store(settings)
    install_views(views, projections())
    for projection in projections(["sla_schedule", "promise_watch"]):
        Runner(app, views, projection).catch_up()
    views.close()
print("up")
"""


def test_five_processes_started_at_once_on_an_empty_schema_all_come_up(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "CARELEDGER_DATABASE_URL": postgres_server.url,
        "CARELEDGER_DB_SCHEMA": f"t_{uuid4().hex[:12]}",
        "CARELEDGER_DATA_DIR": str(tmp_path),
        "CARELEDGER_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(),
    }
    # Every process imports first, then all start opening the database at the same instant.
    at = str(time.time() + 4.0)
    started = [
        subprocess.Popen(
            [sys.executable, "-c", START, at],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    results = [p.communicate(timeout=90) for p in started]
    for process, (out, err) in zip(started, results, strict=True):
        assert process.returncode == 0, err[-2000:]
        assert out.strip() == "up"
