"""Checks the event log against its hash chain and names the first event that no longer fits.

The log and the chain are read side by side, a page at a time, in position order; each link is
recomputed from the stored record and the link before it (recomputed too, never read), so the
first position where the log and the chain part ways is where the log was changed, or the chain.

What it can tell apart, at that first position p:
- deleted: the chain has p, the log does not, and the event chained there is nowhere in the log;
- inserted: the log has p, below the chain's head, and the chain has no row for it;
- reordered: the event chained at p (its identity, or its state bytes within the same entity)
  is now stored at another position q;
- altered: anything else at p (state, topic or identity changed, or the chain row edited).
A chain rewritten to match a rewritten log cannot be caught from the database alone: keep the
head printed by a successful verify elsewhere and pass it back as `anchor` later.

A long log can be walked in pieces: `limit` cuts a walk short, its report's `resume` (the
position where it stopped and the link recomputed there) lets the next walk start `after` it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent

from application.app import CareLedger
from projections.engine.reading import active_prefix
from projections.engine.store import ViewStore
from projections.views.audit_chain import (
    GENESIS,
    LINKS,
    AuditChainProjection,
    ChainRow,
    last_row,
    next_link,
    row_of,
)
from projections.views.audit_report import (
    Anchor,
    Kind,
    Problem,
    VerificationReport,
    format_report,
    parse_anchor,
)

MAX_PAGE = 10_000

__all__ = [
    "Anchor",
    "Problem",
    "VerificationReport",
    "WalkBoundsError",
    "format_report",
    "parse_anchor",
    "verify",
]


class WalkBoundsError(ValueError):
    """A walk asked to start `after` a position the log does not reach, or to pass the
    `anchor` by."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def verify(
    app: CareLedger,
    store: ViewStore,
    *,
    anchor: Anchor | None = None,
    after: Anchor | None = None,
    limit: int | None = None,
    page_size: int = 1000,
) -> VerificationReport:
    """Recomputes the chain from the log up to its end now; stops at the first discrepancy.

    Events past the chain's head are counted as not yet chained (not a failure), and still
    hashed when an `anchor` lies beyond the head. With `after`, the walk starts past its
    position from its link instead of from the first event; with `limit`, it stops after that
    many events and says in `resume` where to go on.
    """
    if not 1 <= page_size <= MAX_PAGE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE}, not {page_size}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    with store.transaction() as tx:
        prefix = active_prefix(tx, AuditChainProjection.name)
        head = last_row(tx, prefix)
    head_position = 0 if head is None else head.position
    end = max(app.recorder.max_notification_id() or 0, head_position)
    start = _start(after, anchor, end)
    stop = end if anchor is None else max(end, anchor.position)
    walk = _Walk(app, head_position, anchor, page_size, after)
    log = _log(app, start, stop, page_size)
    chain = _chain(store, prefix, start, head_position, page_size)
    problem = walk.run(_aligned(log, chain), limit)
    return VerificationReport(
        ok=problem is None,
        checked=walk.checked,
        head_position=head_position,
        head_link=GENESIS.hex() if head is None else head.link,
        problem=problem,
        unchained=walk.unchained,
        start=start,
        through=walk.through,
        resume=walk.resume,
    )


def _start(after: Anchor | None, anchor: Anchor | None, end: int) -> int:
    """The position a walk begins after, checked against the log's end and the anchor."""
    if after is None:
        return 0
    if after.position > end:
        raise WalkBoundsError("after", f"the log ends at position {end}, before {after.position}")
    if anchor is not None and anchor.position <= after.position:
        raise WalkBoundsError(
            "anchor", "the anchor lies at or before `after`: check it with the walk that passes it"
        )
    return after.position


def _log(app: CareLedger, start: int, stop: int, page_size: int) -> Iterator[Notification]:
    while start < stop:
        page = app.recorder.select_notifications(
            start, limit=page_size, stop=stop, inclusive_of_start=False
        )
        yield from page
        if len(page) < page_size:
            return
        start = page[-1].id


def _chain(
    store: ViewStore, prefix: str, after: int, head: int, page_size: int
) -> Iterator[ChainRow]:
    while after < head:
        with store.transaction() as tx:
            rows = LINKS.records(
                tx.all(
                    f"SELECT {LINKS.select_list} FROM {prefix}{LINKS.name}"
                    " WHERE position > ? AND position <= ? ORDER BY position LIMIT ?",
                    (after, head, page_size),
                )
            )
        yield from rows
        if len(rows) < page_size:
            return
        after = int(rows[-1].position)


Aligned = tuple[int, Notification | None, ChainRow | None]


def _aligned(log: Iterator[Notification], chain: Iterator[ChainRow]) -> Iterator[Aligned]:
    """Both merged by position: each position with its record and its chain row, if any."""
    record, row = next(log, None), next(chain, None)
    while record is not None or row is not None:
        if row is None or (record is not None and record.id < row.position):
            assert record is not None
            yield record.id, record, None
            record = next(log, None)
        elif record is None or row.position < record.id:
            yield row.position, None, row
            row = next(chain, None)
        else:
            yield row.position, record, row
            record, row = next(log, None), next(chain, None)


class _Walk:
    def __init__(
        self,
        app: CareLedger,
        head: int,
        anchor: Anchor | None,
        page_size: int,
        after: Anchor | None,
    ) -> None:
        self.app = app
        self.head = head
        self.anchor = anchor
        self.page_size = page_size
        self.link = GENESIS if after is None else bytes.fromhex(after.link)
        self.through = 0 if after is None else after.position
        self.checked = 0
        self.unchained = 0
        self.resume: Anchor | None = None

    def run(self, positions: Iterator[Aligned], limit: int | None) -> Problem | None:
        walked = 0
        for position, record, row in positions:
            if walked == limit:  # more to go, but not in this walk
                self.resume = Anchor(self.through, self.link.hex())
                return None
            problem = self._anchor_passed(position) or self._step(record, row)
            if problem is not None:
                return problem
            walked, self.through = walked + 1, position
        return self._anchor_passed(None)

    def _step(self, record: Notification | None, row: ChainRow | None) -> Problem | None:
        if record is None:
            assert row is not None
            return self._missing(row)
        if row is None and record.id <= self.head:
            return _problem(
                record,
                "inserted",
                "the chain skipped this position: an event was"
                " inserted here after the chain had passed it, or its row removed",
            )
        self.link = next_link(self.link, record)
        if row is None:
            self.unchained += 1
        elif self.link.hex() != row.link:
            return self._diagnose(record, row)
        else:
            self.checked += 1
        return self._against_anchor(record)

    def _anchor_passed(self, position: int | None) -> Problem | None:
        anchor = self.anchor
        if anchor is None or (position is not None and position <= anchor.position):
            return None
        return Problem(anchor.position, "deleted", "the anchor's position is no longer in the log")

    def _against_anchor(self, record: Notification) -> Problem | None:
        anchor = self.anchor
        if anchor is None or record.id != anchor.position:
            return None
        self.anchor = None
        if self.link.hex() == anchor.link:
            return None
        return _problem(
            record,
            "altered",
            "the log up to here no longer hashes to the anchor"
            " kept outside the database: an event at or before this position was"
            " changed and the chain table rewritten to match",
        )

    def _missing(self, row: ChainRow) -> Problem:
        moved_to = self.app.receipts.position_of(UUID(row.originator_id), row.originator_version)
        if moved_to is not None:
            return _chained(row, "reordered", f"{_name(row)} now sits at position {moved_to}")
        return _chained(row, "deleted", f"{_name(row)} is no longer in the log")

    def _diagnose(self, record: Notification, row: ChainRow) -> Problem:
        now = row_of(record, GENESIS)
        if _identity(now) != _identity(row):
            return self._identity_changed(now, row)
        if now.topic != row.topic:
            return _chained(row, "altered", f"its topic changed to {now.topic}")
        if now.state_sha != row.state_sha:
            return self._state_changed(row)
        return _chained(
            row,
            "altered",
            "the event matches the chain row's fingerprint but not"
            " its link: the chain table was edited at this position",
        )

    def _identity_changed(self, now: ChainRow, row: ChainRow) -> Problem:
        moved_to = self.app.receipts.position_of(UUID(row.originator_id), row.originator_version)
        found = f"this position now holds {_name(now)}"
        if moved_to is not None:
            return _chained(
                row, "reordered", f"{_name(row)} now sits at position {moved_to}; {found}"
            )
        return _chained(row, "altered", f"{_name(row)} is gone; {found}")

    def _state_changed(self, row: ChainRow) -> Problem:
        """Reordered if the state chained here is now stored with another event of the entity."""
        entity = UUID(row.originator_id)
        for event in _events_of(self.app, entity, self.page_size):
            if event.originator_version == row.originator_version:
                continue
            if hashlib.sha256(event.state).hexdigest() == row.state_sha:
                moved_to = self.app.receipts.position_of(entity, event.originator_version)
                return _chained(
                    row,
                    "reordered",
                    f"the state bytes chained here are now those"
                    f" of version {event.originator_version} at position {moved_to}",
                )
        return _chained(row, "altered", "its state bytes changed")


def _events_of(app: CareLedger, originator_id: UUID, page_size: int) -> Iterator[StoredEvent]:
    after: int | None = None
    while True:
        page = app.recorder.select_events(originator_id, gt=after, limit=page_size)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].originator_version


def _identity(row: ChainRow) -> tuple[str, int]:
    return row.originator_id, row.originator_version


def _name(row: ChainRow) -> str:
    return f"entity {row.originator_id} version {row.originator_version} ({row.topic})"


def _chained(row: ChainRow, kind: Kind, detail: str) -> Problem:
    """A problem with the event the chain recorded at this position."""
    text = detail if detail.startswith(_name(row)) else f"{_name(row)}: {detail}"
    return Problem(row.position, kind, text, row.originator_id, row.originator_version)


def _problem(record: Notification, kind: Kind, detail: str) -> Problem:
    """A problem with the record the log holds at this position."""
    row = row_of(record, GENESIS)
    return Problem(
        row.position, kind, f"{_name(row)}: {detail}", row.originator_id, row.originator_version
    )
