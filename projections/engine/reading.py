"""Helpers the read side of every view shares."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Protocol, TypeVar

from projections.engine import tracking
from projections.engine.projection import Envelope
from projections.engine.store import Row, Tx
from projections.engine.tables import R, Table

HOUR = 3600
S_co = TypeVar("S_co", covariant=True)


def active_prefix(tx: Tx, name: str) -> str:
    """The table prefix of the generation that serves reads now."""
    generation = tracking.active_generation(tx, name)
    if generation is None:
        raise LookupError(f"the {name} view has not been installed yet")
    return tracking.prefix(name, generation)


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime:
    """The UTC time of epoch seconds stored by `epoch`."""
    return datetime.fromtimestamp(seconds, UTC)


def hour_of(moment: datetime) -> int:
    """The hour bucket a business time falls in, as epoch seconds."""
    return int(moment.timestamp()) // HOUR * HOUR


def hours_between(start: datetime, end: datetime) -> tuple[int, int]:
    """The first and last hour buckets of a half-open window [start, end): the last is the one
    holding the last instant before `end`, so a window ending at 10:00:00.5 still reads 10:00
    (never a last bucket before the first, which would be an empty window)."""
    return hour_of(start), (math.ceil(end.timestamp()) - 1) // HOUR * HOUR


def add_counts(tx: Tx, table: str, keys: Sequence[str], counts: Mapping[Any, int]) -> None:
    """Adds each count to the row of its key (a tuple matching `keys`), creating rows as needed."""
    rows = [(*key, n) for key, n in counts.items() if n]
    tx.merge(table, [*keys, "n"], keys, rows, f"n = {table}.n + excluded.n")


IDS_PER_QUERY = 500


def rows_by_ids(
    tx: Tx, table: str, columns: Sequence[str], key: str, ids: Iterable[str]
) -> list[Row]:
    """The rows of `table` whose `key` is one of `ids`: one query per 500 ids."""
    wanted = sorted(set(ids))
    rows: list[Row] = []
    for i in range(0, len(wanted), IDS_PER_QUERY):
        chunk = wanted[i : i + IDS_PER_QUERY]
        marks = ", ".join("?" for _ in chunk)
        rows += tx.all(f"SELECT {', '.join(columns)} FROM {table} WHERE {key} IN ({marks})", chunk)
    return rows


def records_by_ids(
    tx: Tx, table: Table[R], prefix: str, ids: Iterable[str], key: str | None = None
) -> list[R]:
    """The records of `table` whose `key` (by default its one primary-key column) is one of
    `ids`."""
    if key is None:
        (key,) = table.primary_key
    wanted = sorted(set(ids))
    found: list[R] = []
    select = f"SELECT {table.select_list} FROM {prefix}{table.name} WHERE {key} IN "
    for i in range(0, len(wanted), IDS_PER_QUERY):
        chunk = wanted[i : i + IDS_PER_QUERY]
        found += table.records(tx.all(f"{select}({', '.join('?' for _ in chunk)})", chunk))
    return found


def upsert_records(tx: Tx, table: Table[R], prefix: str, records: Iterable[R]) -> None:
    """Writes whole records, replacing the row of the same primary key."""
    keys = table.primary_key
    updates = ", ".join(f"{c} = excluded.{c}" for c in table.names if c not in keys)
    key = attrgetter(*keys)
    latest = {key(record): record for record in records}  # a later record of a key replaces it
    tx.merge(prefix + table.name, table.names, keys, latest.values(), updates)


class Stored(Protocol[S_co]):
    def record(self) -> S_co: ...


E = TypeVar("E", bound=Stored[Any])


def update_entries(
    tx: Tx,
    table: Table[R],
    prefix: str,
    batch: Sequence[Envelope],
    entry: Callable[[R], E],
    apply: Callable[[dict[str, E], Envelope], None],
) -> None:
    """Reads the records of the batch's originators (the table's key is their id), applies
    each envelope to them in memory, and writes them back whole."""
    ids = (str(envelope.event.originator_id) for envelope in batch)
    (key,) = table.primary_key
    id_of = attrgetter(key)
    entries = {id_of(record): entry(record) for record in records_by_ids(tx, table, prefix, ids)}
    for envelope in batch:
        apply(entries, envelope)
    upsert_records(tx, table, prefix, (e.record() for e in entries.values()))


def adjust_counts(tx: Tx, table: str, keys: Sequence[str], deltas: Mapping[Any, int]) -> None:
    """Like add_counts for counts that also go down (current totals); a row reaching 0 is
    removed, so the table does not depend on how the events were batched."""
    add_counts(tx, table, keys, deltas)
    where = " AND ".join(f"{k} = ?" for k in keys)
    tx.executemany(
        f"DELETE FROM {table} WHERE {where} AND n = 0", [key for key, n in deltas.items() if n]
    )


MAX_PAGE = 200


def page_size(limit: int) -> int:
    """A page size checked against the bound every paged query shares (1 to 200)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be from 1 to {MAX_PAGE}, not {limit}")
    return limit
