"""The aggregates one pass of the delivery process reads, read together.

A pass plans and sends up to a batch of notices, each reading its order (or survey, complaint,
incident...) and its customer, or on the queue's path its notification and customer. Read one
at a time, that is a round trip each (the cache's fast-forward) and most of what a notice
costs; here they are read for the whole pass at once: one statement brings every copy this
process keeps forward to the database as it is now (`application/batch_reads.py`). So a pass
decides from the aggregates as they were when it began, which is after the events it acts
on were recorded; whatever is recorded meanwhile is seen by the next pass, as a read an
instant later would have seen it.

The copies are this process's own: read-only to the pass, brought forward in place at the
next read, which must not run while a pass's workers still use them (the notifier's passes
run one after the other).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from itertools import groupby
from types import MappingProxyType
from typing import TypeVar
from uuid import UUID

from application.app import CareLedger
from application.batch_reads import select_events_after
from application.handling import replay
from domain.base import CareAggregate
from domain.customer import Customer
from domain.notification import Notification, RecipientKind
from projections.views.notices import QueuedNotice

A = TypeVar("A", bound=CareAggregate)
MAX_COPIES = 4096

Reads = Mapping[UUID, CareAggregate]
NO_READS: Reads = MappingProxyType({})


class PassReads:
    def __init__(self, app: CareLedger, max_copies: int = MAX_COPIES) -> None:
        self.app = app
        self.max_copies = max_copies
        self._copies: OrderedDict[UUID, CareAggregate] = OrderedDict()

    def read(self, ids: Iterable[UUID]) -> dict[UUID, CareAggregate]:
        """Those of `ids` that exist, as they are now."""
        wanted = dict.fromkeys(ids)
        after = {aid: self._version(aid) for aid in wanted}
        stored = select_events_after(self.app.recorder, after)  # type: ignore[arg-type]
        for aid, group in groupby(stored, key=lambda s: s.originator_id):
            self._forward(UUID(str(aid)), [self.app.mapper.to_domain_event(s) for s in group])
        found = {aid: self._copies[aid] for aid in wanted if aid in self._copies}
        while len(self._copies) > self.max_copies:
            self._copies.popitem(last=False)
        return found

    def _version(self, aid: UUID) -> int:
        copy = self._copies.get(aid)
        if copy is None:
            return 0
        self._copies.move_to_end(aid)
        return copy.version

    def _forward(self, aid: UUID, events: list[object]) -> None:
        copy = self._copies.get(aid)
        start = 0 if copy is None else copy.version
        if getattr(events[0], "originator_version", None) != start + 1:
            self._copies.pop(aid, None)  # not the next events of this copy: read it afresh
            return
        aggregate = replay(copy, events)
        if isinstance(aggregate, CareAggregate):
            self._copies[aid] = aggregate


def read_as(kind: type[A], aggregate_id: UUID, reads: Reads, app: CareLedger) -> A:
    """The aggregate as the pass read it, else loaded now (NOT_FOUND when there is none)."""
    aggregate = reads.get(aggregate_id)
    if isinstance(aggregate, kind):
        return aggregate
    return app.load(kind, aggregate_id, shared=True)


def to_deliver(due: Iterable[QueuedNotice]) -> list[UUID]:
    """What delivering these reads: the notifications and the customers they tell."""
    due = list(due)
    customers = [UUID(q.recipient_id) for q in due if q.recipient_kind == RecipientKind.CUSTOMER]
    return [*(q.notification_id for q in due), *customers]


def customer_in(reads: Reads, notification: Notification) -> Customer | None:
    """The customer the notification tells, as the pass read them (None: a staff alert)."""
    if notification.recipient_kind is not RecipientKind.CUSTOMER:
        return None
    customer = reads.get(UUID(notification.recipient_id))
    return customer if isinstance(customer, Customer) else None
