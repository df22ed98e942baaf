"""What a tick of the live feed tells a subscriber about the events since the last one."""

from __future__ import annotations

from api.graphql.live import Tick

RECEIVED, ETA = "careledger.ComplaintReceived", "careledger.EtaUpdated"


def test_a_view_waits_for_its_own_last_event_in_a_tick_not_the_head() -> None:
    tick = Tick(20, frozenset({"c", "o"}), {RECEIVED: 12, ETA: 20})
    assert tick.last_of([RECEIVED]) == 12
    assert tick.last_of([RECEIVED, ETA]) == 20


def test_a_tick_without_a_views_events_leaves_it_unchanged() -> None:
    assert Tick(20, frozenset({"o"}), {ETA: 20}).last_of([RECEIVED]) is None


def test_a_tick_too_big_to_list_asks_for_the_head() -> None:
    assert Tick(900, None).last_of([RECEIVED]) == 900


def test_merged_ticks_keep_the_last_position_of_each_topic() -> None:
    first = Tick(12, frozenset({"c"}), {RECEIVED: 12})
    later = Tick(20, frozenset({"o", "c2"}), {ETA: 19, RECEIVED: 20})
    merged = first.merged(later)
    assert merged == Tick(20, frozenset({"c", "o", "c2"}), {RECEIVED: 20, ETA: 19})
    # and once either side is too big to list, the merge asks for the head
    assert first.merged(Tick(30, None)).last_of([RECEIVED]) == 30


def test_a_views_move_asks_for_its_position_and_merges_with_a_later_look_behind_it() -> None:
    moved = Tick.of_view(30, [RECEIVED])
    assert moved.last_of([RECEIVED]) == 30
    # a look at the log that saw the head at 25 comes after the move to 30 was heard
    merged = moved.merged(Tick(25, frozenset({"c"}), {RECEIVED: 22, ETA: 25}))
    assert merged.position == 30 and merged.last_of([RECEIVED]) == 30
    assert merged.last_of([ETA]) == 25
    # a view of every topic waits for the position of the move itself
    assert Tick.of_view(30, []).last_of([]) == 30
