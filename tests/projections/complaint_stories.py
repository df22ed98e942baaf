"""The scripted hours of tests/projections/complaint_hours.py told complaint by complaint, as
their commands make them (not from the view's code), and the figures a slice of them should
show, recomputed from those stories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from application.app import CareLedger
from domain.survey import Scores, SurveySubject, survey_id_for
from projections.views.complaint_dashboard import ComplaintDashboard
from tests.projections.complaint_hours import at, run_scenario
from tests.support import CUSTOMER, meta

Time = tuple[int, int]


@dataclass(frozen=True)
class Story:
    """One complaint of tests/projections/complaint_hours.py as its commands tell it, with its
    labels as they end (C2 ends in quality, food_safety)."""

    channel: str
    category: str | None
    department: str | None
    agent: str | None
    received: Time
    answered: Time | None
    resolved: tuple[Time, ...] = ()
    sla: tuple[tuple[str, str, Time], ...] = ()  # clock, met | breached, when
    escalated: tuple[Time, ...] = ()
    scores: tuple[Time, tuple[int, ...]] | None = None  # its survey's answer
    region: str | None = None  # of the order it is about (None: about no order)


FR, REG, RES = "first_response", "registration", "resolution"
STORIES = {
    "c0": Story(
        "phone",
        "logistics",
        "logistics",
        "p0",
        (8, 30),
        (8, 31),
        ((9, 30),),
        ((FR, "met", (8, 31)), (REG, "met", (8, 40)), (RES, "met", (9, 30))),
        region="chaoyang",
    ),
    "c1": Story(
        "app",
        "product_quality",
        "quality",
        "p1",
        (9, 5),
        (9, 6),
        ((9, 35), (10, 25)),
        ((FR, "met", (9, 6)), (REG, "met", (9, 10)), (RES, "met", (9, 35)), (RES, "met", (10, 25))),
        scores=((10, 50), (5, 4, 2, 3, 4)),
        region="haidian",
    ),
    "c2": Story(
        "phone",
        "food_safety",
        "quality",
        "p2",
        (9, 10),
        (9, 20),
        (),
        ((FR, "breached", (9, 20)), (REG, "met", (9, 30))),
        ((9, 20),),
        region="chaoyang",
    ),
    "c3": Story(
        "email",
        "service_attitude",
        "customer_service",
        "p3",
        (9, 30),
        (9, 45),
        ((10, 40),),
        ((FR, "breached", (9, 40)), (REG, "met", (9, 50)), (RES, "met", (10, 40))),
        ((9, 40),),
    ),
    "c4": Story(
        "web",
        "after_sales",
        "after_sales",
        "p4",
        (9, 50),
        (9, 52),
        (),
        ((FR, "met", (9, 52)), (REG, "met", (9, 55)), ("after_sales_handback", "met", (10, 15))),
        region="haidian",
    ),
    "c5": Story(
        "chat",
        "privacy",
        "technical",
        "p5",
        (10, 0),
        (10, 1),
        (),
        ((FR, "met", (10, 1)), (REG, "met", (10, 5)), ("technical_handback", "breached", (11, 15))),
        ((10, 5), (10, 30), (11, 15)),
        region="xicheng",
    ),
    "c6": Story(
        "sms",
        "product_quality",
        "merchant_relations",
        "p6",
        (10, 20),
        (10, 21),
        ((10, 45),),
        ((FR, "met", (10, 21)), (REG, "met", (10, 25)), (RES, "met", (10, 45))),
        region="chaoyang",
    ),
    "c7": Story("api", None, None, None, (10, 40), None),
}


def seconds(t: Time) -> int:
    return t[0] * 3600 + t[1] * 60


def nearest_rank(values: list[int], percent: int) -> float | None:
    ranked = sorted(values)
    return float(ranked[max(1, -(-percent * len(ranked) // 100)) - 1]) if ranked else None


@dataclass
class Expected:
    """A slice's figures recomputed from its stories over the hours [start, end)."""

    received: int = 0
    first_response: list[int] = field(default_factory=list)
    unanswered: int = 0
    resolution: list[int] = field(default_factory=list)
    complaints_resolved: int = 0
    met: dict[str, int] = field(default_factory=dict)
    breached: dict[str, int] = field(default_factory=dict)
    escalations: int = 0
    scores: list[int] = field(default_factory=list)

    def add(self, story: Story, start: int, end: int) -> None:
        def inside(t: Time) -> bool:
            return start <= seconds(t) < end

        received = seconds(story.received)
        if inside(story.received):
            self.received += 1
            if story.answered is None or seconds(story.answered) >= end:
                # unanswered at the window's end (these windows all ended before now)
                self.first_response.append(end - received)
                self.unanswered += story.answered is None
        if story.answered is not None and inside(story.answered):
            self.first_response.append(seconds(story.answered) - received)
        resolutions = [seconds(t) - received for t in story.resolved if inside(t)]
        self.resolution += resolutions
        self.complaints_resolved += bool(resolutions)
        for clock, result, when in story.sla:
            if inside(when):
                book = self.met if result == "met" else self.breached
                book[clock] = book.get(clock, 0) + 1
        self.escalations += sum(1 for t in story.escalated if inside(t))
        if story.scores is not None and inside(story.scores[0]):
            self.scores += story.scores[1]

    def check(self, board: ComplaintDashboard) -> None:
        assert board.received == self.received
        fr = board.first_response_time
        assert (fr.count, fr.unanswered) == (len(self.first_response), self.unanswered)
        for measured, durations in (
            (fr, self.first_response),
            (board.resolution_time, self.resolution),
        ):
            assert measured.count == len(durations)
            assert (measured.p50, measured.p90, measured.p99) == tuple(
                nearest_rank(durations, p) for p in (50, 90, 99)
            )
            assert measured.mean == (sum(durations) / len(durations) if durations else None)
        assert board.resolutions == len(self.resolution)
        assert board.complaints_resolved == self.complaints_resolved
        assert (board.sla_met, board.sla_breached) == (self.met, self.breached)
        clocks = self.met.keys() | self.breached.keys()
        assert board.sla_met_share == {
            c: self.met.get(c, 0) / (self.met.get(c, 0) + self.breached.get(c, 0)) for c in clocks
        }
        assert board.escalations == self.escalations
        satisfied = sum(1 for s in self.scores if s >= 4)
        assert board.csat == (satisfied / len(self.scores) if self.scores else None)


def expected_by(
    by: str, start: datetime, end: datetime, only: dict[str, str] | None = None
) -> dict[str, Expected]:
    """Per value of `by`, the figures of the stories with that value and every value of `only`."""
    slices: dict[str, Expected] = {}
    first, last = seconds((start.hour, 0)), seconds((end.hour, 0))
    for story in STORIES.values():
        if any(getattr(story, s) != v for s, v in (only or {}).items()):
            continue
        value = getattr(story, by)
        if value is not None:
            slices.setdefault(value, Expected()).add(story, first, last)
    return slices


def record(app: CareLedger) -> None:
    """The scripted hours, and C1's customer answering its survey at 10:50."""
    ids = run_scenario(app, [STORIES[f"c{n}"].region for n in range(8)])
    app.send_survey(meta(at(10, 45)), ids["customer"], "complaint", ids["c1"], "sms")
    survey = survey_id_for(SurveySubject.COMPLAINT, ids["c1"])
    app.respond_to_survey(meta(at(10, 50), actor=CUSTOMER), survey, Scores(5, 4, 2, 3, 4))


WINDOWS = [
    (at(9, 0), at(10, 0)),
    (at(9, 0), at(11, 0)),
    (at(10, 0), at(11, 0)),
    (at(8, 0), at(12, 0)),
]


def merged(a: Expected, b: Expected) -> Expected:
    """Two slices' figures together, as one dashboard over both would count them."""
    return Expected(
        a.received + b.received,
        a.first_response + b.first_response,
        a.unanswered + b.unanswered,
        a.resolution + b.resolution,
        a.complaints_resolved + b.complaints_resolved,
        {c: a.met.get(c, 0) + b.met.get(c, 0) for c in a.met | b.met},
        {c: a.breached.get(c, 0) + b.breached.get(c, 0) for c in a.breached | b.breached},
        a.escalations + b.escalations,
        a.scores + b.scores,
    )
