from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain.cluster import ClusterDetection, ClusterStatus, ClusterUnchangedError, detection_id
from domain.clusters import CLUSTER_RULES, RULES_BY_NAME, Baseline, Trigger, rules_for
from domain.errors import InvalidInputError, TransitionRefusedError
from domain.incident_types import LINK_MAX
from tests.support import T0, meta, minutes
from tests.unit.replay import assert_replays_equal

FOOD = RULES_BY_NAME["food_safety_restaurant"]


def detected(complaints: int = 3, orders: int = 2) -> ClusterDetection:
    return ClusterDetection.detect(
        meta(minutes(30)),
        id=detection_id(FOOD.name, "Golden Dumpling", 1),
        rule=FOOD.name,
        category=str(FOOD.category),
        key_kind=str(FOOD.key_kind),
        key="Golden Dumpling",
        trigger="threshold",
        complaint_ids=[uuid4() for _ in range(complaints)],
        order_ids=[uuid4() for _ in range(orders)],
        first_at=T0,
        last_at=T0 + minutes(20),
        incident_type=str(FOOD.incident_type),
        severity=str(FOOD.severity),
    )


def test_food_safety_is_tight_and_every_rule_names_itself_once() -> None:
    # three complaints about one kitchen within two hours
    assert (FOOD.threshold, FOOD.window) == (3, timedelta(hours=2))
    assert len(RULES_BY_NAME) == len(CLUSTER_RULES)
    assert FOOD in rules_for("food_safety")
    assert rules_for("service_attitude") == []


def test_threshold_just_below_and_at() -> None:
    # two complaints are below the food-safety threshold, three reach it
    assert FOOD.trigger(2, history=0) is None
    assert FOOD.trigger(3, history=0) is Trigger.THRESHOLD


def test_baseline_fires_far_above_the_keys_own_rate_only() -> None:
    rule = RULES_BY_NAME["product_quality_restaurant"]
    assert rule.baseline == Baseline(multiple=4.0, period=timedelta(days=7), minimum=4)
    # no history: the minimum is the bar
    assert rule.trigger(3, history=0) is None
    assert rule.trigger(4, history=0) is Trigger.BASELINE
    # 168 complaints a week is one an hour: four in the hour is not more than four times that
    assert rule.trigger(4, history=168) is None
    assert rule.trigger(5, history=168) is Trigger.BASELINE
    # a busy key reaches the absolute threshold whatever its history
    assert rule.trigger(rule.threshold, history=10_000) is Trigger.THRESHOLD


def test_detection_proposes_the_rules_incident() -> None:
    d = detected()
    assert d.status is ClusterStatus.PROPOSED
    assert (d.incident_type, d.severity) == ("public_health", "II")
    assert d.title == "3 food_safety complaints about restaurant Golden Dumpling"
    assert d.detected_at == T0 + minutes(30)


def test_detection_ids_derive_from_rule_key_and_sequence() -> None:
    assert detection_id("r", "k", 1) == detection_id("r", "k", 1)
    assert (
        len({detection_id("r", "k", 1), detection_id("r", "k", 2), detection_id("r", "j", 1)}) == 3
    )


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("complaint_ids", {"complaint_ids": []}),
        ("category", {"category": "weather"}),
        ("key", {"key": " "}),
        ("last_at", {"last_at": T0 - minutes(1)}),
        ("order_ids", {"order_ids": [uuid4() for _ in range(LINK_MAX + 1)]}),
    ],
)
def test_bad_detection_is_refused(field: str, change: dict[str, object]) -> None:
    args: dict[str, object] = {
        "id": uuid4(),
        "rule": FOOD.name,
        "category": "food_safety",
        "key_kind": "restaurant",
        "key": "Golden Dumpling",
        "trigger": "threshold",
        "complaint_ids": [uuid4()],
        "order_ids": [],
        "first_at": T0,
        "last_at": T0,
        "incident_type": "public_health",
        "severity": "II",
    }
    with pytest.raises(InvalidInputError) as refused:
        ClusterDetection.detect(meta(), **{**args, **change})  # type: ignore[arg-type]
    assert refused.value.field == field


def test_growing_adds_only_what_is_new() -> None:
    d = detected()
    old, new = d.complaint_ids[0], uuid4()
    order = uuid4()
    d.grow(meta(minutes(40)), [old, new], [d.order_ids[0], order], T0 + minutes(35))
    assert d.complaint_ids[-1] == new and len(d.complaint_ids) == 4
    assert d.order_ids[-1] == order and len(d.order_ids) == 3
    assert d.last_at == T0 + minutes(35)
    # the same complaints again change nothing
    with pytest.raises(ClusterUnchangedError):
        d.grow(meta(minutes(41)), [new], [], T0 + minutes(35))
    assert_replays_equal(d)


def test_accepted_cluster_still_grows_dismissed_does_not() -> None:
    accepted, dismissed = detected(), detected()
    incident = uuid4()
    accepted.accept(meta(minutes(45)), incident)
    assert (accepted.status, accepted.incident_id) == (ClusterStatus.ACCEPTED, incident)
    assert accepted.decided_by == "agent-7"
    accepted.grow(meta(minutes(50)), [uuid4()], [], T0 + minutes(50))
    dismissed.dismiss(meta(minutes(45)), "one_household")
    assert dismissed.status is ClusterStatus.DISMISSED
    assert dismissed.dismissal_reason == "one_household"
    with pytest.raises(TransitionRefusedError):
        dismissed.grow(meta(minutes(50)), [uuid4()], [], T0 + minutes(50))


def test_a_decision_is_taken_once() -> None:
    d = detected()
    d.dismiss(meta(minutes(45)), "duplicates")
    with pytest.raises(TransitionRefusedError):
        d.accept(meta(minutes(46)), uuid4())
    with pytest.raises(TransitionRefusedError):
        d.dismiss(meta(minutes(46)), "again")
    with pytest.raises(InvalidInputError):
        detected().dismiss(meta(minutes(45)), "")


def test_a_dismissal_reason_is_a_code_never_words() -> None:
    # a cluster is no customer's: words about it could be sealed under no key
    proposed = detected()
    with pytest.raises(InvalidInputError) as refused:
        proposed.dismiss(meta(minutes(45)), "one family, Zhang San's, cooked at home")
    assert refused.value.field == "reason" and "code" in refused.value.message
    assert proposed.status is ClusterStatus.PROPOSED and proposed.dismissal_reason is None
    with pytest.raises(InvalidInputError):
        detected().accept(meta(minutes(45)), "not-an-id")  # type: ignore[arg-type]


def test_order_links_stop_at_the_incidents_limit() -> None:
    d = detected(orders=LINK_MAX - 1)
    d.grow(meta(minutes(40)), [uuid4()], [uuid4(), uuid4()], T0 + minutes(40))
    assert len(d.order_ids) == LINK_MAX
    assert isinstance(d.order_ids[-1], UUID)
