from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.app import CareLedger
from application.vault import ERASED
from domain.meta import Actor, Channel, Meta, Reason
from domain.values import Sealed, Unsealed
from projections.engine import tracking
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.audit_trail import (
    AuditEntry,
    AuditPage,
    AuditTrailProjection,
    actor_history,
    correlation_history,
    entity_history,
    entity_of,
    reason_text,
    reveal,
    reveal_fields,
)
from projections.views.satisfaction import SatisfactionProjection
from tests.application.builders import ADDRESS, customer, order
from tests.projections.catch_up import Project
from tests.support import AGENT, CUSTOMER, SYSTEM, T0, meta, minutes

COMPLAINT = "The dumplings came cold and the rider shouted at me"
REPLY = "Sorry: a refund is on its way"
CLOCKS = ["SlaClockStarted"] * 3


@dataclass(frozen=True)
class Story:
    customer: UUID
    order: UUID
    complaint: UUID
    confirmed_at: int  # log positions, from the commands' outcomes
    classified_at: int


def step(minute: int, correlation: str, actor: Actor = AGENT, **extra: Any) -> Meta:
    return replace(meta(minutes(minute), actor=actor), correlation_id=correlation, **extra)


def run_scenario(app: CareLedger) -> Story:
    # 09:00 the customer registers and orders (correlation corr-1, from tests.support.meta)
    customer_id = customer(app)
    order_id = order(app, customer_id)
    # 09:05 an agent confirms it by phone; 09:06 the system sends the confirmation, caused by it
    why = Reason("accepted", "kitchen open")
    confirm = step(5, "corr-order", channel=Channel.PHONE, reason=why, command_id="cmd-confirm")
    confirmed = app.confirm_order(confirm, order_id)
    sent = step(6, "corr-order", SYSTEM, causation_id="cmd-confirm")
    app.send_order_confirmation(sent, order_id, "sms")
    # 09:10 the customer complains (three SLA clocks start); 09:11 the agent replies (the first
    # response, meeting its clock); 09:20 the agent classifies it (meeting the registration clock)
    filed = step(10, "corr-complaint", CUSTOMER)
    complaint_id = app.file_complaint(
        filed, customer_id=customer_id, order_id=order_id, content=COMPLAINT, channel="app"
    ).aggregate_id
    app.reply_to_customer(step(11, "corr-complaint"), complaint_id, REPLY)
    triage = step(20, "corr-complaint", reason=Reason("triage"))
    classified = app.classify_complaint(
        triage, complaint_id, "product_quality", "temperature", "general"
    )
    assert confirmed.position is not None and classified.position is not None
    return Story(customer_id, order_id, complaint_id, confirmed.position, classified.position)


def opener(app: CareLedger) -> Callable[[Sealed | Unsealed], str]:
    """The vault's open; words recorded unsealed read as they are."""
    return lambda value: app.vault.open(value) if isinstance(value, Sealed) else value.text


def metadata(e: AuditEntry) -> tuple[object, ...]:
    return (
        e.actor_kind,
        e.actor_id,
        e.actor_role,
        e.command_id,
        e.correlation_id,
        e.causation_id,
        e.channel,
        e.reason_code,
        e.reason_text,
        e.occurred_at,
    )


def names(page: AuditPage) -> list[str]:
    return [e.event for e in page.entries]


def test_the_history_of_an_order_in_order_with_its_metadata(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the scenario, projected one event per batch
    story = run_scenario(app)
    project(AuditTrailProjection(), batch_size=1)
    # when the order's history is read
    page = entity_history(views, story.order)
    # then it holds its three events, versions 1-3, all filed under Order
    assert names(page) == ["OrderReceived", "OrderConfirmed", "ConfirmationSent"]
    assert [(e.entity_type, e.entity_id, e.version) for e in page.entries] == [
        ("Order", str(story.order), v) for v in (1, 2, 3)
    ]
    assert page.after is None
    received, confirmed, sent = page.entries
    # and each carries who, why, how and when
    assert metadata(confirmed) == (
        "agent",
        "agent-7",
        "agent",
        "cmd-confirm",
        "corr-order",
        None,
        "phone",
        "accepted",
        "",
        T0 + minutes(5),
    )
    # the reason's text sealed under the customer's key, opened only by the vault
    assert confirmed.reason_sealed is not None and "kitchen open" not in confirmed.reason_sealed
    assert reason_text(confirmed, opener(app)) == "kitchen open"
    assert reason_text(sent, opener(app)) is None
    assert metadata(sent)[:6] == (
        "system",
        "sla-sweeper",
        "system",
        sent.command_id,
        "corr-order",
        "cmd-confirm",
    )
    assert metadata(received)[4:] == ("corr-1", None, None, None, None, T0)
    assert confirmed.recorded_at.tzinfo is not None
    assert received.position < confirmed.position < sent.position
    assert (sent.data, confirmed.data) == ({"via": "sms"}, {})
    # and the receipt's payload is its own fields, the address still sealed
    payload = received.data
    address = payload.pop("address")
    assert payload == {
        "customer_id": str(story.customer),
        "restaurant": "Golden Dumpling",
        "region": "chaoyang",
        "items": [{"name": "dumplings", "quantity": 2, "unit_price": "29.00"}],
        "amount": "58.00",
        "promised_at": "2026-11-23T09:40:00+00:00",
        "channel": "app",
    }
    assert set(address) == {"sealed", "subject"} and address["subject"] == str(story.customer)


def test_the_history_of_a_complaint_includes_its_sla_clock_events(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    story = run_scenario(app)
    project(AuditTrailProjection())
    page = entity_history(views, story.complaint)
    # the receipt and its 3 clocks, the reply with the first response and its clock met, the
    # classification and the registration clock met: versions 1-9, all filed under Complaint
    assert names(page) == [
        "ComplaintReceived",
        *CLOCKS,
        "AgentReplied",
        "FirstResponseSent",
        "SlaMet",
        "ComplaintClassified",
        "SlaMet",
    ]
    assert [e.version for e in page.entries] == list(range(1, 10))
    assert {e.entity_type for e in page.entries} == {"Complaint"}
    assert page.entries[-1].position == story.classified_at
    assert (page.entries[-2].reason_code, page.entries[-2].reason_text) == ("triage", "")
    assert page.entries[6].data == {"clock": "first_response", "elapsed_s": 60}
    assert page.entries[8].data == {"clock": "registration", "elapsed_s": 600}
    # and a page of 4 then the rest, by version
    first = entity_history(views, story.complaint, limit=4)
    assert (names(first), first.after) == (["ComplaintReceived", *CLOCKS], 4)
    rest = entity_history(views, story.complaint, after_version=first.after, limit=5)
    assert (rest.entries, rest.after) == (page.entries[4:], None)


def test_the_history_of_an_actor_and_of_a_correlation_in_log_order(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    story = run_scenario(app)
    project(AuditTrailProjection())
    # the agent: the confirmation, the reply with its first response and clock, the
    # classification with its clock, in log order
    agent = actor_history(views, AGENT.id)
    assert names(agent) == [
        "OrderConfirmed",
        "AgentReplied",
        "FirstResponseSent",
        "SlaMet",
        "ComplaintClassified",
        "SlaMet",
    ]
    positions = [e.position for e in agent.entries]
    assert positions == sorted(positions) and positions[0] == story.confirmed_at
    assert positions[-1] == story.classified_at
    # and in pages of 4: the cursor is the last position shown
    first = actor_history(views, AGENT.id, limit=4)
    assert (first.entries, first.after) == (agent.entries[:4], positions[3])
    rest = actor_history(views, AGENT.id, after_position=first.after, limit=4)
    assert (rest.entries, rest.after) == (agent.entries[4:], None)
    # the customer: registration, order, complaint and the 3 clocks its filing started
    assert names(actor_history(views, CUSTOMER.id)) == [
        "CustomerRegistered",
        "OrderReceived",
        "ComplaintReceived",
        *CLOCKS,
    ]
    # correlations: the morning's builders, the order's confirmation, the complaint's story
    assert names(correlation_history(views, "corr-1")) == ["CustomerRegistered", "OrderReceived"]
    assert names(correlation_history(views, "corr-order")) == ["OrderConfirmed", "ConfirmationSent"]
    complaint = correlation_history(views, "corr-complaint")
    assert complaint.entries == entity_history(views, story.complaint).entries
    assert [e.entity_type for e in correlation_history(views, "corr-1").entries] == [
        "Customer",
        "Order",
    ]


def test_personal_data_stays_sealed_and_only_reveal_opens_it(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the scenario projected
    story = run_scenario(app)
    project(AuditTrailProjection())
    with views.transaction() as tx:
        stored = "".join(str(row) for row in tx.all("SELECT * FROM audit_trail_g1_entries"))
    # then no personal text is in the table
    for secret in (COMPLAINT, REPLY, ADDRESS, "Li Wei", "kitchen open"):
        assert secret not in stored
    received = entity_history(views, story.complaint).entries[0]
    sealed = received.data["content"]
    assert sealed["sealed"] in stored and sealed["subject"] == str(story.customer)
    # when revealed with the vault, then the content and the address read in clear
    assert reveal(received, app.vault.open)["content"] == COMPLAINT
    reply = entity_history(views, story.complaint).entries[4]
    assert reveal(reply, app.vault.open) == {"content": REPLY}
    order_received = entity_history(views, story.order).entries[0]
    assert reveal(order_received, app.vault.open)["address"] == ADDRESS
    assert (
        json.loads(
            reveal(entity_history(views, story.customer).entries[0], app.vault.open)["contact"]
        )["name"]
        == "Li Wei"
    )
    # and the rest of the payload is untouched by revealing
    revealed = reveal(order_received, app.vault.open)
    assert {k: v for k, v in revealed.items() if k != "address"} == {
        k: v for k, v in order_received.data.items() if k != "address"
    }
    # when the customer is erased, then the same entries reveal only the erased marker
    app.erase_customer(meta(minutes(30)), story.customer)
    assert reveal(received, app.vault.open)["content"] == ERASED
    assert reveal(order_received, app.vault.open)["address"] == ERASED
    confirmed = entity_history(views, story.order).entries[1]
    assert (confirmed.reason_code, reason_text(confirmed, opener(app))) == ("accepted", ERASED)


def test_reveal_opens_sealed_values_wherever_they_are_nested() -> None:
    # given a payload with sealed values in a list and in a nested object
    payload = {
        "n": 1,
        "items": [{"sealed": "t1", "subject": "s"}],
        "nested": {"inner": {"sealed": "t2", "subject": "s"}, "sealed": "no"},
    }
    ids = ("agent", "a", "agent", "c", "r")
    entry = AuditEntry(
        1, "Order", "o", 1, "E", *ids, None, None, None, None, None, T0, T0, json.dumps(payload)
    )
    # when revealed with a stand-in for the vault
    opened = reveal(entry, lambda s: f"<{s.subject}:{s.token}>")
    # then each sealed value is opened, and an object that merely has a "sealed" key is not
    assert opened == {"n": 1, "items": ["<s:t1>"], "nested": {"inner": "<s:t2>", "sealed": "no"}}


def dump(views: ViewStore, prefix: str, tables: tuple[str, ...]) -> list[list[tuple[object, ...]]]:
    with views.transaction() as tx:
        return [tx.all(f"SELECT * FROM {prefix}{t} ORDER BY 1") for t in tables]


def test_tables_do_not_depend_on_batch_boundaries(app: CareLedger, views: ViewStore) -> None:
    # given the scenario, built live one event at a time into generation 1
    run_scenario(app)
    projection = AuditTrailProjection()
    Runner(app, views, projection, batch_size=1).catch_up()
    # when it is rebuilt in batches of 1000 into generation 2 and of 4 into generation 3
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 2)
        tracking.start_generation(tx, projection, 3)
    Runner(app, views, projection, batch_size=1000, generation=2).catch_up()
    Runner(app, views, projection, batch_size=4, generation=3).catch_up()
    # then all generations hold the same rows: one per event, 1 customer + 3 order + 9 complaint
    tables = projection.tables()
    one_by_one = dump(views, tracking.prefix(projection.name, 1), tables)
    assert one_by_one == dump(views, tracking.prefix(projection.name, 2), tables)
    assert one_by_one == dump(views, tracking.prefix(projection.name, 3), tables)
    assert len(one_by_one[0]) == 13


def test_unknown_ids_have_empty_histories_and_pages_are_bounded(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    story = run_scenario(app)
    project(AuditTrailProjection())
    assert entity_history(views, uuid4()) == AuditPage([], None)
    assert actor_history(views, "nobody") == AuditPage([], None)
    assert correlation_history(views, "corr-none") == AuditPage([], None)
    assert entity_history(views, story.order, after_version=3) == AuditPage([], None)
    for limit in (0, 201):
        with pytest.raises(ValueError, match="limit"):
            entity_history(views, story.order, limit=limit)
        with pytest.raises(ValueError, match="limit"):
            actor_history(views, AGENT.id, limit=limit)


def test_the_view_must_be_installed_before_it_is_read(views: ViewStore) -> None:
    with views.transaction() as tx:
        tracking.install(tx, SatisfactionProjection())
    with pytest.raises(LookupError, match="audit_trail"):
        entity_history(views, uuid4())


def test_an_event_class_no_aggregate_names_is_filed_as_unknown() -> None:
    class Stray:
        pass

    assert entity_of(Stray) == "unknown"


def test_words_an_older_event_holds_in_plain_text_are_handed_over_as_unsealed() -> None:
    # given a trail row of a root cause and of a reason recorded before either was sealed
    payload = {"cause": "old oven", "corrective_action": "new oven", "incident_id": None}
    ids = ("agent", "a", "agent", "c", "r")
    entry = AuditEntry(
        *(1, "Complaint", "c", 3, "RootCauseRecorded", *ids, None, None, "why", "he rang", None),
        *(T0, T0, json.dumps(payload)),
    )
    # when revealed with a stand-in that says what it was given
    seen: list[tuple[object, str]] = []

    def stand_in(value: Sealed | Unsealed, field: str = "reason_text") -> str:
        seen.append((value, field))
        return "<opened>"

    # then the words are handed over as Unsealed, never passed through as they are
    assert reveal_fields(entry, stand_in) == {
        "cause": "<opened>",
        "corrective_action": "<opened>",
        "incident_id": None,
    }
    assert reason_text(entry, stand_in) == "<opened>"
    assert seen == [
        (Unsealed("old oven"), "cause"),
        (Unsealed("new oven"), "corrective_action"),
        (Unsealed("he rang"), "reason_text"),
    ]
