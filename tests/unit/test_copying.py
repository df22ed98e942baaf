"""An aggregate's deep copy shares only what cannot change."""

from __future__ import annotations

import copy

from domain.order import Order
from domain.order_types import ConfirmationVia, OrderItem
from tests.support import meta
from tests.unit.order_paths import received_order


def test_a_copy_equals_its_original_and_holds_none_of_its_containers() -> None:
    # given an order with lists, dicts and value objects
    original = received_order()
    original.confirmations_sent.append(ConfirmationVia.SMS)
    original.items = original.items * 2  # one value object twice in a list
    # when it is copied
    twin = copy.deepcopy(original)
    # then every field is equal, and no container (nor a value object) is the original's
    assert twin.__dict__ == original.__dict__
    assert type(twin) is Order
    for name, value in original.__dict__.items():
        if isinstance(value, list | dict | OrderItem):
            assert getattr(twin, name) is not value, name
    assert twin.items[0] is not original.items[0]
    # and what is shared inside the original is shared inside the copy, as deepcopy does
    assert twin.items[0] is twin.items[1]
    twin.confirmations_sent.append(ConfirmationVia.EMAIL)
    assert original.confirmations_sent == [ConfirmationVia.SMS]


def test_a_copy_changes_independently_of_its_original() -> None:
    # given a copy of an order
    original = received_order()
    twin = copy.deepcopy(original)
    # when the copy is changed by a command
    twin.confirm(meta())
    # then the original is as it was: received, its one event still its own
    assert (original.version, len(original.pending_events)) == (1, 1)
    assert (twin.version, len(twin.pending_events)) == (2, 2)
    assert original.confirmed_at is None
