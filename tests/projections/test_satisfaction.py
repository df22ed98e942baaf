from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from application.app import CareLedger
from domain.errors import InvalidInputError
from domain.survey import Scores
from projections.engine.store import Row, ViewStore
from projections.views.satisfaction import (
    SatisfactionProjection,
    checked_survey_filter,
    satisfaction,
)
from tests.application.builders import customer, order_survey
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.desk import Desk
from tests.support import CUSTOMER, T0, hours, meta, minutes

D0 = datetime(2026, 11, 23, tzinfo=UTC)


def test_satisfaction_counts_each_dimension_and_the_share_of_fours_and_fives(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given four surveys sent at 09:00: answered at 09:10, 09:40 and 10:10, one expired at 11:30
    customer_id = customer(app)
    sent = [order_survey(app, customer_id, T0) for _ in range(4)]
    answers = [Scores(5, 4, 3, 2, 1), Scores(4, 4, 4, 4, 4), Scores(1, 5, 5, 5, 2)]
    for i, (survey_id, scores) in enumerate(zip(sent, answers, strict=False)):
        app.respond_to_survey(meta(minutes(10 + 30 * i), actor=CUSTOMER), survey_id, scores)
    app.expire_survey(meta(hours(2.5)), sent[3])
    # and one more sent the next day, outside the window
    order_survey(app, customer_id, T0 + timedelta(days=1), "app")
    # when the projection catches up
    project(SatisfactionProjection())
    # then the window 09:00-12:00 shows exactly the morning's figures
    report = satisfaction(views, T0, T0 + hours(3))
    assert (report.sent, report.responded, report.expired) == (4, 3, 1)
    assert report.response_rate == 0.75
    by_dimension = {d.dimension: d for d in report.dimensions}
    assert by_dimension["product_quality"].distribution == {1: 1, 2: 0, 3: 0, 4: 1, 5: 1}
    assert by_dimension["product_quality"].csat == 2 / 3
    assert by_dimension["service_attitude"].csat == 1.0
    assert by_dimension["problem_solving"].distribution == {1: 1, 2: 1, 3: 0, 4: 1, 5: 0}
    assert by_dimension["problem_solving"].csat == 1 / 3
    # and a window of only the first hour sees the sends and the first two answers
    first_hour = satisfaction(views, T0, T0 + hours(1))
    assert (first_hour.sent, first_hour.responded, first_hour.expired) == (4, 2, 0)
    # and the whole two days count five surveys sent
    assert satisfaction(views, T0, T0 + timedelta(days=2)).sent == 5


def on(day: int, hh: int, mm: int) -> datetime:
    return D0 + timedelta(days=day, hours=hh, minutes=mm)


def survey_days(app: CareLedger) -> None:
    """Surveys from D0 21:00 to D3 02:00, answered and expired on other days than sent."""
    customer_id = customer(app)

    def send(when: datetime) -> UUID:
        return order_survey(app, customer_id, when)

    send(on(0, 21, 0))  # X, before the window
    a, b, c, d = send(on(0, 22, 0)), send(on(1, 12, 0)), send(on(2, 23, 0)), send(on(3, 1, 0))
    app.respond_to_survey(meta(on(1, 1, 0), actor=CUSTOMER), a, Scores(5, 4, 3, 2, 1))
    app.respond_to_survey(meta(on(2, 12, 0), actor=CUSTOMER), b, Scores(4, 4, 4, 4, 4))
    app.respond_to_survey(meta(on(3, 1, 30), actor=CUSTOMER), c, Scores(1, 5, 5, 5, 2))
    app.expire_survey(meta(on(3, 1, 45)), d)
    send(on(3, 2, 0))  # E, after the window


def test_a_window_of_days_reads_whole_days_and_the_hours_at_its_edges(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given surveys over four days
    survey_days(app)
    project(SatisfactionProjection())
    # when the window is D0 22:00 to D3 02:00: 2 hours, the whole days D1 and D2, 2 hours
    report = satisfaction(views, on(0, 22, 0), on(3, 2, 0))
    # then A (D0 22:00), B (D1), C (D2) and D (D3 01:00) were sent; A (D1), B (D2) and
    # C (D3 01:30) answered; D expired (D3 01:45)
    assert (report.sent, report.responded, report.expired) == (4, 3, 1)
    by_dimension = {d.dimension: d for d in report.dimensions}
    assert by_dimension["product_quality"].distribution == {1: 1, 2: 0, 3: 0, 4: 1, 5: 1}
    assert by_dimension["problem_solving"].distribution == {1: 1, 2: 1, 3: 0, 4: 1, 5: 0}
    # and the whole days D1-D2 alone: B and C sent, A and B answered
    days = satisfaction(views, on(1, 0, 0), on(3, 0, 0))
    assert (days.sent, days.responded, days.expired) == (2, 2, 0)
    assert {d.dimension: d for d in days.dimensions}["product_quality"].distribution == {
        1: 0,
        2: 0,
        3: 0,
        4: 1,
        5: 1,
    }
    # and D1 12:00 to D3 00:00 (12 hours and D2): B and C sent, B answered
    edges = satisfaction(views, on(1, 12, 0), on(3, 0, 0))
    assert (edges.sent, edges.responded, edges.expired) == (2, 1, 0)


def test_daily_tables_are_the_hourly_ones_summed_and_do_not_depend_on_batches(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given surveys over four days, projected in batches of 1000 and rebuilt one event a batch
    survey_days(app)
    project(SatisfactionProjection())
    live, rebuilt = live_and_rebuilt(app, views, SatisfactionProjection(), batch_size=1)
    # then both generations hold the same rows
    assert live == rebuilt
    # and each daily table holds its hourly table summed by UTC day
    for table, keys in (("counts", (1,)), ("scores", (1, 2))):
        summed: dict[tuple[object, ...], int] = {}
        for row in live[table]:
            key = (int(row[0]) // 86_400 * 86_400, *(row[k] for k in keys))
            summed[key] = summed.get(key, 0) + int(row[-1])
        assert sorted((*k, n) for k, n in summed.items()) == numbers(live[f"{table}_daily"])
    # and D1 holds A's answer and B's sending (order surveys by sms), overall and per
    # channel and subject
    day1 = int(on(1, 0, 0).timestamp())
    assert [r for r in numbers(live["counts_daily"]) if r[0] == day1] == [
        (day1, "responded", 1),
        (day1, "responded/subject/order", 1),
        (day1, "responded/via/sms", 1),
        (day1, "sent", 1),
        (day1, "sent/subject/order", 1),
        (day1, "sent/via/sms", 1),
    ]


def numbers(rows: list[Row]) -> list[Row]:
    return sorted(tuple(v if isinstance(v, str) else int(v) for v in row) for row in rows)


def test_the_response_rate_is_kept_per_channel_and_subject(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given five surveys sent at 09:00: three about orders (sms, sms, email), two about
    # complaints (app, sms); answered: an order's sms at 09:20, the complaint's app at 10:30;
    # the order's email expired at 11:00; the next day's sms is outside the window
    desk = Desk(app)
    customer_id = desk.customer
    sms, _, email = (order_survey(app, customer_id, T0, via) for via in ("sms", "sms", "email"))
    about = [desk.file(T0, "app"), desk.file(T0, "app")]
    app_survey, _ = (
        app.send_survey(meta(T0), customer_id, "complaint", c, via).aggregate_id
        for c, via in zip(about, ("app", "sms"), strict=True)
    )
    app.respond_to_survey(meta(minutes(20), actor=CUSTOMER), sms, Scores(4, 4, 4, 4, 4))
    app.respond_to_survey(meta(minutes(90), actor=CUSTOMER), app_survey, Scores(5, 5, 5, 5, 5))
    app.expire_survey(meta(hours(2)), email)
    order_survey(app, customer_id, T0 + timedelta(days=1), "sms")
    # when projected one event per batch
    project(SatisfactionProjection(), batch_size=1)
    report = satisfaction(views, T0, T0 + hours(3))
    # then each channel and each subject has its own sent, answered, expired and rate
    assert {via: tuple(vars(c).values()) for via, c in report.by_via.items()} == {
        "app": (1, 1, 0),
        "email": (1, 0, 1),
        "sms": (3, 1, 0),
    }
    assert report.by_via["sms"].response_rate == 1 / 3
    assert {s: tuple(vars(c).values()) for s, c in report.by_subject.items()} == {
        "complaint": (2, 1, 0),
        "order": (3, 1, 1),
    }
    assert (report.by_subject["complaint"].response_rate, report.response_rate) == (0.5, 2 / 5)
    # and 10:00-11:00 holds only the app survey's answer: answered, none sent, no rate
    ten = satisfaction(views, T0 + hours(1), T0 + hours(2))
    assert ten.by_via["app"].responded == 1 and ten.by_via["app"].response_rate is None
    assert set(ten.by_via) == {"app"}
    # and a rebuild gives the same rows
    live, rebuilt = live_and_rebuilt(app, views, SatisfactionProjection(), batch_size=1000)
    assert live == rebuilt


def test_filters_by_channel_and_subject_combine(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given five surveys sent at 09:00: about orders by sms (answered 09:20, all 4s), sms and
    # email (expired 11:00); about complaints by app (answered 10:30, all 5s) and sms
    desk = Desk(app)
    customer_id = desk.customer
    sms, _, email = (order_survey(app, customer_id, T0, via) for via in ("sms", "sms", "email"))
    about = [desk.file(T0, "app"), desk.file(T0, "app")]
    app_survey, _ = (
        app.send_survey(meta(T0), customer_id, "complaint", c, via).aggregate_id
        for c, via in zip(about, ("app", "sms"), strict=True)
    )
    app.respond_to_survey(meta(minutes(20), actor=CUSTOMER), sms, Scores(4, 4, 4, 4, 4))
    app.respond_to_survey(meta(minutes(90), actor=CUSTOMER), app_survey, Scores(5, 5, 5, 5, 5))
    app.expire_survey(meta(hours(2)), email)
    project(SatisfactionProjection(), batch_size=1)
    window = (T0, T0 + hours(3))

    def figures(only: dict[str, str]) -> tuple[int, int, int, dict[int, int]]:
        found = satisfaction(views, *window, only)
        (quality,) = (d for d in found.dimensions if d.dimension == "product_quality")
        return found.sent, found.responded, found.expired, quality.distribution

    none = dict.fromkeys(range(1, 6), 0)
    # then sms and orders together: two sent, the one answered with 4s
    assert figures({"via": "sms", "subject": "order"}) == (2, 1, 0, {**none, 4: 1})
    # and sms alone adds the complaint survey sent by sms, unanswered
    assert figures({"via": "sms"}) == (3, 1, 0, {**none, 4: 1})
    # and complaints: two sent, the app one answered with 5s
    assert figures({"subject": "complaint"}) == (2, 1, 0, {**none, 5: 1})
    # and email about complaints: none
    assert figures({"via": "email", "subject": "complaint"}) == (0, 0, 0, none)
    # and a filtered report's breakdowns hold its surveys alone
    assert set(satisfaction(views, *window, {"via": "sms"}).by_subject) == {"order", "complaint"}
    # and a channel surveys are not sent by, or a filter of nothing, is refused
    for bad, message in (
        ({"via": "pigeon"}, "'pigeon' is not one of"),
        ({"subject": "incident"}, "'incident' is not one of"),
        ({"region": "east"}, "no filter 'region'"),
        ({}, "set at least one of via, subject"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            checked_survey_filter(bad)
