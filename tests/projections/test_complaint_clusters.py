from __future__ import annotations

from application.app import CareLedger
from policies.cluster_detector import ClusterDetector
from projections.engine import tracking
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.complaint_cluster_queries import cluster_detections, unrecorded_clusters
from projections.views.complaint_clusters import ComplaintClustersProjection
from tests.policies.clusters import COMMANDER, Kitchens
from tests.projections.batch_invariance import dump, live_and_rebuilt
from tests.projections.catch_up import Project
from tests.support import T0, hours, meta, minutes

NOON = hours(3)


def clustered_day(app: CareLedger, views: ViewStore) -> None:
    """A kitchen's cluster that grows and is accepted, one that is dismissed, a region's
    cluster across kitchens, and complaints that form nothing."""
    k = Kitchens(app)
    detector = ClusterDetector(app, views)
    for n in range(3):
        k.ill(NOON + minutes(10 * n))
    for n in range(3):
        k.ill(NOON + minutes(10 * n), restaurant="Noodle House")
    detector.detect(T0 + hours(7))
    detector.runner.catch_up()
    kitchen, noodles = cluster_detections(views).rows
    app.accept_cluster(meta(hours(7), COMMANDER), kitchen.detection_id)
    app.dismiss_cluster(meta(hours(7), COMMANDER), noodles.detection_id, "prank")
    k.ill(NOON + minutes(45))
    k.ill(NOON + minutes(45), restaurant="Noodle House")
    for n in range(6):
        k.ill(NOON + minutes(n), restaurant=f"Stall {n}", region="haidian")
    k.ill(NOON + hours(9))
    detector.detect(T0 + hours(8))
    detector.runner.catch_up()


def test_clusters_as_the_detector_left_them(app: CareLedger, views: ViewStore) -> None:
    clustered_day(app, views)
    page = cluster_detections(views)
    assert [(c.rule, c.key, c.status, c.size, c.recorded) for c in page.rows] == [
        ("food_safety_restaurant", "Golden Dumpling", "accepted", 4, 4),
        ("food_safety_restaurant", "Noodle House", "dismissed", 3, 3),
        ("food_safety_region", "haidian", "proposed", 6, 6),
    ]
    assert page.rows[0].incident_id is not None and page.rows[0].decided_by == "sup-zhou"
    assert unrecorded_clusters(views) == []
    # the pages and the status filter
    first = cluster_detections(views, limit=2)
    assert cluster_detections(views, after=first.after).rows == page.rows[2:]
    assert [c.key for c in cluster_detections(views, status="dismissed").rows] == ["Noodle House"]


def test_rebuilt_in_any_batches_equals_the_live_view(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    clustered_day(app, views)
    projection = ComplaintClustersProjection()
    live, rebuilt = live_and_rebuilt(app, views, projection)
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 3)
    Runner(app, views, projection, batch_size=1, generation=3).catch_up()
    assert live == rebuilt == dump(views, projection, 3)
    assert len(live["clusters"]) == 3
