from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest

from application.app import CareLedger
from delivery.webhook_http import http_post
from delivery.webhooks import WebhookDispatcher, WebhookPolicy
from domain.webhook import EndpointStatus, WebhookEndpoint
from projections.engine.store import ViewStore
from projections.views.webhook_delivery_log import deliveries, endpoint
from tests.application.builders import ADDRESS
from tests.policies.clusters import Kitchens
from tests.support import meta, minutes
from tests.webhooks.hooks import ADMIN, SECRET
from tests.webhooks.receiver import Receiver

FAST = WebhookPolicy(timeout_s=2.0, backoff_s=0.02, backoff_cap_s=0.2, disable_after=50)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET).start()
    try:
        yield server
    finally:
        server.stop()


def register(app: CareLedger, url: str, *types: str) -> UUID:
    return app.register_webhook_endpoint(
        meta(actor=ADMIN), url, list(types or ("OrderReceived",)), SECRET
    ).aggregate_id


def orders(app: CareLedger, n: int) -> list[UUID]:
    kitchens = Kitchens(app)
    return [kitchens.order(minutes(i)) for i in range(n)]


def until(done: Callable[[], bool], dispatcher: WebhookDispatcher, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the dispatcher did not get there in time"
        dispatcher.run_once()
        time.sleep(0.01)


def test_deliveries_are_signed_in_log_order_without_personal_data(
    app: CareLedger, views: ViewStore, receiver: Receiver
) -> None:
    # given orders placed before the endpoint existed, then the endpoint, then three orders
    orders(app, 1)
    endpoint_id = register(app, receiver.url, "OrderReceived", "ComplaintReceived")
    kitchens = Kitchens(app)
    placed = [kitchens.order(minutes(i)) for i in range(3)]
    complaint = kitchens.complaint(placed[0], minutes(5))  # by the order's own customer
    # when the dispatcher runs
    dispatcher = WebhookDispatcher(app, views, FAST)
    until(lambda: len(receiver.received) == 4, dispatcher)
    # then each verified with the library's verifier, in log order, none from before
    assert receiver.refused == []
    bodies = receiver.bodies()
    assert [b["type"] for b in bodies] == [*["OrderReceived"] * 3, "ComplaintReceived"]
    assert [b["data"]["id"] for b in bodies] == [*map(str, placed), str(complaint)]
    positions = [b["data"]["position"] for b in bodies]
    assert positions == sorted(positions)
    # and nothing sealed or personal left: no address, no complaint text, no actor id
    raw = b"".join(r.raw for r in receiver.received)
    assert ADDRESS.encode() not in raw and b"Vomiting" not in raw
    assert b"customer-1" not in raw and b"subject" not in raw and b"token" not in raw
    assert bodies[0]["data"]["restaurant"] == "Golden Dumpling"
    # and the delivery log shows one successful attempt each, under the ids that were sent
    log = deliveries(views, str(endpoint_id))
    assert [d.webhook_id for d in log] == receiver.ids()
    assert all(d.status == "delivered" and len(d.attempts) == 1 for d in log)
    assert all(d.attempts[0].status_code == 204 for d in log)
    # when it runs again, or a new dispatcher does, then nothing is sent twice
    assert dispatcher.run_once() == 0
    assert WebhookDispatcher(app, views, FAST).run_once() == 0
    assert len(receiver.received) == 4


def test_a_receiver_down_then_back_gets_everything_in_order(
    app: CareLedger, views: ViewStore, receiver: Receiver
) -> None:
    endpoint_id = register(app, receiver.url)
    dispatcher = WebhookDispatcher(app, views, FAST)
    # given the receiver down while five orders are placed
    receiver.stop()
    placed = orders(app, 5)
    until(lambda: _attempts(views, endpoint_id) >= 3, dispatcher)
    # then only the first delivery was tried, again and again, the later ones wait behind it
    log = deliveries(views, str(endpoint_id))
    assert [len(d.attempts) for d in log][1:] == [0, 0, 0, 0]
    head = log[0]
    assert head.status == "pending" and head.next_attempt_at is not None
    assert all(a.outcome == "retry" and a.status_code is None for a in head.attempts)
    assert all(a.error and "Connection" in a.error for a in head.attempts)
    # when it comes back on the same port
    receiver.start()
    until(lambda: len(receiver.received) == 5, dispatcher)
    # then every order arrived once, in order, the retries visible in the log
    assert [b["data"]["id"] for b in receiver.bodies()] == [str(o) for o in placed]
    assert len(set(receiver.ids())) == 5
    log = deliveries(views, str(endpoint_id))
    assert all(d.status == "delivered" for d in log)
    assert log[0].attempts[-1].outcome == "delivered" and len(log[0].attempts) >= 3
    assert endpoint(views, str(endpoint_id)).failures == 0  # type: ignore[union-attr]


def test_a_permanent_refusal_is_not_retried_and_the_next_goes(
    app: CareLedger, views: ViewStore, receiver: Receiver
) -> None:
    endpoint_id = register(app, receiver.url)
    # given a receiver that answers the first delivery 410 Gone, then a 503 on the second
    receiver.answers.extend([410, 503])
    placed = orders(app, 3)
    dispatcher = WebhookDispatcher(app, views, FAST)
    until(lambda: len(receiver.received) == 2, dispatcher)
    # then the first failed after one attempt; the second was retried and delivered
    first, second, third = deliveries(views, str(endpoint_id))
    assert (first.status, [a.status_code for a in first.attempts]) == ("failed", [410])
    assert (second.status, [a.status_code for a in second.attempts]) == ("delivered", [503, 204])
    assert third.status == "delivered"
    assert [b["data"]["id"] for b in receiver.bodies()] == [str(placed[1]), str(placed[2])]
    # and a delivery can be asked for by status
    assert [d.webhook_id for d in deliveries(views, str(endpoint_id), status="failed")] == [
        first.webhook_id
    ]


def test_repeated_failure_disables_the_endpoint_until_re_enabled(
    app: CareLedger, views: ViewStore, receiver: Receiver
) -> None:
    endpoint_id = register(app, receiver.url)
    policy = WebhookPolicy(timeout_s=2.0, backoff_s=0.01, backoff_cap_s=0.05, disable_after=3)
    dispatcher = WebhookDispatcher(app, views, policy)
    # given a receiver that answers 500 to everything
    receiver.answers.extend([500] * 3)
    placed = orders(app, 2)
    until(lambda: app.load(WebhookEndpoint, endpoint_id).status == "Disabled", dispatcher)
    # then it is disabled after three failed attempts, recorded naming its owner
    last: Any = _events(app, endpoint_id)[-1]
    assert type(last).__name__ == "WebhookEndpointDisabled"
    assert (last.owner, last.failures) == ("admin-wang", 3)
    assert last.reason == "consecutive_failures:http_500"
    # and nothing more is tried while it is disabled
    time.sleep(0.1)
    assert dispatcher.run_once() == 0
    assert _attempts(views, endpoint_id) == 3
    # when the admin re-enables it, then the held deliveries go, none lost, in order
    app.re_enable_webhook_endpoint(meta(actor=ADMIN), endpoint_id)
    until(lambda: len(receiver.received) == 2, dispatcher)
    assert [b["data"]["id"] for b in receiver.bodies()] == [str(o) for o in placed]
    assert app.load(WebhookEndpoint, endpoint_id).status == EndpointStatus.ACTIVE


def test_several_dispatchers_send_each_delivery_once(
    app: CareLedger, views: ViewStore, receiver: Receiver
) -> None:
    register(app, receiver.url)
    placed = orders(app, 12)
    # given three dispatchers running at once, as three processes would
    stop = threading.Event()
    dispatchers = [WebhookDispatcher(app, views, FAST) for _ in range(3)]
    threads = [threading.Thread(target=d.run, args=(stop, 0.02)) for d in dispatchers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 15
    while len(receiver.received) < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(10)
    # then every order arrived exactly once, in log order
    assert [b["data"]["id"] for b in receiver.bodies()] == [str(o) for o in placed]


def _attempts(views: ViewStore, endpoint_id: UUID) -> int:
    return sum(len(d.attempts) for d in deliveries(views, str(endpoint_id)))


def _events(app: CareLedger, endpoint_id: UUID) -> list[object]:
    return list(app.events.get(endpoint_id))


class Crash(Exception):
    """The process dying between a POST and its record."""


def test_a_send_not_yet_recorded_is_sent_again_under_the_same_id(
    app: CareLedger, views: ViewStore, receiver: Receiver
) -> None:
    endpoint_id = register(app, receiver.url)
    placed = orders(app, 3)

    def post_then_crash(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Any:
        http_post(url, body, headers, timeout)
        raise Crash

    # given a dispatcher that dies right after the receiver got the first delivery
    with pytest.raises(Crash):
        WebhookDispatcher(app, views, FAST, post=post_then_crash).run_once()
    assert len(receiver.received) == 1
    assert deliveries(views, str(endpoint_id))[0].attempts == []  # nothing recorded
    # when a new dispatcher starts, then it resends that one, recognisably, then the rest
    until(lambda: len(receiver.received) == 4, WebhookDispatcher(app, views, FAST))
    ids = receiver.ids()
    assert ids[0] == ids[1] and len(set(ids)) == 3
    assert [b["data"]["id"] for b in receiver.bodies()[1:]] == [str(o) for o in placed]


def test_a_dead_dispatchers_lease_runs_out_and_another_takes_over(
    app: CareLedger, views: ViewStore, receiver: Receiver
) -> None:
    endpoint_id = register(app, receiver.url)
    orders(app, 2)
    policy = WebhookPolicy(backoff_s=0.02, lease_s=0.3)
    # given a dispatcher holding the endpoint's lease when it died (kill -9 skips the release)
    dead = WebhookDispatcher(app, views, policy)
    dead.runner.catch_up()
    assert dead.outbox.lease(str(endpoint_id)) == receiver.url
    # then another sends nothing while the lease holds, and everything once it ran out
    other = WebhookDispatcher(app, views, policy)
    assert other.run_once() == 0 and receiver.received == []
    time.sleep(0.35)
    assert other.run_once() == 2 and len(receiver.received) == 2
