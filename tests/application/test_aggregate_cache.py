"""Aggregates kept in memory between commands: always brought up to date, never shared."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.app import CareLedger
from application.settings import Settings
from domain.errors import DomainError
from domain.order import Order
from tests.application.builders import customer, order
from tests.support import T0, meta


def test_a_cached_order_sees_what_another_process_wrote(
    app: CareLedger, settings: Settings
) -> None:
    # given an order confirmed here, so this process holds it in its cache
    order_id = order(app, customer(app))
    app.confirm_order(meta(), order_id)
    # when another process (another application on the same store) changes it twice
    with CareLedger(settings) as other:
        other.start_preparation(meta(), order_id)
        other.detect_delay(meta(), order_id, 12)
    # then the next command here works on the order as the log has it: no conflict
    outcome = app.update_eta(meta(), order_id, T0 + timedelta(hours=1))
    assert outcome.version == 5
    cached = app.load(Order, order_id)
    replayed: Order = app.repository.get(order_id, version=outcome.version)
    assert (cached.status, cached.expected_late_min, cached.eta) == (
        replayed.status,
        12,
        T0 + timedelta(hours=1),
    )


def test_each_command_gets_its_own_copy_of_a_cached_order(app: CareLedger) -> None:
    # given a confirmed order in the cache, lent to a command that changes it and then fails
    order_id = order(app, customer(app))
    app.confirm_order(meta(), order_id)
    lent = app.load(Order, order_id)
    lent.eta = T0
    # then the next command sees the order as stored, not the failed command's change
    assert app.load(Order, order_id).eta is None
    assert app.update_eta(meta(), order_id, T0 + timedelta(hours=2)).version == 3
    # and a refused command changes nothing either
    with pytest.raises(DomainError):
        app.update_eta(meta(), order_id, T0 - timedelta(days=1))
    assert app.load(Order, order_id).eta == T0 + timedelta(hours=2)


def test_no_cache_when_it_is_turned_off(settings: Settings) -> None:
    off = Settings(**{**settings.__dict__, "aggregate_cache_size": 0})
    with CareLedger(off) as app:
        assert not app.repository.cache
    with CareLedger(settings) as app:
        assert app.repository.cache
