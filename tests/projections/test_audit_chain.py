from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.audit_chain import GENESIS, AuditChainProjection
from projections.views.audit_verify import (
    Anchor,
    VerificationReport,
    WalkBoundsError,
    format_report,
    parse_anchor,
    verify,
)
from tests.application.builders import customer, order
from tests.projections.catch_up import Project
from tests.projections.tampering import set_state, tamper
from tests.support import meta

LINKS = "audit_chain_g1_links"
TOPICS = ["CustomerRegistered", "OrderReceived", "OrderConfirmed", "PreparationStarted"]
TOPICS += ["OrderPacked"]


def log(app: CareLedger) -> list[Notification]:
    return list(app.recorder.select_notifications(0, 1000, inclusive_of_start=False))


def prepared_order(app: CareLedger) -> UUID:
    """Five events: the customer registered (v1), the order received, confirmed, started and
    packed (v1-v4)."""
    order_id = order(app, customer(app))
    for step in (app.confirm_order, app.start_preparation, app.pack_order):
        step(meta(), order_id)
    return order_id


@dataclass(frozen=True)
class Chained:
    order_id: UUID
    notes: list[Notification]  # the five events of `prepared_order`, as stored


@pytest.fixture
def chained(app: CareLedger, project: Project) -> Chained:
    order_id = prepared_order(app)
    assert project(AuditChainProjection()) == 5
    return Chained(order_id, log(app))


def set_version(position: int, version: int) -> tuple[str, tuple[Any, ...]]:
    return "UPDATE {t} SET originator_version = ? WHERE {id} = ?", (version, position)


def reference_link(previous: bytes, note: Notification) -> bytes:
    # 8-byte big-endian position and version; id, topic and state each after an 8-byte length
    def field(data: bytes) -> bytes:
        return len(data).to_bytes(8, "big") + data

    encoded = (
        note.id.to_bytes(8, "big")
        + note.originator_version.to_bytes(8, "big")
        + field(str(note.originator_id).encode())
        + field(note.topic.encode())
        + field(note.state)
    )
    return hashlib.sha256(previous + encoded).digest()


def test_an_untouched_log_verifies_and_every_link_follows_the_documented_encoding(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    # given five events, chained
    notes = chained.notes
    assert [n.topic.removeprefix("careledger.") for n in notes] == TOPICS
    # when the log is verified
    report = verify(app, views)
    # then all five links match, and the head is link_5 computed by hand from 32 zero bytes
    link = bytes(32)
    for note in notes:
        link = reference_link(link, note)
    assert (report.ok, report.checked, report.unchained, report.problem) == (True, 5, 0, None)
    assert (report.head_position, report.head_link) == (notes[-1].id, link.hex())
    with views.transaction() as tx:
        rows = tx.all(f"SELECT originator_id, originator_version FROM {LINKS} ORDER BY position")
    assert rows[1:] == [(str(chained.order_id), version) for version in (1, 2, 3, 4)]
    assert format_report(report).splitlines()[1] == f"  head {notes[-1].id}:{link.hex()}"


def test_events_past_the_head_are_not_yet_chained_and_the_chain_carries_on_from_its_head(
    app: CareLedger, views: ViewStore, project: Project, chained: Chained
) -> None:
    # given five chained events and two more the chain has not seen
    app.assign_courier(meta(), chained.order_id, "c-1", "fleet")
    app.pick_up_order(meta(), chained.order_id)
    # then verify passes with five checked and two unchained
    before = verify(app, views)
    assert (before.ok, before.checked, before.unchained) == (True, 5, 2)
    # and once chained, seven check out
    project(AuditChainProjection())
    after = verify(app, views)
    assert (after.ok, after.checked, after.unchained) == (True, 7, 0)


def test_changed_state_bytes_are_named_altered(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    # given a chained log whose OrderConfirmed (3rd event, order v2) then gets one byte more
    confirmed = chained.notes[2]
    tamper(app, set_state(confirmed.id, confirmed.state + b" "))
    # then verify names that position, entity and version, after two good events
    report = verify(app, views)
    problem = report.problem
    assert problem is not None and not report.ok and report.checked == 2
    assert (problem.position, problem.kind) == (confirmed.id, "altered")
    assert (problem.originator_id, problem.originator_version) == (str(chained.order_id), 2)
    assert problem.detail.endswith("its state bytes changed")
    assert format_report(report).startswith(f"audit chain BROKEN at position {confirmed.id}")


def test_a_deleted_event_is_named_deleted(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    # given a chained log whose PreparationStarted (4th event, order v3) is then deleted
    started = chained.notes[3]
    tamper(app, ("DELETE FROM {t} WHERE {id} = ?", (started.id,)))
    # then verify names it from the chain's own record of it
    problem = verify(app, views).problem
    assert problem is not None
    assert (problem.position, problem.kind) == (started.id, "deleted")
    assert (problem.originator_id, problem.originator_version) == (str(chained.order_id), 3)
    assert "careledger.PreparationStarted" in problem.detail


def test_state_bytes_swapped_within_an_entity_are_named_reordered_at_the_first(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    # given the state bytes of order v2 (3rd event) and v4 (5th) swapped after chaining
    v2, v4 = chained.notes[2], chained.notes[4]
    tamper(app, set_state(v2.id, v4.state), set_state(v4.id, v2.state))
    # then verify stops at the first of the two and says where its bytes went
    report = verify(app, views)
    problem = report.problem
    assert problem is not None and report.checked == 2
    assert (problem.position, problem.kind) == (v2.id, "reordered")
    assert (problem.originator_id, problem.originator_version) == (str(chained.order_id), 2)
    assert problem.detail.endswith(f"now those of version 4 at position {v4.id}")


def test_versions_swapped_within_an_entity_are_named_reordered(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    # given order v2 (3rd event) and v3 (4th) exchanging places after chaining
    v2, v3 = chained.notes[2].id, chained.notes[3].id
    tamper(app, set_version(v2, -1), set_version(v3, 2), set_version(v2, 3))
    # then the first position names the version it should hold and where that one is now
    problem = verify(app, views).problem
    assert problem is not None
    assert (problem.position, problem.kind, problem.originator_version) == (v2, "reordered", 2)
    assert f"now sits at position {v3}" in problem.detail


def test_an_event_put_into_a_hole_the_chain_skipped_is_named_inserted(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the 3rd event removed before the chain saw it: the chain covers the other four
    prepared_order(app)
    gone = log(app)[2]
    tamper(app, ("DELETE FROM {t} WHERE {id} = ?", (gone.id,)))
    project(AuditChainProjection())
    assert (verify(app, views).ok, verify(app, views).checked) == (True, 4)
    # when a record is put back into that hole
    postgres = isinstance(app.recorder, PostgresApplicationRecorder)
    originator = gone.originator_id if postgres else UUID(str(gone.originator_id)).hex
    columns = "{id}, originator_id, originator_version, topic, state"
    values = (gone.id, originator, gone.originator_version, gone.topic, gone.state)
    # (on PostgreSQL each row also carries its transaction's id: application/log_order.py)
    xid = (", transaction_id", ", pg_current_xact_id()") if postgres else ("", "")
    tamper(app, (f"INSERT INTO {{t}} ({columns}{xid[0]}) VALUES (?, ?, ?, ?, ?{xid[1]})", values))
    # then verify names it inserted
    problem = verify(app, views).problem
    assert problem is not None
    assert (problem.position, problem.kind, problem.originator_version) == (gone.id, "inserted", 2)


def test_edits_to_the_chain_table_itself_are_caught(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    # when one link is overwritten, the event is intact but the chain row is not
    first, second = chained.notes[0].id, chained.notes[1].id
    with views.transaction() as tx:
        tx.execute(f"UPDATE {LINKS} SET link = ? WHERE position = ?", ("ab" * 32, second))
    problem = verify(app, views).problem
    assert problem is not None and (problem.position, problem.kind) == (second, "altered")
    assert problem.detail.endswith("the chain table was edited at this position")
    # and when a chain row is removed, its event shows up as one the chain skipped
    with views.transaction() as tx:
        tx.execute(f"DELETE FROM {LINKS} WHERE position = ?", (first,))
    problem = verify(app, views).problem
    assert problem is not None and (problem.position, problem.kind) == (first, "inserted")


def test_a_longer_log_is_verified_page_by_page(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given 1 + 4 x 4 = 17 events: a customer, four orders received, confirmed, started, packed
    customer_id = customer(app)
    for _ in range(4):
        order_id = order(app, customer_id)
        for step in (app.confirm_order, app.start_preparation, app.pack_order):
            step(meta(), order_id)
    project(AuditChainProjection(), batch_size=5)
    # then every page size agrees on 17 events checked
    reports = [verify(app, views, page_size=size) for size in (1, 3, 4, 1000)]
    assert {(r.ok, r.checked, r.head_link) for r in reports} == {(True, 17, reports[0].head_link)}
    # and a change on the fourth page of 4 (the 14th event) is found there, after 13 good ones
    fourteenth = log(app)[13]
    tamper(app, set_state(fourteenth.id, b"{}"))
    report = verify(app, views, page_size=4)
    assert report.problem is not None and report.checked == 13
    assert (report.problem.position, report.problem.kind) == (fourteenth.id, "altered")


def test_the_chain_is_the_same_whatever_the_batch_boundaries(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given a live build one event at a time, in two sittings
    order_id = prepared_order(app)
    project(AuditChainProjection(), batch_size=1)
    app.assign_courier(meta(), order_id, "c-1", "fleet")
    app.pick_up_order(meta(), order_id)
    project(AuditChainProjection(), batch_size=1)
    # and a rebuild into generation 2 in one batch of 1000
    with views.transaction() as tx:
        tracking.start_generation(tx, AuditChainProjection(), 2)
    Runner(app, views, AuditChainProjection(), batch_size=1000, generation=2).catch_up()
    # then both tables hold the same seven rows
    with views.transaction() as tx:
        live = tx.all(f"SELECT * FROM {LINKS} ORDER BY position")
        rebuilt = tx.all("SELECT * FROM audit_chain_g2_links ORDER BY position")
    assert len(live) == 7 and live == rebuilt


def launder(views: ViewStore, project: Project) -> None:
    """What an attacker who can write the view store does: re-chain the log from scratch."""
    with views.transaction() as tx:
        tx.execute(f"DELETE FROM {LINKS}")
        tx.execute(
            "UPDATE projection_tracking SET position = 0 WHERE projection = ?",
            (AuditChainProjection.name,),
        )
    project(AuditChainProjection())


def test_a_chain_rewritten_to_match_the_log_is_caught_by_an_anchor_kept_elsewhere(
    app: CareLedger, views: ViewStore, project: Project, chained: Chained
) -> None:
    # given a verified log whose head was written down
    anchor = parse_anchor(str(verify(app, views).anchor))
    assert verify(app, views, anchor=anchor).ok
    # when the 2nd event is altered and the chain re-chained over the altered log
    tamper(app, set_state(chained.notes[1].id, b"{}"))
    launder(views, project)
    # then the database alone looks consistent, but the anchor is not met
    assert verify(app, views).ok
    problem = verify(app, views, anchor=anchor).problem
    assert problem is not None and (problem.position, problem.kind) == (anchor.position, "altered")
    # and if the anchored event itself is deleted, the anchor's position is reported deleted
    tamper(app, ("DELETE FROM {t} WHERE {id} = ?", (anchor.position,)))
    launder(views, project)
    problem = verify(app, views, anchor=anchor).problem
    assert problem is not None and (problem.position, problem.kind) == (anchor.position, "deleted")


def test_an_empty_chain_and_bad_arguments(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given an empty log, chained
    project(AuditChainProjection())
    report = verify(app, views)
    assert (report.ok, report.checked, report.head_position) == (True, 0, 0)
    assert report.head_link == GENESIS.hex()
    # then page sizes and anchors out of shape are refused
    with pytest.raises(ValueError, match="page_size"):
        verify(app, views, page_size=0)
    for text in ("12", "0:" + "a" * 64, "3:" + "a" * 63, "x:" + "a" * 64):
        with pytest.raises(ValueError, match="anchor"):
            parse_anchor(text)
    assert parse_anchor(" 7:" + "AB" * 32) == Anchor(7, "ab" * 32)


def in_pieces(
    app: CareLedger, views: ViewStore, limit: int, **options: Any
) -> list[VerificationReport]:
    """Walks the log `limit` events at a time, each piece going on where the one before stopped."""
    pieces = [verify(app, views, limit=limit, **options)]
    while pieces[-1].resume is not None:
        pieces.append(verify(app, views, after=pieces[-1].resume, limit=limit, **options))
    return pieces


def test_a_walk_cut_in_pieces_checks_what_one_whole_walk_does(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    # given five chained events and two the chain has not seen yet
    app.assign_courier(meta(), chained.order_id, "c-1", "fleet")
    app.pick_up_order(meta(), chained.order_id)
    whole = verify(app, views)
    # when the log is walked two events at a time
    pieces = in_pieces(app, views, limit=2)
    # then four pieces cover it, each starting where the one before stopped
    assert [(p.start, p.through, p.checked, p.unchained) for p in pieces] == [
        (0, 2, 2, 0),
        (2, 4, 2, 0),
        (4, 6, 1, 1),
        (6, 7, 0, 1),
    ]
    assert [p.complete for p in pieces] == [False, False, False, True]
    assert pieces[-1].anchor == whole.anchor and whole.through == 7
    # and a cut-short report says where to go on
    resume = pieces[0].resume
    assert resume is not None and resume.position == 2
    assert format_report(pieces[0]).splitlines() == [
        "audit chain intact so far: 2 events verified and 0 not yet chained up to position 2",
        f"  the walk stopped at its limit: go on after {resume}",
    ]
    assert format_report(pieces[-1]).splitlines()[:2] == [
        "audit chain intact: 0 events verified and 1 not yet chained after position 6 up to"
        " position 7",
        f"  head {whole.anchor}",
    ]


def test_a_change_past_the_first_piece_is_found_by_the_piece_that_reaches_it(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    # given the fourth of five chained events altered after chaining
    fourth = chained.notes[3]
    tamper(app, set_state(fourth.id, b"{}"))
    # when the log is walked three events at a time
    first, second = in_pieces(app, views, limit=3)
    # then the first piece finds nothing, and the second names the fourth event
    assert (first.ok, first.checked, first.through) == (True, 3, 3)
    assert second.problem is not None and (second.ok, second.checked) == (False, 0)
    assert (second.problem.position, second.problem.kind) == (fourth.id, "altered")
    assert (second.complete, second.resume) == (False, None)
    assert format_report(second).splitlines()[2] == (
        "  0 events verified before it in this walk, which began after position 3;"
        " the chain's head is position 5"
    )


def test_an_anchor_is_checked_by_the_piece_that_passes_it(
    app: CareLedger, views: ViewStore, project: Project, chained: Chained
) -> None:
    # given a head kept elsewhere, then the 4th event altered and the chain laundered to match
    anchor = parse_anchor(str(verify(app, views).anchor))
    tamper(app, set_state(chained.notes[3].id, b"{}"))
    launder(views, project)
    # when walked in pieces of two with the anchor: the pieces before it see nothing
    pieces = in_pieces(app, views, limit=2, anchor=anchor)
    # then the piece that passes the anchor's position finds the log no longer hashes to it
    assert [(p.through, p.ok) for p in pieces] == [(2, True), (4, True), (4, False)]
    problem = pieces[-1].problem
    assert problem is not None and (problem.position, problem.kind) == (anchor.position, "altered")


def test_a_walk_refuses_bounds_that_do_not_fit_the_log(
    app: CareLedger, views: ViewStore, chained: Chained
) -> None:
    link = "ab" * 32
    # after a position past the log's end
    with pytest.raises(WalkBoundsError, match="the log ends at position 5, before 6") as beyond:
        verify(app, views, after=Anchor(6, link))
    # an anchor the walk would start beyond
    with pytest.raises(WalkBoundsError, match="at or before `after`") as passed:
        verify(app, views, after=Anchor(3, link), anchor=Anchor(3, link))
    assert (beyond.value.field, passed.value.field) == ("after", "anchor")
    with pytest.raises(ValueError, match="limit must be at least 1, not 0"):
        verify(app, views, limit=0)
