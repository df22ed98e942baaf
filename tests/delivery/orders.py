"""Orders for the delivery tests."""

from __future__ import annotations

from uuid import UUID

from application.app import CareLedger
from tests.application.builders import customer, order
from tests.support import meta


def confirmed_order(app: CareLedger, via: str = "sms") -> UUID:
    """An order confirmed, and its confirmation asked for by `via`."""
    order_id = order(app, customer(app))
    app.confirm_order(meta(), order_id)
    app.send_order_confirmation(meta(), order_id, via)
    return order_id
