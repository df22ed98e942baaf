"""The audit trail by entity, actor or correlation id, and the check of its hash chain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, cast
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from api.graphql.access import NeedToKnow, need_to_know
from api.graphql.consistency import read_at
from api.graphql.context import Info, parse_id
from api.graphql.dashboards import AtPosition
from api.graphql.history import ActorView
from api.graphql.lists import After, First
from api.graphql.paging import DEFAULT_PAGE, Connection, connection, decode_cursor, page_size
from api.need_to_know import SEALED
from application.app import CareLedger
from domain.errors import InvalidInputError
from domain.values import Sealed, Unsealed
from projections.engine.store import ViewStore
from projections.views import audit_trail
from projections.views.audit_trail import (
    AuditEntry,
    AuditTrailProjection,
    reason_text,
    reveal_fields,
)
from projections.views.audit_verify import (
    Anchor,
    VerificationReport,
    WalkBoundsError,
    format_report,
    parse_anchor,
    verify,
)

Opened = tuple[AuditEntry, dict[str, Any], str | None]  # the entry, its data, its reason's words
MAX_VERIFIED = 100_000  # events one call recomputes at most

ChainAnchor = Annotated[
    str | None,
    strawberry.argument(
        description="A head kept from an earlier check (`anchor`): the log up to its position"
        " must still hash to it. Give it again to each call until one passes its position"
    ),
]
ResumeAfter = Annotated[
    str | None,
    strawberry.argument(
        description="Go on where an earlier call stopped: its `resumeAfter` (or a kept"
        " `anchor`, to check only what came since)"
    ),
]
Limit = Annotated[
    int,
    strawberry.argument(description=f"Events to verify at most in this call, 1 to {MAX_VERIFIED}"),
]


@strawberry.type(name="AuditEntry", description="One recorded event with who, when, why and how")
class AuditEntryView:
    position: int = strawberry.field(description="The event's place in the log")
    entity_type: str
    entity_id: str
    version: int
    event: str
    actor: ActorView
    command_id: str
    correlation_id: str
    causation_id: str | None
    channel: str | None
    reason_code: str | None
    reason_text: str | None = strawberry.field(
        description='Personal data: the reason in words, "[sealed]" unless the caller needs to'
        ' know the entity\'s personal data, "[erased]" once the customer was erased'
    )
    occurred_at: datetime = strawberry.field(description="Business time")
    recorded_at: datetime
    data: JSON = strawberry.field(
        description="The event's own fields; personal data as `{sealed: true}` unless the"
        " caller may read it"
    )

    @classmethod
    def of(cls, entry: AuditEntry, data: dict[str, Any], reason: str | None) -> AuditEntryView:
        return cls(
            position=entry.position,
            entity_type=entry.entity_type,
            entity_id=entry.entity_id,
            version=entry.version,
            event=entry.event,
            actor=ActorView(kind=entry.actor_kind, id=entry.actor_id, role=entry.actor_role),
            command_id=entry.command_id,
            correlation_id=entry.correlation_id,
            causation_id=entry.causation_id,
            channel=entry.channel,
            reason_code=entry.reason_code,
            reason_text=reason,
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            data=cast(JSON, data),
        )


@strawberry.type(description="Where the log and its hash chain first part ways")
class ChainProblem:
    position: int
    kind: str = strawberry.field(description="altered | deleted | inserted | reordered")
    detail: str
    originator_id: str | None
    originator_version: int | None


@strawberry.type(description="The hash chain recomputed beside the log, or a stretch of it")
class AuditVerification:
    ok: bool = strawberry.field(description="Nothing wrong found in the stretch walked")
    complete: bool = strawberry.field(
        description="The walk reached the end of the log and found nothing wrong"
    )
    checked: int = strawberry.field(
        description="Events whose link was recomputed and matched, in this call"
    )
    through: int = strawberry.field(description="The last position this call verified")
    resume_after: str | None = strawberry.field(
        description="Set when the call stopped at its limit: pass it as `after` to go on"
    )
    head_position: int
    head_link: str
    unchained: int = strawberry.field(description="Newer events not chained yet, in this call")
    problem: ChainProblem | None
    anchor: str | None = strawberry.field(
        description="Once a walk is complete: keep it apart; pass it back to a later check"
    )
    report: str = strawberry.field(description="The same report `careledger audit verify` prints")

    @classmethod
    def of(cls, r: VerificationReport) -> AuditVerification:
        p = r.problem
        problem = (
            None
            if p is None
            else ChainProblem(
                position=p.position,
                kind=p.kind,
                detail=p.detail,
                originator_id=p.originator_id,
                originator_version=p.originator_version,
            )
        )
        return cls(
            ok=r.ok,
            complete=r.complete,
            checked=r.checked,
            through=r.through,
            resume_after=None if r.resume is None else str(r.resume),
            head_position=r.head_position,
            head_link=r.head_link,
            unchained=r.unchained,
            problem=problem,
            anchor=str(r.anchor) if r.complete else None,
            report=format_report(r),
        )


def trail_page(
    store: ViewStore,
    ledger: CareLedger,
    by: str,
    value: str,
    after: int | None,
    limit: int,
    checker: NeedToKnow,
) -> tuple[list[Opened], bool]:
    """One page of the trail, each entry with its data opened for who needs to know it (as to
    the entity the event belongs to) or sealed, and whether more follow (in the thread pool:
    opening reads keys and aggregates)."""
    if by == "entity":
        page = audit_trail.entity_history(store, value, after_version=after, limit=limit)
    elif by == "actor":
        page = audit_trail.actor_history(store, value, after_position=after, limit=limit)
    else:
        page = audit_trail.correlation_history(store, value, after_position=after, limit=limit)
    opened = [_opened(entry, checker.reveal(UUID(entry.entity_id))) for entry in page.entries]
    return opened, page.after is not None


def _opened(entry: AuditEntry, reveal: Callable[[Sealed | Unsealed, str], Any]) -> Opened:
    words = reason_text(entry, lambda sealed: reveal(sealed, "reason_text"))
    reason = words if words is None or isinstance(words, str) else SEALED
    return entry, reveal_fields(entry, reveal), reason


def _one_subject(
    entity_id: strawberry.ID | None, actor_id: str | None, correlation_id: str | None
) -> tuple[str, str]:
    given = [
        (by, v)
        for by, v in (("entity", entity_id), ("actor", actor_id), ("correlation", correlation_id))
        if v is not None
    ]
    if len(given) != 1:
        raise InvalidInputError(
            "entityId", "give exactly one of `entityId`, `actorId`, `correlationId`"
        )
    by, value = given[0]
    return by, str(parse_id("entityId", value)) if by == "entity" else str(value)


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="Every event of an entity (in version order), of an actor or of a"
        " correlation id (in log order), with metadata; not for customers"
    )
    async def audit_trail(
        self,
        info: Info,
        entity_id: strawberry.ID | None = None,
        actor_id: str | None = None,
        correlation_id: str | None = None,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[AuditEntryView]:
        info.context.authorize("auditTrail")
        by, value = _one_subject(entity_id, actor_id, correlation_id)
        kind = f"audit-{by}"
        key = decode_cursor(kind, after, (int,))
        opened, more = await read_at(
            info.context,
            [AuditTrailProjection.name],
            at_position,
            trail_page,
            info.context.services.ledger,
            by,
            value,
            None if key is None else int(key[0]),
            page_size(first),
            need_to_know(info),
        )
        return connection(
            kind,
            opened,
            more=more,
            after=key is not None,
            key=lambda pair: (pair[0].version if by == "entity" else pair[0].position,),
            node=lambda pair: AuditEntryView.of(*pair),
        )

    @strawberry.field(
        description="Recompute the log's hash chain, at most `limit` events a call; a longer log"
        " is walked in calls that each go on `after` the last; compliance officers only"
    )
    async def verify_audit_chain(
        self,
        info: Info,
        anchor: ChainAnchor = None,
        after: ResumeAfter = None,
        limit: Limit = MAX_VERIFIED,
    ) -> AuditVerification:
        info.context.authorize("verifyAuditChain")
        expected, resume = _anchor("anchor", anchor), _anchor("after", after)
        if not 1 <= limit <= MAX_VERIFIED:
            raise InvalidInputError("limit", f"`limit` must be between 1 and {MAX_VERIFIED}")
        services = info.context.services
        try:
            report = await info.context.call(
                verify, services.ledger, services.views, anchor=expected, after=resume, limit=limit
            )
        except WalkBoundsError as error:
            raise InvalidInputError(error.field, f"`{error.field}`: {error}") from None
        except LookupError as error:
            if type(error) is not LookupError:
                raise
            raise GraphQLError(str(error), extensions={"code": "VIEW_NOT_READY"}) from None
        return AuditVerification.of(report)


def _anchor(name: str, text: str | None) -> Anchor | None:
    try:
        return None if text is None else parse_anchor(text)
    except ValueError as error:
        raise InvalidInputError(name, f"`{name}`: {error}") from None
