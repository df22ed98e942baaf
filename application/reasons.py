"""A command's reason text, sealed under the key of the customer the command is about before
any event is made, so that erasing the customer erases it too (docs/architecture.md#free-text).

Which customer a command is about is read from its arguments, the first of `FINDERS` it has:
the customer itself, or the customer of the complaint, order, survey or notice it acts on. A
command about no customer (an incident, a cluster, a webhook endpoint, the SLA catalogue, a
notice to staff) takes a reason code only: free text there is refused, as no key could seal it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from application.handling import CommandHandling
from application.vault import Vault
from domain.complaint import Complaint
from domain.errors import InvalidInputError
from domain.meta import Meta, Reason
from domain.notification import Notification, RecipientKind
from domain.order import Order
from domain.survey import Survey

Finder = Callable[[CommandHandling, Any], UUID | None]


def _recipient(kind: str, recipient_id: str) -> UUID | None:
    return UUID(recipient_id) if kind == RecipientKind.CUSTOMER else None


FINDERS: tuple[tuple[str, Finder], ...] = (
    ("customer_id", lambda _, customer_id: customer_id),
    ("complaint_id", lambda app, i: app.load(Complaint, i, shared=True).customer_id),
    ("order_id", lambda app, i: app.load(Order, i, shared=True).customer_id),
    ("survey_id", lambda app, i: app.load(Survey, i, shared=True).customer_id),
    (
        "notification_id",
        lambda app, i: _recipient(*_recipient_of(app.load(Notification, i, shared=True))),
    ),
    ("notice", lambda _, n: _recipient(n.recipient_kind, n.recipient_id)),
)


def _recipient_of(notification: Notification) -> tuple[str, str]:
    return str(notification.recipient_kind), notification.recipient_id


class ReasonSealing(CommandHandling):
    vault: Vault

    def sealed_reason(
        self, meta: Meta, arguments: Mapping[str, Any], about: UUID | None = None
    ) -> Meta:
        """The command's metadata with its reason text sealed under the key of the customer
        it is about (`about`, else found from its arguments); unchanged without text."""
        reason = meta.reason
        if reason is None or not reason.text:
            return meta
        customer = about or self.customer_about(arguments)
        if customer is None:
            raise InvalidInputError(
                "reason_text",
                "this command is about no customer whose key could seal free text: give a"
                " reason code only",
            )
        sealed = self.vault.seal(customer, reason.text)
        return replace(meta, reason=Reason(reason.code, sealed=sealed))

    def customer_about(self, arguments: Mapping[str, Any]) -> UUID | None:
        for name, find in FINDERS:
            value = arguments.get(name)
            if value is not None:
                return find(self, value)
        return None
