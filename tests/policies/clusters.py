"""Orders and classified complaints about chosen restaurants, for the cluster tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.app import CareLedger
from domain.cluster import ClusterDetection
from domain.meta import Actor, ActorKind
from domain.order_types import OrderItem
from tests.application.builders import ADDRESS, customer
from tests.support import CUSTOMER, T0, meta

COMMANDER = Actor(ActorKind.SUPERVISOR, "sup-zhou", "incident_commander")
DETECTOR = Actor(ActorKind.SYSTEM, "cluster-detector", "system")


class Kitchens:
    """One customer ordering from restaurants and complaining, at times given as offsets."""

    def __init__(self, app: CareLedger) -> None:
        self.app = app
        self.customer = customer(app)

    def order(
        self, at: timedelta, restaurant: str = "Golden Dumpling", region: str = "chaoyang"
    ) -> UUID:
        return self.app.receive_order(
            meta(at, actor=CUSTOMER),
            customer_id=self.customer,
            restaurant=restaurant,
            region=region,
            items=[OrderItem("cold noodles", 1, Decimal("30.00"))],
            amount="30.00",
            promised_at=T0 + at + timedelta(minutes=40),
            address=ADDRESS,
            channel="app",
        ).aggregate_id

    def complaint(
        self,
        order_id: UUID,
        at: timedelta,
        category: str = "food_safety",
        subcategory: str = "food_poisoning",
    ) -> UUID:
        complaint_id = self.app.file_complaint(
            meta(at, actor=CUSTOMER),
            customer_id=self.customer,
            order_id=order_id,
            content="Vomiting since lunch.",
            channel="app",
        ).aggregate_id
        self.app.classify_complaint(
            meta(at + timedelta(minutes=1)), complaint_id, category, subcategory, "urgent"
        )
        return complaint_id

    def ill(
        self, at: timedelta, restaurant: str = "Golden Dumpling", region: str = "chaoyang"
    ) -> UUID:
        """An order at `at` and its food-safety complaint three hours later."""
        return self.complaint(self.order(at, restaurant, region), at + timedelta(hours=3))


def detections(app: CareLedger) -> list[Any]:
    """Every ClusterDetected recorded, in log order."""
    return [
        event
        for notification in app.recorder.select_notifications(1, 10_000)
        if notification.topic == "careledger.ClusterDetected"
        for event in [app.mapper.to_domain_event(notification)]
    ]


def detection(app: CareLedger, detection_id: UUID) -> ClusterDetection:
    return app.load(ClusterDetection, detection_id)


def after(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
