"""`careledger scenario`: the short scripted day, its incident from a detected cluster."""

from __future__ import annotations

from application.app import CareLedger
from demo.scenario import describe, run_scenario
from domain.incident import Incident
from projections.engine.store import ViewStore


def test_the_scenarios_incident_is_an_accepted_complaint_cluster(
    app: CareLedger, views: ViewStore
) -> None:
    ids = run_scenario(app, views)
    incident = app.load(Incident, ids["incident"])
    # three food-safety complaints about one kitchen, proposed and accepted, then run to its end
    assert (incident.source, incident.severity, str(incident.status)) == (
        "complaint_cluster",
        "II",
        "Closed",
    )
    assert len(incident.complaint_ids) == 3 and ids["order"] in incident.order_ids
    assert ("incident", "Closed", "v15, severity II, from complaint_cluster") in [
        tuple(row) for row in describe(app, ids)
    ]
