"""The conversation on a complaint: customer messages, agent replies and the first response.

Its events are explicit classes for the reason domain/complaint_clocks.py gives.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from domain.base import Meta
from domain.complaint_clocks import ComplaintClocks, ComplaintEvent
from domain.complaint_types import OPEN_STATES
from domain.errors import InvalidInputError, TransitionRefusedError
from domain.sla import ClockName
from domain.sla_book import STANDARD_CONTEXT, SlaContext
from domain.values import Sealed


class CustomerMessageReceived(ComplaintEvent):
    TOPIC = "careledger.CustomerMessageReceived"
    content: Sealed

    def apply(self, aggregate: ComplaintConversation) -> None:
        aggregate.message_count += 1


class AgentReplied(ComplaintEvent):
    TOPIC = "careledger.AgentReplied"
    content: Sealed

    def apply(self, aggregate: ComplaintConversation) -> None:
        aggregate.reply_count += 1


class FirstResponseSent(ComplaintEvent):
    TOPIC = "careledger.FirstResponseSent"

    def apply(self, aggregate: ComplaintConversation) -> None:
        aggregate.first_response_at = self.meta.occurred_at
        aggregate._stop_clock(ClockName.FIRST_RESPONSE, self.meta.occurred_at)


class ComplaintConversation(ComplaintClocks):
    """The messages of `Complaint`; the first response meets the first-response clock."""

    if TYPE_CHECKING:
        customer_id: UUID
        status: StrEnum
        first_response_at: datetime | None
        message_count: int
        reply_count: int

        def require(self, action: str, allowed: Collection[StrEnum]) -> None: ...

    def send_first_response(self, meta: Meta, sla: SlaContext = STANDARD_CONTEXT) -> None:
        self.require("send the first response", OPEN_STATES)
        if self.first_response_at is not None:
            raise TransitionRefusedError(
                type(self).__name__, str(self.status), "send the first response again"
            )
        self._respond_first(meta, sla)

    def receive_customer_message(self, meta: Meta, content: Sealed) -> None:
        self._check_sealed("content", content)
        self.require("record a customer message", OPEN_STATES)
        self.trigger_event(CustomerMessageReceived, meta=meta, content=content)

    def reply(self, meta: Meta, content: Sealed, sla: SlaContext = STANDARD_CONTEXT) -> None:
        self._check_sealed("content", content)
        self.require("reply", OPEN_STATES)
        self.trigger_event(AgentReplied, meta=meta, content=content)
        if self.first_response_at is None:
            self._respond_first(meta, sla)

    def _respond_first(self, meta: Meta, sla: SlaContext) -> None:
        running = self._clock_active(ClockName.FIRST_RESPONSE)
        self.trigger_event(FirstResponseSent, meta=meta)
        if running:
            self._settle_clock(meta, ClockName.FIRST_RESPONSE, sla)

    def _check_sealed(self, field: str, sealed: Sealed) -> None:
        if not isinstance(sealed, Sealed) or sealed.subject != str(self.customer_id):
            raise InvalidInputError(field, "must be sealed with the customer's own key")
