"""A command id minted for the command it names skips the receipt look-up; nothing else does."""

from __future__ import annotations

import contextvars
from datetime import timedelta

import pytest

from application.app import CareLedger
from application.command_ids import mint_command_id
from tests.application.builders import customer, order
from tests.support import T0, meta


def lookups(app: CareLedger, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command ids whose receipts are looked up from now on."""
    asked: list[str] = []
    look_up = app.receipts.select_receipt

    def counted(command_id: str) -> object:
        asked.append(command_id)
        return look_up(command_id)

    monkeypatch.setattr(app.receipts, "select_receipt", counted)
    return asked


def test_a_command_under_an_id_minted_for_it_looks_up_no_receipt(
    app: CareLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an order, and the receipt look-ups counted
    order_id = order(app, customer(app))
    asked = lookups(app, monkeypatch)
    # when it is confirmed under an id minted for the command
    minted = mint_command_id()
    outcome = app.confirm_order(meta(command_id=minted), order_id)
    # then it is recorded without a look-up
    assert not outcome.replayed and asked == []


def test_an_id_minted_elsewhere_or_given_by_the_caller_is_looked_up(
    app: CareLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an order confirmed under an id minted for that command
    order_id = order(app, customer(app))
    minted = mint_command_id()
    first = app.confirm_order(meta(command_id=minted), order_id)
    asked = lookups(app, monkeypatch)
    # when a caller sends that id again from another context (it learned it from the history)
    again = contextvars.Context().run(app.confirm_order, meta(command_id=minted), order_id)
    # then its receipt is looked up and the repeat answered from it, recording nothing
    assert asked == [minted]
    assert again.replayed and (again.version, again.position) == (first.version, first.position)
    # and an id the caller gave is looked up too, even in the context that minted another
    app.update_eta(meta(command_id="eta-1"), order_id, T0 + timedelta(hours=1))
    assert asked == [minted, "eta-1"]


def test_a_minted_id_used_twice_in_its_context_is_still_answered_from_its_receipt(
    app: CareLedger,
) -> None:
    # given an order confirmed under an id minted for that command
    order_id = order(app, customer(app))
    minted = mint_command_id()
    first = app.confirm_order(meta(command_id=minted), order_id)
    # when the same id is used again in the same context (no look-up before the first pass)
    again = app.confirm_order(meta(command_id=minted), order_id)
    # then the receipt's key refuses the second write and the repeat is answered from it
    assert again.replayed and (again.version, again.position) == (first.version, first.position)
    assert len(list(app.events.get(order_id))) == 2
