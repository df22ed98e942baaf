from __future__ import annotations

from datetime import timedelta

from application.app import CareLedger
from domain.survey import Scores
from projections.satisfaction import SatisfactionProjection, satisfaction
from projections.store import ViewStore
from tests.application.builders import customer
from tests.projections.conftest import Project
from tests.support import CUSTOMER, T0, hours, meta, minutes


def test_satisfaction_counts_each_dimension_and_the_share_of_fours_and_fives(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given four surveys sent at 09:00: answered at 09:10, 09:40 and 10:10, one expired at 11:30
    customer_id = customer(app)
    sent = [
        app.send_survey(meta(T0), customer_id, "order", customer_id, "sms").aggregate_id
        for _ in range(4)
    ]
    answers = [Scores(5, 4, 3, 2, 1), Scores(4, 4, 4, 4, 4), Scores(1, 5, 5, 5, 2)]
    for i, (survey_id, scores) in enumerate(zip(sent, answers, strict=False)):
        app.respond_to_survey(meta(minutes(10 + 30 * i), actor=CUSTOMER), survey_id, scores)
    app.expire_survey(meta(hours(2.5)), sent[3])
    # and one more sent the next day, outside the window
    app.send_survey(meta(T0 + timedelta(days=1)), customer_id, "order", customer_id, "app")
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
