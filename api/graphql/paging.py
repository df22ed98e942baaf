"""Relay connections over the read models, paged by keyset: a cursor is the sort key of its row,
so the next page starts right after it, whatever was added or removed before it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay import from_base64, to_base64

from api.graphql.consistency import read_at
from api.graphql.context import Context
from domain.errors import InvalidInputError

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_PAGE = 20
MAX_PAGE = 100


@strawberry.type(description="An item of a list, with the cursor to continue after it")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="One page of a list; ask for the next with `after: endCursor`")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: relay.PageInfo


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInputError("first", f"`first` must be from 1 to {MAX_PAGE}")
    return first


def encode_cursor(kind: str, key: Sequence[Any]) -> str:
    return to_base64(kind, json.dumps(list(key), separators=(",", ":")))


def decode_cursor(kind: str, cursor: str | None, shape: Sequence[type]) -> tuple[Any, ...] | None:
    """The sort key a cursor of this list carries; a cursor of another list or a forged one is
    refused, not silently read from the start."""
    if cursor is None:
        return None
    try:
        prefix, text = from_base64(cursor)
        key = json.loads(text)
    except (ValueError, TypeError):
        raise InvalidInputError("after", "`after` is not a cursor") from None
    if prefix != kind or not _fits(key, shape):
        raise InvalidInputError("after", f"`after` is not a cursor of this list ({kind})")
    return tuple(kind_of(value) for kind_of, value in zip(shape, key, strict=True))


def _fits(key: Any, shape: Sequence[type]) -> bool:
    if not isinstance(key, list) or len(key) != len(shape):
        return False
    for kind, value in zip(shape, key, strict=True):
        allowed = (int, float) if kind is float else (kind,)
        if isinstance(value, bool) or not isinstance(value, allowed):
            return False
    return True


def connection(
    kind: str,
    rows: Sequence[R],
    *,
    more: bool,
    after: bool,
    key: Callable[[R], Sequence[Any]],
    node: Callable[[R], T],
) -> Connection[T]:
    """The page of `rows`; `more` when a next page exists, `after` when it began at a cursor."""
    edges = [Edge(cursor=encode_cursor(kind, key(row)), node=node(row)) for row in rows]
    return Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=more,
            has_previous_page=after,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


class Keyed(Protocol):
    @property
    def sort_key(self) -> Sequence[Any]: ...


K = TypeVar("K", bound=Keyed)
K_co = TypeVar("K_co", bound=Keyed, covariant=True)


class KeysetPage(Protocol[K_co]):
    """A page a read model answers: its rows, and the cursor of the next page (None if none)."""

    @property
    def rows(self) -> Sequence[K_co]: ...

    @property
    def after(self) -> object: ...


async def keyset_connection(
    context: Context,
    kind: str,
    shape: Sequence[type],
    first: int,
    after: str | None,
    at_position: int | None,
    view: str,
    read: Callable[..., KeysetPage[K]],
    node: Callable[[K], T],
    **filters: Any,
) -> Connection[T]:
    """The page of `read` (a query of the read model `view`, given `filters`) after the cursor
    `after` of the list `kind`, whose sort keys have the types `shape`."""
    limit = page_size(first)
    key = decode_cursor(kind, after, shape)
    page = await read_at(context, [view], at_position, read, **filters, after=key, limit=limit)
    return connection(
        kind,
        page.rows,
        more=page.after is not None,
        after=key is not None,
        key=lambda row: row.sort_key,
        node=node,
    )
