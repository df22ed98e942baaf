"""A desk that drives complaints through the commands at given business times."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.app import CareLedger
from tests.application.builders import customer
from tests.support import CUSTOMER, meta


class Desk:
    """Drives complaints through the application's commands at given business times."""

    def __init__(self, app: CareLedger) -> None:
        self.app = app
        self.customer = customer(app)

    def file(self, when: datetime, channel: str) -> UUID:
        return self.app.file_complaint(
            meta(when, actor=CUSTOMER),
            customer_id=self.customer,
            order_id=None,
            content="it went wrong",
            channel=channel,
        ).aggregate_id

    def classify(self, when: datetime, c: UUID, category: str, severity: str) -> None:
        self.app.classify_complaint(meta(when), c, category, "detail", severity)

    def resolve(self, times: tuple[datetime, datetime, datetime], c: UUID, outcome: str) -> None:
        """Starts work, proposes an apology and resolves, at the three given times."""
        start, propose, resolve = times
        self.app.start_work(meta(start), c)
        self.app.propose_solution(meta(propose), c, "apology")
        self.app.resolve_complaint(meta(resolve), c, outcome)
