"""SLA policies and calendars over GraphQL: admins define them, staff list them
(docs/architecture.md#sla-clocks)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.outcomes import Written, answer
from api.graphql.problems import Conflict, Forbidden, RuleViolated, ValidationFailed
from application.handling import Outcome
from domain.calendar import WorkCalendar, WorkingSpan
from domain.calendars import china_official_days
from domain.errors import InvalidInputError
from domain.sla import SLA_POLICY_V1, SlaPolicy
from domain.sla_book import PolicyRule, SlaBook
from domain.sla_explain import ClockStep, ClockStory

YEARS_MAX = 20


@strawberry.type(description="Working time on one weekday (0 Monday), local wall time HH:MM")
class SlaWorkingHours:
    weekday: int
    start: str
    end: str


@strawberry.type(description="A version of a working calendar; `always` is 24/7")
class SlaCalendar:
    name: str
    version: int
    zone: str
    basis: str = strawberry.field(description="calendar (24/7) or working time")
    hours: list[SlaWorkingHours]
    holidays: list[str]
    workdays: list[str] = strawberry.field(description="Make-up working days")
    makeup_weekday: int
    effective_at: datetime | None

    @classmethod
    def of(cls, c: WorkCalendar) -> SlaCalendar:
        hours = [
            SlaWorkingHours(weekday=s.weekday, start=_hhmm(s.start_min), end=_hhmm(s.end_min))
            for s in c.spans
        ]
        return cls(
            name=c.name,
            version=c.version,
            zone=c.zone,
            basis=c.basis,
            hours=hours,
            holidays=list(c.holidays),
            workdays=list(c.workdays),
            makeup_weekday=c.makeup_weekday,
            effective_at=c.effective_at,
        )


@strawberry.type(description="Which calendar a clock of the policy counts its target on")
class SlaClockCalendar:
    clock: str
    calendar: str


@strawberry.type(description="A version of an SLA policy; targets in seconds")
class SlaPolicyVersion:
    name: str
    version: int
    first_response_seconds: int
    registration_seconds: int
    resolution_urgent_seconds: int
    resolution_major_seconds: int
    resolution_general_seconds: int
    technical_handback_seconds: int
    after_sales_handback_seconds: int
    warn_percent: int
    calendars: list[SlaClockCalendar] = strawberry.field(description="Others run 24/7")
    effective_at: datetime | None

    @classmethod
    def of(cls, p: SlaPolicy) -> SlaPolicyVersion:
        return cls(
            name=p.name,
            version=p.version,
            first_response_seconds=p.first_response_s,
            registration_seconds=p.registration_s,
            resolution_urgent_seconds=p.resolution_s["urgent"],
            resolution_major_seconds=p.resolution_s["major"],
            resolution_general_seconds=p.resolution_s["general"],
            technical_handback_seconds=p.technical_handback_s,
            after_sales_handback_seconds=p.after_sales_handback_s,
            warn_percent=p.warn_percent,
            calendars=[SlaClockCalendar(clock=str(k), calendar=v) for k, v in p.calendars.items()],
            effective_at=p.effective_at,
        )


@strawberry.type(description="Chooses `policy` for complaints matching every field it names")
class SlaPolicyRule:
    policy: str
    category: str | None
    severity: str | None
    channel: str | None
    tier: str | None


@strawberry.type(description="A rule set; the first matching rule wins, none means standard")
class SlaPolicyRules:
    version: int
    rules: list[SlaPolicyRule]
    effective_at: datetime | None


@strawberry.type(description="Every version of every SLA policy and calendar, and the rules")
class SlaCatalogView:
    policies: list[SlaPolicyVersion]
    calendars: list[SlaCalendar]
    rules: list[SlaPolicyRules]

    @classmethod
    def of(cls, book: SlaBook) -> SlaCatalogView:
        return cls(
            policies=[SlaPolicyVersion.of(p) for p in book.policies],
            calendars=[SlaCalendar.of(c) for c in book.calendars],
            rules=[
                SlaPolicyRules(
                    version=r.version,
                    rules=[
                        SlaPolicyRule(
                            policy=x.policy,
                            category=x.category,
                            severity=x.severity,
                            channel=x.channel,
                            tier=x.tier,
                        )
                        for x in r.rules
                    ],
                    effective_at=r.effective_at,
                )
                for r in book.rule_sets
            ],
        )


@strawberry.type(description="One step of a clock: what happened, why, and where it stood")
class SlaClockStep:
    step: str = strawberry.field(
        description="started, paused, resumed, retargeted, policy reapplied, warning, breached,"
        " met, cancelled or stopped late"
    )
    at: datetime
    event: str = strawberry.field(description="The recorded event that caused it")
    version: int = strawberry.field(description="That event's version of the complaint")
    command_id: str
    actor: str = strawberry.field(description="kind:id of who issued the command")
    policy: str
    policy_version: int
    calendar: str
    calendar_version: int
    target_seconds: int
    due_at: datetime
    elapsed_seconds: int = strawberry.field(description="Working time run, pauses left out")
    remaining_seconds: int = strawberry.field(description="Negative: past due by this much")

    @classmethod
    def of(cls, s: ClockStep) -> SlaClockStep:
        return cls(
            step=s.step,
            at=s.at,
            event=s.event,
            version=s.version,
            command_id=s.command_id,
            actor=s.actor,
            policy=s.policy,
            policy_version=s.policy_version,
            calendar=s.calendar,
            calendar_version=s.calendar_version,
            target_seconds=s.target_s,
            due_at=s.due_at,
            elapsed_seconds=s.elapsed_s,
            remaining_seconds=s.remaining_s,
        )


@strawberry.type(description="One SLA clock of a complaint, step by step")
class SlaClockExplanation:
    clock: str
    steps: list[SlaClockStep]
    why: str = strawberry.field(description="How its due time is made up, in plain words")

    @classmethod
    def of(cls, story: ClockStory) -> SlaClockExplanation:
        return cls(
            clock=story.clock, steps=[SlaClockStep.of(s) for s in story.steps], why=story.why
        )


@strawberry.type
class SlaCatalogChanged:
    catalog: SlaCatalogView
    written: Written


SlaCatalogResult = Annotated[
    SlaCatalogChanged | ValidationFailed | RuleViolated | Conflict | Forbidden,
    strawberry.union("SlaCatalogResult"),
]


@strawberry.input
class SlaWorkingHoursInput:
    weekday: int = strawberry.field(description="0 Monday to 6 Sunday")
    start: str = strawberry.field(description="HH:MM, local wall time")
    end: str = strawberry.field(description="HH:MM, up to 24:00")


@strawberry.input(description="A working calendar: its hours, holidays and make-up days")
class SlaCalendarInput:
    name: str
    zone: str = strawberry.field(description="An IANA time zone, e.g. Asia/Shanghai")
    hours: list[SlaWorkingHoursInput]
    holidays: list[str] = strawberry.field(default_factory=list, description="YYYY-MM-DD")
    workdays: list[str] = strawberry.field(default_factory=list, description="Make-up days")
    makeup_weekday: int = strawberry.field(default=0, description="Whose hours they keep")
    china_official_years: list[int] = strawberry.field(
        default_factory=list,
        description="Add mainland China's official holidays and make-up days of these years",
    )


@strawberry.input
class DefineSlaCalendarInput(CommandInput, SlaCalendarInput):
    pass


@strawberry.input
class SlaClockCalendarInput:
    clock: str = strawberry.field(description="e.g. after_sales_handback")
    calendar: str


@strawberry.input(description="An SLA policy: targets in seconds, the calendar of each clock")
class SlaPolicyInput:
    name: str
    first_response_seconds: int = SLA_POLICY_V1.first_response_s
    registration_seconds: int = SLA_POLICY_V1.registration_s
    resolution_urgent_seconds: int = SLA_POLICY_V1.resolution_s["urgent"]
    resolution_major_seconds: int = SLA_POLICY_V1.resolution_s["major"]
    resolution_general_seconds: int = SLA_POLICY_V1.resolution_s["general"]
    technical_handback_seconds: int = SLA_POLICY_V1.technical_handback_s
    after_sales_handback_seconds: int = SLA_POLICY_V1.after_sales_handback_s
    warn_percent: int = SLA_POLICY_V1.warn_percent
    calendars: list[SlaClockCalendarInput] = strawberry.field(default_factory=list)


@strawberry.input
class DefineSlaPolicyInput(CommandInput, SlaPolicyInput):
    pass


@strawberry.input
class SlaPolicyRuleInput:
    policy: str
    category: str | None = None
    severity: str | None = None
    channel: str | None = None
    tier: str | None = None


@strawberry.input
class SetSlaPolicyRulesInput(CommandInput):
    rules: list[SlaPolicyRuleInput]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(field: str, text: str) -> int:
    hh, _, mm = text.partition(":")
    if not (hh.isdigit() and mm.isdigit() and len(mm) == 2 and int(mm) < 60):
        raise InvalidInputError(field, f"{text!r} is not HH:MM")
    return int(hh) * 60 + int(mm)


def calendar_of(input: SlaCalendarInput) -> WorkCalendar:
    spans = tuple(
        WorkingSpan(h.weekday, _minutes("hours.start", h.start), _minutes("hours.end", h.end))
        for h in input.hours
    )
    holidays, workdays = list(input.holidays), list(input.workdays)
    if input.china_official_years:
        if len(input.china_official_years) > YEARS_MAX or any(
            not 1990 <= y <= 2100 for y in input.china_official_years
        ):
            raise InvalidInputError("chinaOfficialYears", f"up to {YEARS_MAX} years, 1990-2100")
        off, worked = china_official_days(input.china_official_years)
        holidays += [d for d in off if d not in holidays]
        workdays += [d for d in worked if d not in workdays]
    return WorkCalendar(
        name=input.name,
        zone=input.zone,
        spans=spans,
        holidays=tuple(sorted(holidays)),
        workdays=tuple(sorted(workdays)),
        makeup_weekday=input.makeup_weekday,
    )


def policy_of(input: SlaPolicyInput) -> SlaPolicy:
    return SlaPolicy(
        version=0,
        first_response_s=input.first_response_seconds,
        registration_s=input.registration_seconds,
        resolution_s={
            "urgent": input.resolution_urgent_seconds,
            "major": input.resolution_major_seconds,
            "general": input.resolution_general_seconds,
        },
        technical_handback_s=input.technical_handback_seconds,
        after_sales_handback_s=input.after_sales_handback_seconds,
        warn_percent=input.warn_percent,
        name=input.name,
        calendars={c.clock: c.calendar for c in input.calendars},
    )


def rules_of(input: SetSlaPolicyRulesInput) -> list[PolicyRule]:
    return [PolicyRule(r.policy, r.category, r.severity, r.channel, r.tier) for r in input.rules]


async def _catalog_after(info: Info, outcome: Outcome) -> SlaCatalogChanged:
    book = await info.context.call(info.context.services.ledger.sla_book)
    return SlaCatalogChanged(catalog=SlaCatalogView.of(book), written=Written.of(outcome))


@strawberry.type
class SlaMutations:
    @strawberry.mutation(description="Record a new version of a working calendar")
    async def define_sla_calendar(
        self, info: Info, input: DefineSlaCalendarInput
    ) -> SlaCatalogResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("defineSlaCalendar")
            ledger = context.services.ledger
            calendar = calendar_of(input)
            outcome = await context.run(ledger.define_sla_calendar, context.meta(input), calendar)
            return await _catalog_after(info, outcome)

        return await answer(attempt)

    @strawberry.mutation(description="Record a new policy version: for clocks started after it")
    async def define_sla_policy(self, info: Info, input: DefineSlaPolicyInput) -> SlaCatalogResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("defineSlaPolicy")
            ledger = context.services.ledger
            policy = policy_of(input)
            outcome = await context.run(ledger.define_sla_policy, context.meta(input), policy)
            return await _catalog_after(info, outcome)

        return await answer(attempt)

    @strawberry.mutation(description="Replace the rules that choose a policy for new clocks")
    async def set_sla_policy_rules(
        self, info: Info, input: SetSlaPolicyRulesInput
    ) -> SlaCatalogResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("setSlaPolicyRules")
            ledger = context.services.ledger
            rules = rules_of(input)
            outcome = await context.run(ledger.set_sla_policy_rules, context.meta(input), rules)
            return await _catalog_after(info, outcome)

        return await answer(attempt)


@strawberry.type
class SlaQueries:
    @strawberry.field(description="Every version of every SLA policy and calendar, and the rules")
    async def sla_catalog(self, info: Info) -> SlaCatalogView:
        context = info.context
        context.authorize("slaCatalog")
        return SlaCatalogView.of(await context.call(context.services.ledger.sla_book))

    @strawberry.field(description="Each SLA clock of a complaint: every step, with its cause")
    async def complaint_sla_explain(
        self, info: Info, id: strawberry.ID
    ) -> list[SlaClockExplanation]:
        context = info.context
        context.authorize("complaintSlaExplain")
        ledger = context.services.ledger
        stories = await context.call(ledger.explain_complaint_sla, parse_id("id", id))
        return [SlaClockExplanation.of(s) for s in stories]
