"""Surveys after 40 % of deliveries and after every closed complaint: 72 % of customers answer
(a little fewer within the day: an answer due after 23:00 falls outside it), with scores that
follow how the order or the complaint went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from demo import cast
from demo.draw import Draw
from demo.facts import CustomerFacts
from demo.plan import Plan, Story
from demo.world import SURVEY_VIA
from domain.survey import DIMENSIONS, Scores

RESPONSE_RATE = 0.72
MOODS = {
    "good": ((5, 45), (4, 33), (3, 13), (2, 6), (1, 3)),
    "late": ((5, 12), (4, 28), (3, 32), (2, 17), (1, 11)),
    "helped": ((5, 35), (4, 40), (3, 15), (2, 7), (1, 3)),
    "disputed": ((5, 8), (4, 27), (3, 32), (2, 20), (1, 13)),
}
NUDGE = ((-1, 15), (0, 70), (1, 15))
COMMENTS = {
    "good": ("Fast and still hot, thanks!", "Great as always.", "Courier was very polite."),
    "late": ("Took far too long.", "Food was cold by the time it came.", "ETA kept changing."),
    "helped": ("The agent sorted it out quickly.", "Refund arrived, thank you."),
    "disputed": ("Had to complain twice.", "Solved in the end, but slowly."),
}


@dataclass(frozen=True)
class Subject:
    kind: str  # order | complaint
    key: str
    customer: CustomerFacts
    after: datetime  # delivered, or the complaint closed
    mood: str
    correlation: str


def plan_surveys(plan: Plan, draw: Draw, subjects: list[Subject]) -> None:
    answering = set(map(id, draw.sample(subjects, round(RESPONSE_RATE * len(subjects)))))
    for subject in subjects:
        plan_survey(plan, draw, subject, id(subject) in answering)


def plan_survey(plan: Plan, draw: Draw, subject: Subject, answers: bool) -> None:
    story = Story(plan, subject.after, subject.correlation)
    key, customer, via = f"survey:{subject.key}", subject.customer.key, draw.weighted(SURVEY_VIA)
    kind, about = subject.kind, subject.key
    story.then(
        draw.minutes(20, 0.5, 5, 90),
        cast.SURVEYS,
        f"send_survey {key}",
        lambda x, m: x.app.send_survey(m, x[customer], kind, x[about], via),
        creates=key,
    )
    if not answers:
        return
    given = scores(draw, subject.mood, late=subject.mood == "late")
    comment = draw.pick(COMMENTS[subject.mood]) if draw.chance(0.25) else None
    story.then(
        draw.minutes(25, 0.8, 2, 240),
        subject.customer.actor,
        f"respond {key}",
        lambda x, m: x.app.respond_to_survey(m, x[key], given, comment),
        channel=via,
    )


def scores(draw: Draw, mood: str, late: bool = False) -> Scores:
    base = draw.weighted(MOODS[mood])
    values = {d: min(5, max(1, base + draw.weighted(NUDGE))) for d in DIMENSIONS}
    if late:
        values["response_speed"] = max(1, values["response_speed"] - 1)
    return Scores(**values)
