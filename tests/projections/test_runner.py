from __future__ import annotations

import gc
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.projection import Envelope
from projections.engine.rebuild import collector_paused, grouped, rebuild
from projections.engine.runner import Runner
from projections.engine.status import view_status
from projections.engine.store import ViewStore
from projections.views.satisfaction import SatisfactionProjection, satisfaction
from tests.application.builders import customer, order, order_survey
from tests.projections.surveys_by_channel import SurveysByChannel, counts, send_surveys
from tests.support import T0, meta


def test_a_runner_stopped_midway_resumes_without_counting_twice_or_missing(
    app: CareLedger, views: ViewStore
) -> None:
    # given 20 surveys, and a runner that handles two batches of 3 and stops
    send_surveys(app, ["sms"] * 12 + ["app"] * 8)
    first = Runner(app, views, SurveysByChannel(), batch_size=3)
    first.run_batch()
    first.run_batch()
    assert counts(views, SurveysByChannel()) == {"sms": 6}
    # when a new runner (a restart) catches up
    Runner(app, views, SurveysByChannel(), batch_size=7).catch_up()
    # then every survey is counted exactly once
    assert counts(views, SurveysByChannel()) == {"sms": 12, "app": 8}


def test_two_runners_racing_on_one_projection_count_each_event_once(
    app: CareLedger, views: ViewStore
) -> None:
    send_surveys(app, ["sms", "app"] * 30)
    runners = [Runner(app, views, SurveysByChannel(), batch_size=4) for _ in range(2)]
    threads = [threading.Thread(target=r.catch_up) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts(views, SurveysByChannel()) == {"sms": 30, "app": 30}


def test_a_runner_reads_its_place_once_then_only_applies(
    app: CareLedger, views: ViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given five surveys, and a runner watched for the view-store transactions it opens
    send_surveys(app, ["sms"] * 5)
    runner = Runner(app, views, SurveysByChannel(), batch_size=10)
    opened: list[bool] = []
    transaction = views.transaction

    def watched(*, durable: bool = True) -> Any:
        opened.append(durable)
        return transaction(durable=durable)

    monkeypatch.setattr(views, "transaction", watched)
    # when it runs a batch, then finds itself caught up, then runs one more after new events
    runner.run_batch()
    runner.run_batch()
    send_surveys(app, ["app"])
    runner.run_batch()
    # then the first batch read its generation and position together, then applied (not
    # durable); after that the runner knew where it stood: only the applies opened one
    assert opened == [True, False, False]
    assert counts(views, SurveysByChannel()) == {"sms": 5, "app": 1}


def test_an_event_that_keeps_failing_is_parked_and_the_projection_carries_on(
    app: CareLedger, views: ViewStore
) -> None:
    # given five surveys, the third by email, which the view cannot take
    send_surveys(app, ["sms", "app", "email", "sms", "sms"])
    email_position = app.recorder.max_notification_id() or 0
    email_position -= 2
    # when the projection catches up in one batch
    Runner(app, views, SurveysByChannel(), batch_size=100).catch_up()
    # then the others are counted, the email survey is parked with its error, and the
    # position is at the end of the log
    assert counts(views, SurveysByChannel()) == {"sms": 3, "app": 1}
    with views.transaction() as tx:
        letters = tracking.dead_letters(tx, SurveysByChannel.name, 1)
    assert [(d.position, d.topic, d.attempts) for d in letters] == [
        (email_position, "careledger.SurveySent", 3)
    ]
    assert "cannot take email surveys" in letters[0].error
    status = view_status(app, views, SurveysByChannel())
    assert (status.lag_events, status.dead_letters) == (0, 1)
    assert status.position == app.recorder.max_notification_id()


def test_status_shows_the_lag_in_events_and_seconds(app: CareLedger, views: ViewStore) -> None:
    send_surveys(app, ["sms"] * 5)
    runner = Runner(app, views, SurveysByChannel(), batch_size=2)
    runner.run_batch()
    status = view_status(app, views, SurveysByChannel())
    assert status.lag_events == 3
    assert status.lag_seconds >= 0.0
    assert status.head == app.recorder.max_notification_id()


def test_a_rebuild_swaps_in_a_copy_equal_to_the_incremental_build(
    app: CareLedger, views: ViewStore
) -> None:
    # given satisfaction built live, one event per batch, over 12 surveys
    customer_id = customer(app)
    ids = [order_survey(app, customer_id, T0 + timedelta(minutes=i)) for i in range(12)]
    for survey_id in ids[:5]:
        app.expire_survey(meta(T0 + timedelta(hours=1)), survey_id)
    live = Runner(app, views, SatisfactionProjection(), batch_size=1)
    live.catch_up()
    before = satisfaction(views, T0, T0 + timedelta(days=1))
    # when it is rebuilt from the first event in batches of 1000, with progress reported
    seen: list[float] = []
    report = rebuild(
        app,
        views,
        SatisfactionProjection(),
        batch_size=1000,
        on_progress=lambda p: seen.append(p.fraction),
    )
    # then the new generation serves, with figures equal to the incremental build
    assert (report.old_generation, report.new_generation) == (1, 2)
    assert seen[-1] == 1.0
    assert satisfaction(views, T0, T0 + timedelta(days=1)) == before
    assert (before.sent, before.expired) == (12, 5)
    # and the old generation's tables are gone, and the live runner follows the new one
    with views.transaction() as tx:
        assert tracking.active_generation(tx, "satisfaction") == 2
        rows = tx.all(
            "SELECT generation FROM projection_tracking WHERE projection = ?", ("satisfaction",)
        )
    assert rows == [(2,)]
    order_survey(app, customer_id, T0, "app")
    live.catch_up()
    assert satisfaction(views, T0, T0 + timedelta(days=1)).sent == 13


def test_a_rebuild_in_many_transactions_equals_one_built_event_by_event(
    app: CareLedger, views: ViewStore
) -> None:
    # given 23 surveys, one by email (which the view parks), counted live one event at a time
    send_surveys(app, ["sms", "app"] * 6 + ["email"] + ["sms"] * 10)
    Runner(app, views, SurveysByChannel(), batch_size=1).catch_up()
    live = counts(views, SurveysByChannel())
    # when it is rebuilt reading pages of 2 events, about 5 events per transaction
    report = rebuild(app, views, SurveysByChannel(), batch_size=5, page_size=2)
    # then every event is counted once, the email survey parked again, in the new generation
    assert report.events == 23
    assert counts(views, SurveysByChannel()) == live == {"sms": 16, "app": 6}
    with views.transaction() as tx:
        letters = tracking.dead_letters(tx, SurveysByChannel.name, report.new_generation)
    assert len(letters) == 1
    # and the cyclic garbage collector, paused during the rebuild, is back on
    assert gc.isenabled()


def test_grouped_joins_pages_until_a_transaction_holds_enough_events() -> None:
    # given pages of 2, 2 and 3 events, the last ending at 9 (the log's end, past its events)
    envelopes = [Envelope(p, "careledger.SurveySent", None, None) for p in range(1, 8)]  # type: ignore[arg-type]
    pages = iter([(0, envelopes[0:2], 2), (2, envelopes[2:4], 4), (4, envelopes[4:7], 9)])
    # then transactions of at least 3 events take the first two pages, then the last
    joined = [(start, [e.position for e in batch], end) for start, batch, end in grouped(pages, 3)]
    assert joined == [(0, [1, 2, 3, 4], 4), (4, [5, 6, 7], 9)]
    # and an empty page still moves the position
    assert list(grouped(iter([(5, [], 9)]), 3)) == [(5, [], 9)]


def test_the_collector_comes_back_on_after_a_failure() -> None:
    try:
        with collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("the rebuild failed")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_a_follower_records_a_stretch_of_nothing_for_it_at_most_every_so_often(
    app: CareLedger, views: ViewStore
) -> None:
    # given a runner that may leave unrecorded, for an hour, that events held nothing for it
    customer_id = customer(app)
    send_surveys(app, ["sms"])
    runner = Runner(app, views, SurveysByChannel(), defer_empty_s=3600)
    runner.run_batch()
    recorded = runner.position()
    # when events it does not read are recorded, and it runs
    order_id = order(app, customer_id)
    app.confirm_order(meta(), order_id)
    head = app.recorder.max_notification_id() or 0
    result = runner.run_batch()
    # then it has read past them without writing: the stored position did not move
    assert (result.position, result.caught_up) == (head, True)
    assert runner.position() == recorded and runner.has_skipped
    # and when one of its own events comes, that batch records everything up to it, once
    send_surveys(app, ["app"])
    runner.run_batch()
    assert runner.position() == app.recorder.max_notification_id()
    assert not runner.has_skipped
    assert counts(views, SurveysByChannel()) == {"sms": 1, "app": 1}


def test_a_stretch_of_nothing_is_recorded_once_the_deferral_has_passed(
    app: CareLedger, views: ViewStore
) -> None:
    # given a runner deferring for 50 ms, caught up, then events it does not read
    send_surveys(app, ["sms"])
    runner = Runner(app, views, SurveysByChannel(), defer_empty_s=0.05)
    runner.run_batch()
    order_id = order(app, customer(app))
    head = app.recorder.max_notification_id() or 0
    runner.run_batch()
    assert runner.position() < head
    # when it runs again after the deferral, with nothing new
    time.sleep(0.06)
    runner.run_batch()
    # then the stretch is recorded
    assert runner.position() == head and not runner.has_skipped
    assert order_id
