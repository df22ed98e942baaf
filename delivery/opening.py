"""What a notice needs at send time, opened only then, or why it must not go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.app import CareLedger
from application.customers import ERASED_CONTACT, ContactDetails
from delivery.delivery_settings import DeliverySettings
from delivery.staff import Directory
from domain.customer import Customer, CustomerStatus
from domain.notification import (
    ESSENTIAL_NOTICES,
    NoticeChannel,
    Notification,
    RecipientKind,
    SuppressionReason,
)


@dataclass(frozen=True)
class Opened:
    """The address and parameters of a notice that may go, or the reason it must not."""

    address: str | None = None
    params: dict[str, str] | None = None
    refused: SuppressionReason | None = None


class Opener:
    def __init__(self, app: CareLedger, directory: Directory, settings: DeliverySettings) -> None:
        self.app = app
        self.directory = directory
        self.settings = settings

    def open(self, notification: Notification, customer: Customer | None = None) -> Opened:
        """Suppressed when the customer was erased, has no address on the channel, or opted
        out of a non-essential notice, or when quiet hours hold a non-essential one.
        `customer`: the recipient as the caller read it an instant ago, else loaded now."""
        if notification.recipient_kind is not RecipientKind.CUSTOMER:
            address = self.directory.address(notification.recipient_kind, notification.recipient_id)
            if address is None:
                return Opened(refused=SuppressionReason.NO_RECIPIENT)
            return Opened(address, {"name": notification.recipient_id, **notification.public})
        customer_id = UUID(notification.recipient_id)
        if customer is None or customer.id != customer_id:
            customer = self.app.load(Customer, customer_id, shared=True)
        if customer.status is CustomerStatus.ERASED:
            return Opened(refused=SuppressionReason.CUSTOMER_ERASED)
        contact = self.app.contact_from(customer)
        params = self.app.notice_parameters(notification)
        if contact == ERASED_CONTACT or params is None:
            return Opened(refused=SuppressionReason.CUSTOMER_ERASED)
        if notification.kind not in ESSENTIAL_NOTICES and customer.notice_opt_out:
            return Opened(refused=SuppressionReason.OPTED_OUT)
        address = _customer_address(contact, customer_id, notification.channel)
        if address is None:
            return Opened(refused=SuppressionReason.NO_ADDRESS)
        quiet = self.settings.quiet_until(notification.requested_at)
        if notification.kind not in ESSENTIAL_NOTICES and quiet is not None:
            return Opened(refused=SuppressionReason.QUIET_HOURS)
        return Opened(address, {"name": contact.name, **params})

    def held_until(self, notification: Notification, now: datetime) -> datetime | None:
        """Quiet hours hold back a customer's essential notice that is not urgent (a reply
        written at 3 a.m. goes out at 8); urgent ones and staff alerts go at once. The hours
        are those of the time it was requested: one sent late (a backlog, a replayed day)
        waits only while they still last."""
        if notification.recipient_kind is not RecipientKind.CUSTOMER or notification.urgent:
            return None
        until = self.settings.quiet_until(notification.requested_at)
        return until if until is not None and until > now else None


def _customer_address(contact: ContactDetails, customer_id: UUID, channel: str) -> str | None:
    if channel == NoticeChannel.EMAIL:
        return contact.email or None
    if channel == NoticeChannel.SMS:
        return contact.phone or None
    if channel == NoticeChannel.PUSH:
        return str(customer_id)  # the push provider addresses the app's user, not a device
    return None
