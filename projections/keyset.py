"""Keyset pages over one table of a read model: equality filters, a sort key that ends in the
row's id (so it is unique), and the key of a page's last row as the cursor of the next."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from projections.reading import page_size
from projections.store import Row, Tx

R = TypeVar("R")
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    after: Key | None  # the cursor of the next page; None on the last page


def keyset_rows(
    tx: Tx,
    table: str,
    columns: Sequence[str],
    *,
    filters: Mapping[str, Any],
    order: Sequence[str],
    after: Sequence[Any] | None,
    limit: int,
) -> list[Row]:
    """Up to `limit` + 1 rows matching every filter given (a None filter matches all), in
    `order`, from just after the key `after`: the extra row tells whether a next page exists."""
    page_size(limit)
    where = [f"{column} = ?" for column, value in filters.items() if value is not None]
    params: list[Any] = [value for value in filters.values() if value is not None]
    if after is not None:
        if len(after) != len(order):
            raise ValueError(f"a cursor of this list has {len(order)} parts, not {len(after)}")
        where.append(f"({', '.join(order)}) > ({', '.join('?' for _ in order)})")
        params += list(after)
    return tx.all(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {' AND '.join(where) or '1 = 1'}"
        f" ORDER BY {', '.join(order)} LIMIT ?",
        [*params, limit + 1],
    )


def page_of(
    rows: Sequence[Row], limit: int, convert: Callable[[Row], R], key: Callable[[R], Key]
) -> Page[R]:
    """The first `limit` rows, converted; the cursor after the last of them if more follow."""
    page = [convert(row) for row in rows[:limit]]
    return Page(page, key(page[-1]) if len(rows) > limit else None)
