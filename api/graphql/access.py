"""Need-to-know over GraphQL: a personal field opens or reads "[sealed]", and its
`<field>Access` says why (api/need_to_know.py).

`NeedToKnow` is the request's checker (one per request, in `Context.notes`): it remembers each
customer's grants and each entity's access, so a list of a hundred rows of one customer loads
their record once. Its methods read aggregates and views: call them in the thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import strawberry

from api.auth import Principal, Role
from api.graphql.context import Info
from api.need_to_know import (
    HANDLERS,
    SEALED,
    Access,
    AccessBasis,
    Handling,
    SealedReason,
    access,
    access_any,
    complaint_handling,
    needs_grants,
    order_handling,
)
from application.app import CareLedger
from application.errors import NotFoundError
from application.vault import ERASED
from domain.base import CareAggregate
from domain.complaint import Complaint
from domain.customer import Customer
from domain.customer_access import NO_GRANTS, Grants
from domain.order import Order
from domain.personal_data_reads import Opening
from domain.survey import Survey, SurveySubject
from domain.values import Sealed, Unsealed
from projections.engine.store import ViewStore
from projections.views.complaint_index import complaint_index
from projections.views.order_index import order_index

strawberry.enum(AccessBasis, description="Why personal data opened for the caller")
strawberry.enum(SealedReason, description="Why personal data stayed sealed for the caller")

SEALED_VALUE = {"sealed": True}  # how an event's sealed value reads when it stays sealed
ENTITIES_CHECKED = 200  # a customer's complaints and orders looked at, newest first, at most
# How long one checker's judgements stand: a request's whole life, a subscription's few seconds
FRESH_FOR = timedelta(seconds=5)


@strawberry.type(description="Whether a personal field opened for the caller, and why")
class PersonalDataAccess:
    opened: bool
    basis: AccessBasis | None = strawberry.field(description="Set when it opened")
    sealed_reason: SealedReason | None = strawberry.field(description="Set when it stayed sealed")

    @classmethod
    def of(cls, found: Access) -> PersonalDataAccess:
        return cls(opened=found.opened, basis=found.basis, sealed_reason=found.reason)


class NeedToKnow:
    """What the caller of one request opens, entity by entity and customer by customer."""

    def __init__(
        self, ledger: CareLedger, views: ViewStore, caller: Principal, grace: timedelta
    ) -> None:
        self.ledger, self.views, self.caller, self.grace = ledger, views, caller, grace
        self.now = datetime.now(UTC)
        self._grants: dict[UUID, Grants] = {}
        self._customers: dict[UUID, Access] = {}
        self._entities: dict[UUID, Access | None] = {}
        self._kinds: dict[UUID, str] = {}
        self._owners: dict[UUID, UUID | None] = {}  # the customer whose entity it is
        self._opened: dict[tuple[str, str, str], tuple[set[str], str]] = {}
        self._lock = threading.Lock()

    def note(self, subject: str, entity: str, entity_id: UUID, field: str, basis: str) -> None:
        """Remember that `field` of `entity_id` (sealed under the customer `subject`'s key)
        opened for the caller: the request's record lists it (`take_openings`)."""
        with self._lock:
            fields, _ = self._opened.setdefault((subject, entity, str(entity_id)), (set(), basis))
            fields.add(field)

    def carry_over(self, older: NeedToKnow) -> None:
        """Goes on with what an older checker of the same request noted."""
        self._opened, self._lock = older._opened, older._lock

    def take_openings(self) -> list[Opening]:
        """Everything opened since the last take, one entry per entity; forgotten here once
        taken."""
        with self._lock:
            taken = [
                Opening(customer, entity, entity_id, tuple(sorted(fields)), basis)
                for (customer, entity, entity_id), (fields, basis) in self._opened.items()
            ]
            self._opened.clear()
            return taken

    def grants(self, customer_id: UUID) -> Grants:
        if customer_id not in self._grants:
            try:
                self._grants[customer_id] = self.ledger.load(Customer, customer_id).grants
            except NotFoundError:
                self._grants[customer_id] = NO_GRANTS
        return self._grants[customer_id]

    def of(self, handling: Handling) -> Access:
        """Access to the personal data of the entity `handling` describes."""
        found = access(self.caller, handling, self.now, self.grace)
        if not needs_grants(self.caller, found):
            return found
        grants = self.grants(handling.customer_id)
        return access(self.caller, handling, self.now, self.grace, grants)

    def customer(self, customer_id: UUID) -> Access:
        """Access to the customer's own record: through any complaint or order of theirs."""
        if customer_id not in self._customers:
            self._customers[customer_id] = self._customer(customer_id)
        return self._customers[customer_id]

    def _customer(self, customer_id: UUID) -> Access:
        seen: list[Handling] = []
        if self.caller.role in HANDLERS:
            for handling in self._handlings(customer_id):
                if access(self.caller, handling, self.now, self.grace).opened:
                    return access(self.caller, handling, self.now, self.grace)
                seen.append(handling)
        grants = NO_GRANTS if self.caller.role is Role.CUSTOMER else self.grants(customer_id)
        return access_any(self.caller, seen, customer_id, self.now, self.grace, grants)

    def _handlings(self, customer_id: UUID) -> Iterator[Handling]:
        """The customer's complaints and orders as the indexes list them, newest first (none
        while an index is not installed yet)."""
        wanted = str(customer_id)
        try:
            complaints = complaint_index(self.views, customer_id=wanted, limit=ENTITIES_CHECKED)
            orders = order_index(self.views, customer_id=wanted, limit=ENTITIES_CHECKED)
        except LookupError as error:
            if type(error) is not LookupError:
                raise
            return
        for row in complaints.rows:
            yield complaint_handling(self.ledger.load(Complaint, UUID(row.complaint_id)))
        for order in orders.rows:
            yield order_handling(self.ledger.load(Order, UUID(order.order_id)))

    def survey(self, survey: Survey) -> Access:
        """Access to a survey's comment: as to what it asks about."""
        kind = Complaint if survey.subject is SurveySubject.COMPLAINT else Order
        try:
            subject: Any = self.ledger.load(kind, survey.subject_id)
        except NotFoundError:
            return self.of(Handling(survey.customer_id, frozenset(), frozenset(), None))
        return self.of(_handling(subject))

    def aggregate(self, aggregate: CareAggregate) -> Access | None:
        """Access to the personal data of any entity of a customer's (None: not one)."""
        if isinstance(aggregate, Complaint | Order):
            return self.of(_handling(aggregate))
        if isinstance(aggregate, Customer):
            return self.customer(aggregate.id)
        if isinstance(aggregate, Survey):
            return self.survey(aggregate)
        return None

    def _entity(self, entity_id: UUID) -> Access | None:
        """Access to the personal data of `entity_id` if it is a customer's entity (None: not
        one, or no such entity)."""
        if entity_id not in self._entities:
            try:
                aggregate = self.ledger.load(CareAggregate, entity_id)
            except NotFoundError:
                self._entities[entity_id] = None
            else:
                self._kinds[entity_id] = type(aggregate).__name__
                self._owners[entity_id] = _owner(aggregate)
                self._entities[entity_id] = self.aggregate(aggregate)
        return self._entities[entity_id]

    def entity(self, entity_id: UUID, sealed: Sealed) -> Access:
        """Access to a value sealed in an event of `entity_id` (under the key its `subject`
        names): as to that entity if it is a customer's, else as to the customer's record."""
        found = self._entity(entity_id)
        if found is not None:
            return found
        try:
            return self.customer(UUID(sealed.subject))
        except ValueError:  # under a key of something else (a webhook endpoint's)
            return Access(reason=SealedReason.ROLE)

    def unsealed(self, entity_id: UUID, words: Unsealed, field: str) -> Any:
        """Words an event of `entity_id` holds in plain text (recorded before they were
        sealed), read as a sealed value there would be: opened (and noted) for who may read
        the entity's personal data, "[erased]" once its customer was erased, else `{sealed:
        true}`. On an entity of no customer's they read as they always did."""
        found = self._entity(entity_id)
        owner = self._owners.get(entity_id)
        if found is None or owner is None:
            return words.text
        if found.basis is None:
            return SEALED_VALUE
        subject = str(owner)
        if self.ledger.vault.keys.key_for(subject) is None:
            return ERASED
        self.note(subject, self._kinds.get(entity_id, "unknown"), entity_id, field, found.basis)
        return words.text

    def reveal(self, entity_id: UUID) -> Callable[[Sealed | Unsealed, str], Any]:
        """Opens a value sealed in the field of an event of `entity_id` if the caller may read
        it, noting it; else `{sealed: true}`. Words recorded unsealed read as `unsealed`."""

        def open_or_seal(sealed: Sealed | Unsealed, field: str) -> Any:
            if isinstance(sealed, Unsealed):
                return self.unsealed(entity_id, sealed, field)
            found = self.entity(entity_id, sealed)
            if found.basis is None:
                return SEALED_VALUE
            plaintext = self.ledger.vault.open(sealed)
            if plaintext != ERASED:
                kind = self._kinds.get(entity_id, "unknown")
                self.note(sealed.subject, kind, entity_id, field, found.basis)
            return plaintext

        return open_or_seal


def _owner(aggregate: CareAggregate) -> UUID | None:
    if isinstance(aggregate, Customer):
        return aggregate.id
    owner = getattr(aggregate, "customer_id", None)
    return owner if isinstance(owner, UUID) else None


def _handling(aggregate: Complaint | Order) -> Handling:
    if isinstance(aggregate, Complaint):
        return complaint_handling(aggregate)
    return order_handling(aggregate)


def need_to_know(info: Info) -> NeedToKnow:
    """The request's checker, made on first use."""
    context = info.context
    checker = context.notes.get("need_to_know")
    if checker is None or datetime.now(UTC) - checker.now > FRESH_FOR:
        services = context.services
        grace = timedelta(seconds=services.settings.access_grace_s)
        made = NeedToKnow(services.ledger, services.views, context.caller, grace)
        if checker is not None:  # a subscription's: judged again, its openings kept
            made.carry_over(checker)
        checker = context.notes["need_to_know"] = made
    assert isinstance(checker, NeedToKnow)
    return checker


async def access_of(info: Info, handling: Handling) -> Access:
    return await info.context.call(need_to_know(info).of, handling)


@dataclass(frozen=True)
class Field:
    """Where a sealed value sits: the entity's type and id, and the field's name."""

    entity: str
    entity_id: UUID
    name: str


async def open_if_allowed(
    info: Info, handling: Handling, sealed: Sealed | None, where: Field
) -> str | None:
    """The field opened, if need-to-know lets the caller read it; else "[sealed]"."""
    return await open_for(info, await access_of(info, handling), sealed, where)


async def open_recorded(
    info: Info, handling: Handling, value: Sealed | Unsealed | str | None, where: Field
) -> str | None:
    """A free-text field of a customer's entity, opened as `open_if_allowed` opens it. Text
    recorded before the field was sealed is plain: it opens only as the sealed one would,
    and reads "[erased]" once the customer's key is destroyed. None (nothing recorded) is
    None for anyone."""
    if value is None:
        return None
    if isinstance(value, Sealed):
        return await open_if_allowed(info, handling, value, where)
    text = value.text if isinstance(value, Unsealed) else value
    found = await access_of(info, handling)
    if found.basis is None:
        return SEALED
    subject = str(handling.customer_id)
    keys = info.context.services.ledger.vault.keys
    if await info.context.call(keys.key_for, subject) is None:
        return ERASED
    need_to_know(info).note(subject, where.entity, where.entity_id, where.name, found.basis)
    return text


async def open_for(info: Info, found: Access, sealed: Sealed | None, where: Field) -> str | None:
    """The value opened (and noted for the request's record), or "[sealed]"."""
    if found.basis is None:
        return SEALED
    vault = info.context.services.ledger.vault
    plaintext = await info.context.call(vault.open_optional, sealed)
    if sealed is not None and plaintext != ERASED:
        checker = need_to_know(info)
        checker.note(sealed.subject, where.entity, where.entity_id, where.name, found.basis)
    return plaintext
