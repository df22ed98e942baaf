"""Keyset pages over one table of a read model: equality filters, a sort key that ends in the
row's id (so it is unique), and the key of a page's last row as the cursor of the next."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from projections.engine.reading import active_prefix, page_size
from projections.engine.store import ViewStore
from projections.engine.tables import Table

Key = tuple[Any, ...]


class Keyed(Protocol):
    @property
    def sort_key(self) -> Key: ...


R = TypeVar("R")
T = TypeVar("T", bound=NamedTuple)
K = TypeVar("K", bound=Keyed)


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    after: Key | None  # the cursor of the next page; None on the last page


def keyset_page(
    store: ViewStore,
    view: str,
    table: Table[T],
    *,
    filters: Mapping[str, Any],
    order: Sequence[str],
    after: Sequence[Any] | None,
    limit: int,
    convert: Callable[[T], K],
) -> Page[K]:
    """Up to `limit` records of `table` (in the generation of `view` serving reads now) matching
    every filter given (a None filter matches all), in `order`, from just after the key `after`;
    one more row is read to tell whether a next page exists."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, view)
        page_size(limit)
        where, params = _where(filters, order, after)
        rows = tx.all(
            f"SELECT {table.select_list} FROM {prefix}{table.name} WHERE {where}"
            f" ORDER BY {', '.join(order)} LIMIT ?",
            [*params, limit + 1],
        )
    page = [convert(record) for record in table.records(rows[:limit])]
    return Page(page, page[-1].sort_key if len(rows) > limit else None)


def _where(
    filters: Mapping[str, Any], order: Sequence[str], after: Sequence[Any] | None
) -> tuple[str, list[Any]]:
    where = [f"{column} = ?" for column, value in filters.items() if value is not None]
    params: list[Any] = [value for value in filters.values() if value is not None]
    if after is not None:
        if len(after) != len(order):
            raise ValueError(f"a cursor of this list has {len(order)} parts, not {len(after)}")
        where.append(f"({', '.join(order)}) > ({', '.join('?' for _ in order)})")
        params += list(after)
    return " AND ".join(where) or "1 = 1", params


def keyset_scan(
    store: ViewStore,
    view: str,
    table: Table[T],
    *,
    key: str,
    start: float,
    end: float,
    batch: int = 1000,
    only: Mapping[str, Any] | None = None,
) -> Iterator[list[T]]:
    """Every record of `table` with `start <= key < end`, in (key, id) order, one page of up to
    `batch` records at a time, each page read in a transaction of its own from just after the
    last record of the one before. The key of a record must never change (a time it was
    received, placed, sent), so each is read once however the table changes meanwhile; memory
    holds one page, whatever the number of rows. `only` keeps the records with these
    values ({column: value}, AND-ed; the columns are the caller's, never a client's text)."""
    (row_id,) = table.primary_key
    also = "".join(f" AND {column} = ?" for column in only or {})
    values = list((only or {}).values())
    order = f"{key}, {row_id}"
    select = f"SELECT {table.select_list} FROM {{prefix}}{table.name} WHERE {key} < ? AND "
    after: tuple[Any, ...] | None = None
    while True:
        where, params = (
            (f"{key} >= ?", [end, start])
            if after is None
            else (f"({order}) > (?, ?)", [end, *after])
        )
        with store.transaction() as tx:
            prefix = active_prefix(tx, view)
            rows = tx.all(
                select.format(prefix=prefix) + where + also + f" ORDER BY {order} LIMIT ?",
                [*params, *values, batch],
            )
        records = table.records(rows)
        if records:
            yield records
        if len(records) < batch:
            return
        last = records[-1]
        after = (getattr(last, key), getattr(last, row_id))
