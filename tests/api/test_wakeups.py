"""The wake-ups of one API process: a wait for a view's position is woken by the view's own move
(told in this process, or NOTIFYed by another), reads again soon when it heard the move but
does not see it yet, and falls back to polling while the LISTEN is away."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import psycopg
import pytest

from api.graphql.live import LiveFeed
from api.graphql.wakeups import APPLICATION_NAME, FALLBACK_S, POLL_S, Wakeups, until_set
from application.app import CareLedger
from application.settings import Settings
from projections.engine.progress import Moved
from projections.engine.runner import Runner
from projections.engine.store import PostgresViewStore, SQLiteViewStore, ViewStore, open_view_store
from tests.projections.surveys_by_channel import SurveysByChannel, send_surveys

VIEW = SurveysByChannel.name
WOKEN_WITHIN_S = 10.0  # only a bound on a hang: the checks are on what woke the waiter


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.01)


def test_a_waiter_is_woken_by_a_move_that_reaches_it_not_by_one_short_of_it(
    tmp_path: Path,
) -> None:
    store = SQLiteViewStore(tmp_path / "views.db")

    async def body() -> None:
        wakeups = Wakeups(store, "events", listen=True)
        with wakeups.waiter(["a", "b"], 10) as waiter:
            # given a wait for two views at 10, when one moves to 9, then nothing wakes it
            wakeups.moved([Moved("a", 1, 9), Moved("c", 1, 50)])
            assert not waiter.woken and waiter.heard == set()
            assert wakeups.period(waiter, ["a", "b"]) == FALLBACK_S
            # when it moves to 10, then the waiter is woken and knows which view got there
            wakeups.moved([Moved("a", 1, 10)])
            assert waiter.woken and waiter.heard == {"a"}
            await asyncio.wait_for(waiter.sleep(WOKEN_WITHIN_S), WOKEN_WITHIN_S / 2)
            assert not waiter.woken
            # and a view heard but still read behind (a standby) is read again soon
            assert wakeups.period(waiter, ["a"]) == POLL_S
            assert wakeups.period(waiter, ["b"]) == FALLBACK_S
        # a finished wait is not woken any more
        wakeups.moved([Moved("b", 1, 10)])
        assert waiter.heard == {"a"}
        await wakeups.stop()

    try:
        asyncio.run(body())
    finally:
        store.close()


def test_with_wake_ups_off_every_wait_polls(tmp_path: Path) -> None:
    store = SQLiteViewStore(tmp_path / "views.db")

    async def body() -> None:
        wakeups = Wakeups(store, "events", listen=False)
        with wakeups.waiter(["a"], 10) as waiter:
            assert not wakeups.listening
            assert wakeups.period(waiter, ["a"]) == POLL_S
        await wakeups.stop()

    try:
        asyncio.run(body())
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_follower_in_this_process_wakes_the_wait_through_the_store(
    app: CareLedger, views: ViewStore
) -> None:
    runner = Runner(app, views, SurveysByChannel())
    send_surveys(app, ["sms"])
    head = app.recorder.max_notification_id() or 0

    async def body() -> None:
        wakeups = Wakeups(views, "events", listen=True)
        assert wakeups.listening  # the followers are in this process
        with wakeups.waiter([VIEW], head) as waiter:
            # when the follower's batch lands on its own thread
            await asyncio.to_thread(runner.catch_up)
            # then the wait is woken by the move, long before its fallback read
            await asyncio.wait_for(waiter.sleep(WOKEN_WITHIN_S), WOKEN_WITHIN_S / 2)
            assert waiter.heard == {VIEW}
        await wakeups.stop()

    asyncio.run(body())


def other_process_store(settings: Settings) -> ViewStore:
    """A second store on the same views: its moves reach the first only as NOTIFYs."""
    return open_view_store(settings)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_move_made_elsewhere_wakes_the_wait_by_notify(
    app: CareLedger, views: ViewStore, settings: Settings
) -> None:
    elsewhere = other_process_store(settings)
    runner = Runner(app, elsewhere, SurveysByChannel())
    send_surveys(app, ["sms"])
    head = app.recorder.max_notification_id() or 0

    async def body() -> None:
        wakeups = Wakeups(views, "events", listen=True)
        await until(lambda: wakeups.listening)
        with wakeups.waiter([VIEW], head) as waiter:
            await asyncio.to_thread(runner.catch_up)
            await asyncio.wait_for(waiter.sleep(WOKEN_WITHIN_S), WOKEN_WITHIN_S / 2)
            assert waiter.heard == {VIEW}  # heard on the channel: nothing else names the view
        await wakeups.stop()

    try:
        asyncio.run(body())
    finally:
        elsewhere.close()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_lost_listen_is_polled_through_and_then_listened_again(
    app: CareLedger, views: ViewStore, settings: Settings
) -> None:
    assert isinstance(views, PostgresViewStore)
    elsewhere = other_process_store(settings)
    runner = Runner(app, elsewhere, SurveysByChannel())

    def kill_the_listen() -> int:
        with psycopg.connect(views.listen_conninfo, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (APPLICATION_NAME,),
            ).fetchone()
        return int(killed[0]) if killed else 0

    async def body() -> None:
        wakeups = Wakeups(views, "events", listen=True)
        await until(lambda: wakeups.listening)
        with wakeups.waiter([VIEW], 1) as waiter:
            # when the LISTEN session is killed, then the wait is woken to poll meanwhile
            assert await asyncio.to_thread(kill_the_listen) >= 1
            await asyncio.wait_for(waiter.sleep(WOKEN_WITHIN_S), WOKEN_WITHIN_S / 2)
            assert waiter.heard == set()
        # and once it listens again, a move made elsewhere wakes a wait by its NOTIFY
        await until(lambda: wakeups.listening)
        send_surveys(app, ["app"])
        head = app.recorder.max_notification_id() or 0
        with wakeups.waiter([VIEW], head) as waiter:
            await asyncio.to_thread(runner.catch_up)
            await asyncio.wait_for(waiter.sleep(WOKEN_WITHIN_S), WOKEN_WITHIN_S / 2)
            assert waiter.heard == {VIEW}
        await wakeups.stop()

    try:
        asyncio.run(body())
    finally:
        elsewhere.close()


def test_a_wait_cancelled_as_its_event_is_set_ends_cancelled() -> None:
    # asyncio.wait_for on Python 3.11 returned normally here (CPython gh-86296): a shutdown's
    # cancellation was lost and the live feed's loop ran on, holding the shutdown for ever
    async def body() -> None:
        event = asyncio.Event()
        task = asyncio.create_task(until_set(event, 10.0))
        await asyncio.sleep(0)  # waiting now
        event.set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(body())


class LosesOneCancellation:
    """Wake-ups whose wait swallows the first cancellation, as a lost one would look."""

    def __init__(self) -> None:
        self.lost = 0

    async def log_grew(self) -> None:
        try:
            await asyncio.Event().wait()  # the log never grows
        except asyncio.CancelledError:
            self.lost += 1
            if self.lost > 1:
                raise


def test_the_live_feed_stops_though_its_cancellation_is_lost() -> None:
    ledger = SimpleNamespace(recorder=SimpleNamespace(max_notification_id=lambda: 0))
    wake = LosesOneCancellation()
    feed = LiveFeed(cast(Any, ledger), cast(Any, wake))

    async def body() -> None:
        async with feed.subscription():
            assert feed.subscribers == 1
        await asyncio.sleep(0.05)  # the feed's loop is running
        # when the service stops it and the cancellation is lost, then it stops all the same
        await asyncio.wait_for(feed.stop(), WOKEN_WITHIN_S)
        assert wake.lost == 1
        with pytest.raises(RuntimeError, match="shutting down"):
            async with feed.subscription():
                pass

    asyncio.run(body())
