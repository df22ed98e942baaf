from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from application.app import CareLedger
from application.settings import Settings
from projections.engine import tracking
from projections.engine.follower import Followers
from projections.engine.runner import Runner
from projections.engine.store import Tx, ViewStore, open_view_store
from testing.postgres_server import PostgresServer
from tests.backends import MASTER_KEY
from tests.projections.surveys_by_channel import SurveysByChannel, counts, send_surveys


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Polls until the check holds; the view may not even exist yet at the first look."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception as error:  # the follower may not have created its tables yet
            last = repr(error)
        else:
            last = "check was false"
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in time: {last}")
        time.sleep(0.02)


def test_a_follower_catches_up_then_projects_new_events_as_they_come(
    app: CareLedger, views: ViewStore
) -> None:
    # given events recorded before the follower starts
    send_surveys(app, ["sms", "sms"])
    followers = Followers(app, views, [SurveysByChannel()], poll_interval=0.02).start()
    try:
        eventually(lambda: counts(views, SurveysByChannel()) == {"sms": 2})
        # when more arrive while it runs, then they show up without any call from us
        send_surveys(app, ["app", "sms"])
        eventually(lambda: counts(views, SurveysByChannel()) == {"sms": 3, "app": 1})
    finally:
        followers.stop()


@pytest.mark.postgres
def test_a_follower_survives_a_database_restart_without_being_restarted(tmp_path: Path) -> None:
    # given a server of our own, and a follower projecting from it
    server = PostgresServer().start()
    settings = Settings(
        database_url=server.url,
        db_schema="restart",
        data_dir=tmp_path,
        master_key=MASTER_KEY,
        db_pool_size=4,
    )
    app = CareLedger(settings)
    views = open_view_store(settings)
    followers = Followers(app, views, [SurveysByChannel()]).start()
    try:
        send_surveys(app, ["sms"])
        eventually(lambda: counts(views, SurveysByChannel()) == {"sms": 1})
        # when the database restarts under it (every connection is cut)
        server.restart()
        send_surveys(app, ["app", "app"])
        # then the same follower carries on and projects what came after
        eventually(lambda: counts(views, SurveysByChannel()) == {"sms": 1, "app": 2}, 60)
    finally:
        followers.stop()
        views.close()
        app.close()
        server.stop()


class SurveysByChannelV2(SurveysByChannel):
    """The same view in a later version of the code, which added a table."""

    def tables(self) -> tuple[str, ...]:
        return ("counts", "notes")

    def create_tables(self, tx: Tx, prefix: str) -> None:
        super().create_tables(tx, prefix)
        tx.execute(f"CREATE TABLE {prefix}notes (note TEXT)")


def test_a_view_built_by_older_code_is_rebuilt_before_it_is_followed(
    app: CareLedger, views: ViewStore
) -> None:
    # given the view built and current by the code of its first version
    send_surveys(app, ["sms", "app", "sms"])
    Runner(app, views, SurveysByChannel()).catch_up()
    # when the code of its second version follows it
    followers = Followers(app, views, [SurveysByChannelV2()], poll_interval=0.02).start()
    try:
        # then it is rebuilt into a new generation with every table, the figures unchanged
        eventually(lambda: active(views) == 2 and counts(views, SurveysByChannelV2()) == LIVE)
        send_surveys(app, ["app"])
        eventually(lambda: counts(views, SurveysByChannelV2()) == {"sms": 2, "app": 2})
    finally:
        followers.stop()
    with views.transaction() as tx:
        assert not tracking.outdated(tx, SurveysByChannelV2())
        assert tx.has_table("surveys_by_channel_g2_notes")
        assert not tx.has_table("surveys_by_channel_g1_counts")


LIVE = {"sms": 2, "app": 1}


def active(views: ViewStore) -> int | None:
    with views.transaction() as tx:
        return tracking.active_generation(tx, SurveysByChannel.name)
