"""slaWhatIf: the recorded complaints of a window replayed under a proposed SLA policy, beside
what was recorded (docs/architecture.md#sla-what-if). It writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from api.graphql.consistency import read_at
from api.graphql.context import Info
from api.graphql.dashboard_types import ClockShare, Durations, LabelCount, clock_shares, counts
from api.graphql.dashboards import AtPosition, From, To, window
from api.graphql.problems import FieldProblem, ValidationFailed, field_path
from api.graphql.sla import SlaCalendarInput, SlaPolicyInput, calendar_of, policy_of
from domain.errors import InvalidInputError
from domain.sla import ClockName
from domain.sla_proposal import proposal, under
from domain.sla_replay import Proposal
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import ComplaintDashboardProjection, complaint_dashboard
from projections.views.sla_timeline import SlaTimelineProjection
from projections.views.sla_whatif import (
    CHANGES_MAX,
    OutcomeChange,
    SlaFigures,
    WhatIf,
    sla_what_if,
)

CALENDARS_MAX = 20
VIEWS = [SlaTimelineProjection.name, ComplaintDashboardProjection.name]


@strawberry.type(description="The complaint dashboard's SLA figures of a window")
class SlaFiguresView:
    sla_met: list[LabelCount] = strawberry.field(description="By clock")
    sla_breached: list[LabelCount] = strawberry.field(description="By clock")
    sla_warnings: list[LabelCount] = strawberry.field(description="By clock")
    sla_met_share: list[ClockShare]
    first_response_time: Durations
    resolution_time: Durations

    @classmethod
    def of(cls, f: SlaFigures) -> SlaFiguresView:
        return cls(
            sla_met=counts(f.sla_met, ClockName),
            sla_breached=counts(f.sla_breached, ClockName),
            sla_warnings=counts(f.sla_warnings, ClockName),
            sla_met_share=clock_shares(f),
            first_response_time=Durations.of(f.first_response_time),
            resolution_time=Durations.of(f.resolution_time),
        )


@strawberry.type(description="A clock whose outcome would change, settled in the window")
class SlaOutcomeChange:
    complaint_id: strawberry.ID
    clock: str
    started_at: datetime
    recorded: str = strawberry.field(description="met, breached, cancelled or running")
    recorded_at: datetime | None = strawberry.field(description="When it was met or breached")
    proposed: str = strawberry.field(description="met, breached, cancelled or running")
    proposed_at: datetime | None
    proposed_due_at: datetime

    @classmethod
    def of(cls, c: OutcomeChange) -> SlaOutcomeChange:
        run = c.run
        return cls(
            complaint_id=strawberry.ID(c.complaint_id),
            clock=run.clock,
            started_at=run.started_at,
            recorded=run.recorded,
            recorded_at=run.recorded_at,
            proposed=run.proposed,
            proposed_at=run.proposed_at,
            proposed_due_at=run.due_at,
        )


@strawberry.type(description="A window replayed under a proposed policy, beside the record")
class SlaWhatIf:
    window_start: datetime
    window_end: datetime
    complaints_replayed: int
    recorded: SlaFiguresView = strawberry.field(description="The complaint dashboard's figures")
    proposed: SlaFiguresView = strawberry.field(description="The same under the proposal")
    complaints_changed: int = strawberry.field(description="Complaints with a changed outcome")
    changes: list[SlaOutcomeChange] = strawberry.field(
        description="Their clocks, for the first `limit` complaints by id"
    )

    @classmethod
    def of(cls, recorded: SlaFigures, w: WhatIf) -> SlaWhatIf:
        return cls(
            window_start=w.window_start,
            window_end=w.window_end,
            complaints_replayed=w.replayed,
            recorded=SlaFiguresView.of(recorded),
            proposed=SlaFiguresView.of(w.proposed),
            complaints_changed=w.changed,
            changes=[SlaOutcomeChange.of(c) for c in w.changes],
        )


SlaWhatIfResult = Annotated[SlaWhatIf | ValidationFailed, strawberry.union("SlaWhatIfResult")]


def recorded_and_replayed(
    store: ViewStore, start: datetime, end: datetime, proposed: Proposal, limit: int
) -> tuple[SlaFigures, WhatIf]:
    now = datetime.now(UTC)  # no sweeper has recorded anything later; the waiting are aged now
    recorded = SlaFigures.of(complaint_dashboard(store, start, end, as_of=now))
    return recorded, sla_what_if(store, start, end, proposed, limit, now)


@strawberry.type
class SlaWhatIfQueries:
    @strawberry.field(
        description="Replay the window's complaints under a proposed policy, writing nothing"
    )
    async def sla_what_if(
        self,
        info: Info,
        policy: SlaPolicyInput,
        from_: From,
        to: To,
        calendars: list[SlaCalendarInput] | None = None,
        limit: int = 100,
        at_position: AtPosition = None,
    ) -> SlaWhatIfResult:
        context = info.context
        context.authorize("slaWhatIf")
        try:
            start, end = window(from_, to)
            if not 0 <= limit <= CHANGES_MAX:
                raise InvalidInputError("limit", f"must be 0 to {CHANGES_MAX}")
            proposed = calendars or []
            if len(proposed) > CALENDARS_MAX:
                raise InvalidInputError("calendars", f"at most {CALENDARS_MAX} calendars")
            book = await context.call(context.services.ledger.sla_book)
            tried_calendars = [
                under(f"calendars[{i}]", calendar_of, c) for i, c in enumerate(proposed)
            ]
            tried = proposal(book, under("policy", policy_of, policy), tried_calendars)
            recorded, replayed = await read_at(
                context, VIEWS, at_position, recorded_and_replayed, start, end, tried, limit
            )
        except InvalidInputError as error:
            return invalid(error)
        return SlaWhatIf.of(recorded, replayed)


def invalid(error: InvalidInputError) -> ValidationFailed:
    """The problem, its path naming the query's own arguments (policy, calendars, from, to)."""
    path = field_path(error.field)[1:]
    problem = FieldProblem(path=path, message=error.message)
    return ValidationFailed(code=error.code, message=str(error), problems=[problem])
