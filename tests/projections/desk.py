"""A desk that drives complaints through the commands at given business times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from application.app import CareLedger
from domain.order_types import OrderItem
from tests.application.builders import ADDRESS, customer
from tests.support import CUSTOMER, meta


class Desk:
    """Drives complaints through the application's commands at given business times. Given
    `regions`, the n-th complaint filed is about an order received half an hour before it in
    the n-th region (None: about no order)."""

    def __init__(self, app: CareLedger, regions: Sequence[str | None] = ()) -> None:
        self.app = app
        self.customer = customer(app)
        self.regions = list(regions)
        self.filed = 0

    def file(self, when: datetime, channel: str) -> UUID:
        region = self.regions[self.filed] if self.filed < len(self.regions) else None
        self.filed += 1
        return self.app.file_complaint(
            meta(when, actor=CUSTOMER),
            customer_id=self.customer,
            order_id=None if region is None else self.order(when - timedelta(minutes=30), region),
            content="it went wrong",
            channel=channel,
        ).aggregate_id

    def order(self, when: datetime, region: str) -> UUID:
        return self.app.receive_order(
            meta(when, actor=CUSTOMER),
            customer_id=self.customer,
            restaurant=f"Kitchen of {region}",
            region=region,
            items=[OrderItem("noodles", 1, Decimal("30.00"))],
            amount="30.00",
            promised_at=when + timedelta(minutes=40),
            address=ADDRESS,
            channel="app",
        ).aggregate_id

    def classify(self, when: datetime, c: UUID, category: str, severity: str) -> None:
        self.app.classify_complaint(meta(when), c, category, "detail", severity)

    def resolve(self, times: tuple[datetime, datetime, datetime], c: UUID, outcome: str) -> None:
        """Starts work, proposes an apology and resolves, at the three given times."""
        start, propose, resolve = times
        self.app.start_work(meta(start), c)
        self.app.propose_solution(meta(propose), c, "apology")
        self.app.resolve_complaint(meta(resolve), c, outcome)
