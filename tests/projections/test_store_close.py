"""Closing the SQLite view store waits for the transactions still running: closing a
connection another thread is using crashed the process (a request still reading at shutdown)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from projections.engine.store import SQLiteViewStore


def test_close_waits_for_a_transaction_still_running(tmp_path: Path) -> None:
    store = SQLiteViewStore(tmp_path / "views.sqlite")
    inside, results = threading.Event(), []

    def read() -> None:
        with store.transaction() as tx:
            inside.set()
            time.sleep(0.3)
            results.append(tx.scalar("SELECT 41 + 1"))

    reader = threading.Thread(target=read)
    reader.start()
    assert inside.wait(5)
    store.close()
    reader.join(5)
    assert results == [42]  # the reader finished on its connection before it was closed
