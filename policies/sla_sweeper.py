"""The SLA sweeper: records each warning and breach when it falls due
(docs/architecture.md#sla-clocks).

It reads the SLA schedule view (caught up first, so it never acts on stale rows) and asks the
application to check each complaint with something due. The command id is derived from the
complaint and the due time it acts on: a sweeper restarted after the command committed repeats
the same id, which the application's idempotency receipts recognise.
"""

from __future__ import annotations

from datetime import datetime

from application.app import CareLedger
from policies.system import Issued, system_meta
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.sla_schedule import (
    DueCheck,
    SlaScheduleProjection,
    due_checks,
    next_check_at,
)

ACTOR = "sla-sweeper"


class SlaSweeper:
    def __init__(self, app: CareLedger, store: ViewStore, *, page: int = 500) -> None:
        self.app = app
        self.store = store
        self.page = page
        self.runner = Runner(app, store, SlaScheduleProjection())
        self.issued = Issued()

    def sweep(self, now: datetime) -> int:
        """Checks every complaint with a warning or breach due at `now`; the commands issued."""
        self.runner.catch_up()
        return sum(self.check(due, now) for due in due_checks(self.store, now, self.page))

    def next_wake(self) -> datetime | None:
        """When the next warning or breach falls due."""
        self.runner.catch_up()
        return next_check_at(self.store)

    def check(self, due: DueCheck, now: datetime) -> int:
        """Checks one complaint: 1 if a command ran, 0 if it had run already (here or, as its
        receipt tells, in another sweeper)."""
        command_id = f"{ACTOR}:{due.complaint_id}:{due.check_at.isoformat()}"
        if command_id in self.issued:
            return 0
        outcome = self.app.check_complaint_sla(
            system_meta(ACTOR, command_id, now, "sla_due"), due.complaint_id
        )
        self.issued.add(command_id)
        return 0 if outcome.replayed else 1
