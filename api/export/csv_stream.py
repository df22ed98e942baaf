"""A window of one export kind as CSV text, one chunk per keyset page: the header first, then
the rows in the order of the time that puts them in the window (and their id). Memory holds
one page at a time, however many rows the window has."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime

from api.export.kinds import Kind
from api.export.personal import PersonalColumns
from projections.engine.keyset import keyset_scan
from projections.engine.reading import active_prefix
from projections.engine.store import ViewStore

PAGE = 1000


def check_installed(store: ViewStore, kind: Kind) -> None:
    """LookupError when the kind's view has not been installed yet (before any byte is sent)."""
    with store.transaction() as tx:
        active_prefix(tx, kind.view)


def csv_chunks(
    store: ViewStore,
    kind: Kind,
    personal: PersonalColumns | None,
    start: datetime,
    end: datetime,
    page: int = PAGE,
    where: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """The header, then one chunk of CSV lines per page of rows received in [start, end),
    only those with every value of `where` ({column: value}, from Kind.where) if given.
    Without `personal` the personal columns are left out altogether."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(kind.header + (kind.personal if personal else ()))
    yield _drain(buffer)
    pages = keyset_scan(
        store,
        kind.view,
        kind.table,
        key=kind.key,
        start=start.timestamp(),
        end=end.timestamp(),
        batch=page,
        only=where,
    )
    for rows in pages:
        extra = personal.cells(kind.name, rows) if personal else [[] for _ in rows]
        cells = kind.cells
        writer.writerows(cells(row) + more for row, more in zip(rows, extra, strict=True))
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return chunk
