"""What erasure taking effect everywhere costs the key cache, and how fast a rotation goes.

    .venv/bin/python -m bench.key_cache [--keys 20000] [--opens 200000] [--postgres]

Per backend: opens of a sealed field whose key is cached, against the same opens with the
cache's freshness check left out (the baseline: the cache as it was, trusted for its seconds),
and against no cache at all; then `rotate()` re-wrapping every key. Prints a markdown table and
the machine it ran on. `--postgres` starts a throwaway PostgreSQL 15 as well.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.app import CareLedger
from application.keystore import KeyStore
from application.settings import Settings
from bench.machine import describe
from domain.values import Sealed
from testing.postgres_server import PostgresServer

MASTER = b"b" * 32
CACHE_S = 3600.0


def fill(app: CareLedger, keys: int) -> list[Sealed]:
    return [app.vault.seal(uuid4(), "Li Wei, +86 138 0013 8000") for _ in range(keys)]


def opens_per_second(app: CareLedger, sealed: list[Sealed], opens: int) -> float:
    pick = random.Random(7)
    chosen = [sealed[pick.randrange(len(sealed))] for _ in range(opens)]
    for one in chosen[: len(sealed)]:
        app.vault.open(one)
    began = time.perf_counter()
    for one in chosen:
        app.vault.open(one)
    return opens / (time.perf_counter() - began)


@contextmanager
def unchecked(keys: KeyStore) -> Iterator[None]:
    """The cache trusted without asking, as before erasures reached other processes."""
    check = keys._cache_trusted
    keys._cache_trusted = lambda: True  # type: ignore[method-assign]
    try:
        yield
    finally:
        keys._cache_trusted = check  # type: ignore[method-assign]


def measure(name: str, settings: Settings, keys: int, opens: int) -> list[str]:
    with CareLedger(replace(settings, key_cache_seconds=CACHE_S)) as app:
        sealed = fill(app, keys)
        with unchecked(app.keys):
            baseline = opens_per_second(app, sealed, opens)
        checked = opens_per_second(app, sealed, opens)
    with CareLedger(replace(settings, key_cache_seconds=1e-9)) as app:
        uncached = opens_per_second(app, sealed, max(opens // 20, 1000))
    rotated = replace(
        settings, master_key=AESGCM.generate_key(bit_length=256), previous_master_keys=(MASTER,)
    )
    with CareLedger(rotated) as app:
        began = time.perf_counter()
        count = app.keys.rotate()
        rotation = count / (time.perf_counter() - began)
    return [
        f"| {name} | {baseline:,.0f} | {checked:,.0f} | {checked / baseline:.2f} |"
        f" {uncached:,.0f} | {uncached / baseline:.3f} | {count:,} | {rotation:,.0f} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--opens", type=int, default=200_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    rows = [
        "| backend | cached opens/s, unchecked (baseline) | cached opens/s, checked | ratio |"
        " uncached opens/s | ratio | keys rotated | keys rotated/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = Settings(data_dir=Path(tmp) / "sqlite", master_key=MASTER)
        rows += measure("SQLite", sqlite, args.keys, args.opens)
        if args.postgres:
            server = PostgresServer().start()
            try:
                postgres = Settings(
                    database_url=server.url,
                    db_schema="bench",
                    data_dir=Path(tmp) / "postgres",
                    master_key=MASTER,
                )
                rows += measure("PostgreSQL", postgres, args.keys, args.opens)
            finally:
                server.stop()
    print("\n".join(rows))
    print(f"\n{describe()}")


if __name__ == "__main__":
    main()
