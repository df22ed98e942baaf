"""A view's moves are told once committed: in this process to the store's `progress`, to
other processes by a NOTIFY on the schema's views channel sent by the move itself."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.progress import Moved, views_channel
from projections.engine.runner import Runner
from projections.engine.store import PostgresViewStore, ViewStore
from tests.projections.surveys_by_channel import SurveysByChannel, send_surveys


def test_a_batch_tells_its_move_once_committed_and_a_rolled_back_one_nothing(
    app: CareLedger, views: ViewStore
) -> None:
    # given a listener on the store, and a view installed at 0
    heard: list[Moved] = []
    stop = views.progress.listen(heard.extend)
    runner = Runner(app, views, SurveysByChannel())
    generation = runner.generation()
    # when a move is rolled back, then nobody hears of it
    with pytest.raises(RuntimeError), views.transaction() as tx:
        tracking.advance(tx, SurveysByChannel.name, generation, 0, 5)
        raise RuntimeError("rolled back")
    assert heard == []
    # when a batch lands, then its move is heard with the position it reached
    send_surveys(app, ["sms", "app"])
    runner.catch_up()
    head = app.recorder.max_notification_id()
    assert heard == [Moved(SurveysByChannel.name, generation, head or 0)]
    # and a stopped listener hears no more
    stop()
    send_surveys(app, ["sms"])
    runner.catch_up()
    assert len(heard) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_move_is_notified_on_the_views_channel_at_its_commit_only(
    app: CareLedger, views: ViewStore
) -> None:
    # given a session listening on the schema's views channel
    assert isinstance(views, PostgresViewStore)
    runner = Runner(app, views, SurveysByChannel())
    generation = runner.generation()
    with psycopg.connect(views.listen_conninfo, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(views_channel(views.schema))))
        # when a move is rolled back, and then a batch lands
        with pytest.raises(RuntimeError), views.transaction() as tx:
            tracking.advance(tx, SurveysByChannel.name, generation, 0, 5)
            raise RuntimeError("rolled back")
        send_surveys(app, ["sms"])
        runner.catch_up()
        heard = [n.payload for n in listener.notifies(timeout=2.0, stop_after=1)]
        heard += [n.payload for n in listener.notifies(timeout=0.2)]
    # then only the landed move was announced, with its position, generation and view
    head = app.recorder.max_notification_id() or 0
    assert [Moved.parse(p) for p in heard] == [Moved(SurveysByChannel.name, generation, head)]


def test_a_payload_reads_back_and_anything_else_reads_as_none() -> None:
    move = Moved("complaint_dashboard", 3, 1234)
    assert Moved.parse(move.payload()) == move
    stretch = Moved("complaint dashboard", 3, 1234, held=False)
    assert Moved.parse(stretch.payload()) == stretch
    assert Moved.parse("12 3 2 complaint_dashboard") is None
    assert Moved.parse("") is None
    assert Moved.parse("12 x complaint_dashboard") is None
    assert Moved.parse("12 3") is None
    assert Moved.parse("12 3 1") is None


def test_the_channel_fits_postgres_even_for_a_long_schema_name() -> None:
    assert views_channel("bench_live") == "careledger_views_bench_live"
    long = views_channel("é" * 40)
    assert len(long.encode()) <= 63
    assert long.startswith("careledger_views_é")
