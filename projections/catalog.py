"""Every read model the service keeps, by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from projections.engine.projection import Projection
from projections.views.agent_queue import AgentQueueProjection
from projections.views.audit_chain import AuditChainProjection
from projections.views.audit_trail import AuditTrailProjection
from projections.views.complaint_clusters import ComplaintClustersProjection
from projections.views.complaint_dashboard import ComplaintDashboardProjection
from projections.views.complaint_index import ComplaintIndexProjection
from projections.views.export_rows import ExportRowsProjection
from projections.views.incident_board import IncidentBoardProjection
from projections.views.incident_index import IncidentIndexProjection
from projections.views.notices import NoticesProjection
from projections.views.order_delays import OrderDelaysProjection
from projections.views.order_index import OrderIndexProjection
from projections.views.personal_data_reads import PersonalDataReadsProjection
from projections.views.promise_watch import PromiseWatchProjection
from projections.views.satisfaction import SatisfactionProjection
from projections.views.sla_schedule import SlaScheduleProjection
from projections.views.sla_timeline import SlaTimelineProjection

CATALOG: dict[str, Callable[[], Projection]] = {
    kind.name: kind
    for kind in (
        AgentQueueProjection,
        AuditChainProjection,
        AuditTrailProjection,
        ComplaintClustersProjection,
        ComplaintDashboardProjection,
        ComplaintIndexProjection,
        ExportRowsProjection,
        IncidentBoardProjection,
        IncidentIndexProjection,
        NoticesProjection,
        OrderDelaysProjection,
        OrderIndexProjection,
        PersonalDataReadsProjection,
        PromiseWatchProjection,
        SatisfactionProjection,
        SlaScheduleProjection,
        SlaTimelineProjection,
    )
}


class UnknownProjectionError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no projection named {name!r}; known: {', '.join(sorted(CATALOG))}")


def projections(names: Sequence[str] = ()) -> list[Projection]:
    """The named projections (all of them when no name is given)."""
    for name in names:
        if name not in CATALOG:
            raise UnknownProjectionError(name)
    return [CATALOG[name]() for name in (names or sorted(CATALOG))]
