"""Helpers the read side of every view shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from projections import tracking
from projections.store import Tx

HOUR = 3600


def active_prefix(tx: Tx, name: str) -> str:
    """The table prefix of the generation that serves reads now."""
    generation = tracking.active_generation(tx, name)
    if generation is None:
        raise LookupError(f"the {name} view has not been installed yet")
    return tracking.prefix(name, generation)


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def hour_of(moment: datetime) -> int:
    """The hour bucket a business time falls in, as epoch seconds."""
    return int(moment.timestamp()) // HOUR * HOUR


def hours_between(start: datetime, end: datetime) -> tuple[int, int]:
    """The first and last hour buckets of a half-open window [start, end)."""
    return hour_of(start), (int(end.timestamp()) - 1) // HOUR * HOUR


def add_counts(tx: Tx, table: str, keys: Sequence[str], counts: Mapping[Any, int]) -> None:
    """Adds each count to the row of its key (a tuple matching `keys`), creating rows as needed."""
    columns = ", ".join(keys)
    marks = ", ".join("?" for _ in keys)
    tx.executemany(
        f"INSERT INTO {table} ({columns}, n) VALUES ({marks}, ?) ON CONFLICT ({columns})"
        f" DO UPDATE SET n = {table}.n + excluded.n",
        [(*key, n) for key, n in counts.items() if n],
    )
