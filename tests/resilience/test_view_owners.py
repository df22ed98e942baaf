"""One owner per view per process: the embedded service never races itself for a position."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.embedded import EmbeddedWorkers
from application.settings import Settings
from policies.loop import PolicyLoop
from projections.engine.runner import Runner
from projections.views.notices import NoticesProjection
from projections.views.order_index import OrderIndexProjection
from tests.application.builders import customer, order
from tests.backends import MASTER_KEY
from tests.support import CUSTOMER, meta


def test_embedded_followers_leave_the_policy_and_notice_views_to_their_owners(
    tmp_path: Path,
) -> None:
    app = create_app(Settings(data_dir=tmp_path, master_key=MASTER_KEY))
    services = app.state.services
    workers = EmbeddedWorkers(services.ledger, services.views)
    followed = {f.projection.name for f in workers.followers.followers}
    owned = {*PolicyLoop.views, NoticesProjection.name}
    assert followed.isdisjoint(owned)
    assert followed | owned == {p.name for p in workers.chosen}
    workers.notifier.close()
    services.views.close()
    services.ledger.close()


def test_a_run_of_writes_logs_no_position_race(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with TestClient(create_app(Settings(data_dir=tmp_path, master_key=MASTER_KEY))) as client:
        ledger = client.app.state.services.ledger  # type: ignore[attr-defined]
        # Orders and complaints feed both policy views while the followers run.
        for _ in range(30):
            someone = customer(ledger)
            placed = order(ledger, someone)
            ledger.file_complaint(
                meta(actor=CUSTOMER),
                customer_id=someone,
                order_id=placed,
                content="cold food",
                channel="app",
            )
            time.sleep(0.02)
        time.sleep(1.5)  # the followers and the policy loop catch up
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "PositionMovedError" not in logged
    assert "no longer at" not in logged
    assert not [r for r in caplog.records if r.exc_info]


def test_a_lost_race_with_another_runner_is_one_info_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, master_key=MASTER_KEY)
    app = create_app(settings)
    ledger, views = app.state.services.ledger, app.state.services.views
    ours = Runner(ledger, views, OrderIndexProjection())
    theirs = Runner(ledger, views, OrderIndexProjection())
    order(ledger, customer(ledger))
    ours.where()  # ours remembers the position the other is about to move
    theirs.catch_up()
    caplog.set_level(logging.INFO)
    # Ours loses the compare-and-set, says so in one line, and carries on from where theirs is.
    result = ours.run_batch()
    assert result.events == 0 and result.position == theirs.where()[1]
    lines = [r for r in caplog.records if r.name == "projections.engine.runner"]
    assert [r.levelno for r in lines] == [logging.INFO]
    assert "no longer at" in lines[0].getMessage() and lines[0].exc_info is None
    views.close()
    ledger.close()
