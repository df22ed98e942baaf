from __future__ import annotations

import pytest

from application.app import CareLedger
from application.clusters import cluster_incident_id, incident_meta
from domain.cluster import ClusterDetection, ClusterStatus
from domain.complaint import Complaint
from domain.errors import TransitionRefusedError
from domain.incident import Incident
from domain.meta import Actor, ActorKind
from policies.cluster_detector import ClusterDetector
from policies.loop import PolicyLoop
from projections.engine.store import ViewStore
from projections.views.complaint_clusters import ComplaintClustersProjection
from tests.policies.clusters import COMMANDER, DETECTOR, Kitchens, detection, detections
from tests.policies.history import History, names
from tests.support import CUSTOMER, T0, hours, meta, minutes

NOON = hours(3)  # 12:00


def test_just_below_the_threshold_nothing_at_it_a_detection(
    app: CareLedger, views: ViewStore
) -> None:
    k = Kitchens(app)
    detector = ClusterDetector(app, views)
    # given an order of the kitchen nobody complains about, then two ill customers
    quiet = k.order(NOON - minutes(30))
    first, second = k.ill(NOON), k.ill(NOON + minutes(10))
    other_kitchen = k.ill(NOON, restaurant="Noodle House")
    # when detecting: two complaints are below the food-safety threshold of three
    assert detector.detect(T0 + hours(7)) == 0
    assert detections(app) == []
    # when a third is filed within two hours of them, then one detection, proposing an incident
    third = k.ill(NOON + minutes(40))
    assert detector.detect(T0 + hours(7)) == 1
    (found,) = detections(app)
    assert found.meta.actor == DETECTOR
    assert (found.rule, found.key_kind, found.key) == (
        "food_safety_restaurant",
        "restaurant",
        "Golden Dumpling",
    )
    assert found.complaint_ids == [first, second, third]
    assert other_kitchen not in found.complaint_ids
    assert (found.incident_type, found.severity, found.trigger) == (
        "public_health",
        "II",
        "threshold",
    )
    # the likely blast radius: the kitchen's orders from six hours before the first complaint
    kitchen_orders = {app.load(Complaint, c).order_id for c in (first, second, third)}
    assert set(found.order_ids) == kitchen_orders | {quiet}
    # when detecting again, or by a restarted detector, then nothing more
    assert detector.detect(T0 + hours(8)) == 0
    assert ClusterDetector(app, views).detect(T0 + hours(8)) == 0
    assert len(detections(app)) == 1


def test_complaints_further_apart_than_the_window_form_no_cluster(
    app: CareLedger, views: ViewStore
) -> None:
    k = Kitchens(app)
    for n in range(3):
        k.ill(NOON + hours(2.5 * n))
    assert ClusterDetector(app, views).detect(T0 + hours(12)) == 0
    assert detections(app) == []


def test_a_growing_cluster_updates_its_proposal(app: CareLedger, views: ViewStore) -> None:
    k = Kitchens(app)
    detector = ClusterDetector(app, views)
    for n in range(3):
        k.ill(NOON + minutes(10 * n))
    detector.detect(T0 + hours(7))
    (found,) = detections(app)
    history = History(app, found.originator_id)
    # when a fourth and a fifth complaint join within the window
    joined = [k.ill(NOON + minutes(90)), k.ill(NOON + minutes(200))]
    # then the same detection grows, the first restart repeats nothing, and no second is proposed
    assert detector.detect(T0 + hours(8)) == 1
    assert ClusterDetector(app, views).detect(T0 + hours(8)) == 0
    (grew,) = history.new()
    assert type(grew).__name__ == "ClusterGrew"
    assert grew.complaint_ids == joined
    assert len(detections(app)) == 1
    assert len(detection(app, found.originator_id).complaint_ids) == 5


def test_a_dismissed_cluster_takes_no_more_and_is_not_proposed_again(
    app: CareLedger, views: ViewStore
) -> None:
    k = Kitchens(app)
    detector = ClusterDetector(app, views)
    for n in range(3):
        k.ill(NOON + minutes(10 * n))
    detector.detect(T0 + hours(7))
    (found,) = detections(app)
    # when the commander dismisses it
    app.dismiss_cluster(meta(hours(7), COMMANDER), found.originator_id, "one_household")
    dismissed = detection(app, found.originator_id)
    assert (dismissed.status, dismissed.decided_by) == (ClusterStatus.DISMISSED, "sup-zhou")
    assert dismissed.dismissal_reason == "one_household"
    # then a fourth complaint within its window neither grows it nor proposes it again
    k.ill(NOON + minutes(40))
    assert detector.detect(T0 + hours(8)) == 0
    assert ClusterDetector(app, views).detect(T0 + hours(8)) == 0
    assert names(History(app, found.originator_id).all())[-1] == "ClusterDismissed"
    assert len(detections(app)) == 1
    # but three new complaints of their own form a new cluster, without the dismissed ones
    fresh = [k.ill(NOON + minutes(50)), k.ill(NOON + minutes(60))]
    assert detector.detect(T0 + hours(8)) == 1
    second = detections(app)[1]
    assert second.originator_id != found.originator_id
    assert len(second.complaint_ids) == 3 and set(fresh) <= set(second.complaint_ids)
    assert not set(second.complaint_ids) & set(found.complaint_ids)


def test_accepting_opens_the_incident_with_its_links(app: CareLedger, views: ViewStore) -> None:
    k = Kitchens(app)
    detector = ClusterDetector(app, views)
    for n in range(3):
        k.ill(NOON + minutes(10 * n))
    detector.detect(T0 + hours(7))
    (found,) = detections(app)
    # when the commander accepts the proposal
    accept = meta(hours(7) + minutes(5), COMMANDER, command_id="accept-1")
    outcome = app.accept_cluster(accept, found.originator_id)
    accepted = app.load(ClusterDetection, outcome.aggregate_id)
    assert (accepted.status, accepted.decided_by) == (ClusterStatus.ACCEPTED, "sup-zhou")
    assert accepted.incident_id is not None
    incident = app.load(Incident, accepted.incident_id)
    # then the incident is the rule's, from the cluster, with its complaints and orders linked
    assert (incident.source, incident.type, incident.severity) == (
        "complaint_cluster",
        "public_health",
        "II",
    )
    assert incident.reported_at == T0 + hours(7) + minutes(5)
    assert incident.complaint_ids == found.complaint_ids
    assert incident.order_ids == found.order_ids
    assert incident.title == "3 food_safety complaints about restaurant Golden Dumpling"
    # a repeated acceptance is a replay, another one is refused; still one incident
    assert app.accept_cluster(accept, found.originator_id).replayed
    with pytest.raises(TransitionRefusedError):
        app.accept_cluster(meta(hours(8), COMMANDER), found.originator_id)
    assert History(app, incident.id).count("IncidentReported") == 1
    # when the accepted cluster grows, the new complaint is linked to its incident as well
    later = k.ill(NOON + minutes(60))
    assert detector.detect(T0 + hours(8)) == 1
    assert app.load(Incident, incident.id).complaint_ids[-1] == later


def test_an_acceptance_interrupted_before_it_was_recorded_opens_the_same_incident(
    app: CareLedger, views: ViewStore
) -> None:
    k = Kitchens(app)
    for n in range(3):
        k.ill(NOON + minutes(10 * n))
    ClusterDetector(app, views).detect(T0 + hours(7))
    (found,) = detections(app)
    # given the incident reported as an acceptance's first step, the acceptance never recorded
    first = meta(hours(7), COMMANDER, command_id="accept-lost")
    app.report_incident(
        incident_meta(first, found.originator_id),
        type="public_health",
        source="complaint_cluster",
        title="t",
        description="d",
    )
    # when another commander accepts under another command id
    other = meta(hours(7) + minutes(1), Actor(ActorKind.SUPERVISOR, "sup-li", "incident_commander"))
    accepted = app.load(
        ClusterDetection, app.accept_cluster(other, found.originator_id).aggregate_id
    )
    # then it completes on the same incident
    assert accepted.incident_id == cluster_incident_id(first, found.originator_id)
    assert app.load(Incident, accepted.incident_id).complaint_ids == found.complaint_ids


def test_a_region_cluster_across_kitchens(app: CareLedger, views: ViewStore) -> None:
    k = Kitchens(app)
    # given six ill customers of six kitchens in one region, and one elsewhere
    for n in range(6):
        k.ill(NOON + minutes(5 * n), restaurant=f"Kitchen {n}", region="haidian")
    k.ill(NOON, restaurant="Kitchen 9", region="xicheng")
    assert ClusterDetector(app, views).detect(T0 + hours(7)) == 1
    (found,) = detections(app)
    assert (found.rule, found.key) == ("food_safety_region", "haidian")
    assert len(found.complaint_ids) == len(found.order_ids) == 6


def test_a_rate_far_above_the_keys_baseline(app: CareLedger, views: ViewStore) -> None:
    k = Kitchens(app)
    # given four product-quality complaints about one kitchen in an hour, with no history
    for n in range(4):
        k.complaint(k.order(NOON + minutes(n)), NOON + minutes(10 * n), "product_quality", "cold")
    assert ClusterDetector(app, views).detect(T0 + hours(7)) == 1
    (found,) = detections(app)
    assert (found.rule, found.trigger) == ("product_quality_restaurant", "baseline")


def test_unwatched_categories_and_complaints_without_orders_form_nothing(
    app: CareLedger, views: ViewStore
) -> None:
    k = Kitchens(app)
    for n in range(10):
        k.complaint(k.order(NOON), NOON + minutes(n), "service_attitude", "rude")
    for _ in range(4):
        loose = app.file_complaint(
            meta(NOON, CUSTOMER),
            customer_id=k.customer,
            order_id=None,
            content="ill",
            channel="app",
        ).aggregate_id
        app.classify_complaint(meta(NOON), loose, "food_safety", "food_poisoning", "urgent")
    assert ClusterDetector(app, views).detect(T0 + hours(7)) == 0
    assert detections(app) == []


def test_the_policy_loop_runs_the_detector(app: CareLedger, views: ViewStore) -> None:
    k = Kitchens(app)
    for n in range(3):
        k.ill(NOON + minutes(10 * n))
    loop = PolicyLoop(app, views, clock=lambda: T0 + hours(7))
    loop.run_once()
    assert len(detections(app)) == 1
    assert ComplaintClustersProjection.name in PolicyLoop.views


def test_a_complaint_linked_to_its_order_later_counts_from_then_on(
    app: CareLedger, views: ViewStore
) -> None:
    k = Kitchens(app)
    k.ill(NOON)
    k.ill(NOON + minutes(10))
    # given a third ill customer who filed without naming the order, classified at once
    order = k.order(NOON)
    third = app.file_complaint(
        meta(NOON + hours(3), CUSTOMER),
        customer_id=k.customer,
        order_id=None,
        content="ill",
        channel="app",
    ).aggregate_id
    app.classify_complaint(meta(NOON + hours(3)), third, "food_safety", "food_poisoning", "urgent")
    detector = ClusterDetector(app, views)
    assert detector.detect(T0 + hours(7)) == 0
    # when the agent links the order, then the three form the kitchen's cluster
    app.link_complaint(meta(NOON + hours(4)), third, order_id=order)
    assert detector.detect(T0 + hours(7)) == 1
    (found,) = detections(app)
    assert third in found.complaint_ids and order in found.order_ids


def test_a_courier_companys_cluster_far_above_its_rate(app: CareLedger, views: ViewStore) -> None:
    k = Kitchens(app)
    # given ten late deliveries by one courier company within the hour, from ten kitchens
    for n in range(10):
        order = k.order(NOON + minutes(n), restaurant=f"Kitchen {n}", region=f"region-{n}")
        app.confirm_order(meta(NOON + minutes(n + 1)), order)
        app.start_preparation(meta(NOON + minutes(n + 2)), order)
        app.pack_order(meta(NOON + minutes(n + 3)), order)
        app.assign_courier(meta(NOON + minutes(n + 4)), order, f"rider-{n}", "fleet-east")
        k.complaint(order, NOON + minutes(30 + n), "logistics", "late_delivery")
    # then the company's rule fires on its baseline (no history: ten is its minimum)
    assert ClusterDetector(app, views).detect(T0 + hours(7)) == 1
    (found,) = detections(app)
    assert (found.rule, found.key_kind, found.key, found.trigger) == (
        "logistics_courier_provider",
        "courier_provider",
        "fleet-east",
        "baseline",
    )
    assert len(found.order_ids) == 10
