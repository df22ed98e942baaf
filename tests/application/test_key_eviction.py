"""An erasure takes effect in every process at once: another process that holds the key in its
cache (for an hour, here) cannot open the customer's data within a second."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import pytest

from application import key_listener
from application.app import CareLedger
from application.customers import ERASED_CONTACT
from application.settings import Settings
from testing.postgres_server import PostgresServer
from tests.application.builders import CONTACT, customer
from tests.backends import MASTER_KEY
from tests.support import meta

HOUR = 3600.0
ROOT = Path(__file__).resolve().parents[2]


def environment(settings: Settings) -> dict[str, str]:
    assert settings.master_key is not None
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_MASTER_KEY": base64.b64encode(settings.master_key).decode(),
        "CARELEDGER_KEY_CACHE_SECONDS": str(HOUR),
    }
    for name in ("CARELEDGER_DATABASE_URL", "CARELEDGER_DB_SCHEMA", "CARELEDGER_ENV"):
        env.pop(name, None)
    if settings.database_url is not None:
        env["CARELEDGER_DATABASE_URL"] = settings.database_url
        env["CARELEDGER_DB_SCHEMA"] = settings.db_schema
    return env


def read_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def test_an_erasure_reaches_another_process_within_a_second(settings: Settings) -> None:
    # given a customer, and another process that has opened their contact and keeps it cached
    settings = replace(settings, key_cache_seconds=HOUR)
    with CareLedger(settings) as app:
        customer_id = customer(app)
        with subprocess.Popen(
            [sys.executable, "-m", "tests.application.key_reader", str(customer_id)],
            env=environment(settings),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        ) as reader:
            try:
                assert read_line(reader) == "ready"
                # when this process erases the customer
                erased_at = time.time()
                app.erase_customer(meta(command_id="erase"), customer_id)
                # then the other one reads the erased marker within a second
                word, _, when = read_line(reader).partition(" ")
                assert word == "erased"
                print(f"seen erased by the other process after {float(when) - erased_at:.3f} s")
                assert float(when) - erased_at < 1.0
                assert reader.wait(timeout=30) == 0
            finally:
                reader.kill()


def test_an_erasure_reaches_another_application_on_the_same_store_at_once(
    settings: Settings,
) -> None:
    # given two applications on one store, both holding the customer's key for an hour
    settings = replace(settings, key_cache_seconds=HOUR)
    with CareLedger(settings) as one, CareLedger(settings) as other:
        customer_id = customer(one)
        assert other.contact_of(customer_id) == CONTACT
        # when one erases the customer
        one.erase_customer(meta(command_id="erase"), customer_id)
        # then the other reads them erased within a second
        deadline = time.monotonic() + 1.0
        while other.contact_of(customer_id) != ERASED_CONTACT:
            assert time.monotonic() < deadline, "the other application still opens the key"
            time.sleep(0.005)


@pytest.mark.postgres
def test_a_cache_not_hearing_from_the_database_is_not_used(settings: Settings) -> None:
    if settings.database_url is None:
        pytest.skip("PostgreSQL's listener")
    # given an application whose listening connection is cut
    settings = replace(settings, key_cache_seconds=HOUR)
    with CareLedger(settings) as app:
        customer_id = customer(app)
        app.contact_of(customer_id)
        listener = app.keys._listener  # type: ignore[attr-defined]
        assert listener.trusted
        listener._drop()
        # then its cache is not trusted until it hears again, and then it is
        assert not listener.trusted
        deadline = time.monotonic() + 5.0
        while not listener.trusted:
            assert time.monotonic() < deadline, "the listener did not reconnect"
            time.sleep(0.05)


@pytest.mark.postgres
def test_closing_wakes_the_erasure_listener_instead_of_waiting_for_its_heartbeat(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with a heartbeat of 20 s, a close that only set its stop flag would wait up to 20 s
    monkeypatch.setattr(key_listener, "HEARTBEAT_S", 20.0)
    settings = Settings(
        database_url=postgres_server.url,
        db_schema=f"t_{uuid4().hex[:12]}",
        data_dir=tmp_path,
        master_key=MASTER_KEY,
    )
    app = CareLedger(settings)
    listener = app.keys._listener  # type: ignore[attr-defined]
    time.sleep(0.2)  # the listener is waiting for notices now
    began = time.monotonic()
    app.close()
    assert not listener._thread.is_alive()
    assert time.monotonic() - began < 10.0
