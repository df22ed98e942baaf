"""Complaint clusters: recorded by the detector, accepted or dismissed by the commander.

Accepting opens the incident the cluster proposes and links its complaints and orders, through
the incident's own commands, before the acceptance itself is recorded: a retried acceptance
repeats those steps as replays (their ids derive from the acceptance's) and the incident's id
derives from the cluster's, so one cluster never opens two incidents.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from application.errors import NotFoundError
from application.handling import Outcome, command, new_id
from application.incidents import IncidentCommands
from domain.cluster import ClusterAlreadyDetectedError, ClusterDetection
from domain.incident import Incident
from domain.incident_types import IncidentSource
from domain.meta import Meta


def step_meta(meta: Meta, step: str) -> Meta:
    """The metadata of one step a command takes through another command: the same caller and
    time, an id derived from the command's, the command as its cause."""
    digest = hashlib.sha256(meta.command_id.encode()).hexdigest()[:24]
    return replace(meta, command_id=f"{digest}:{step}", causation_id=meta.command_id)


def incident_meta(meta: Meta, detection: UUID) -> Meta:
    """Reporting a cluster's incident has an id of the cluster's own, whoever accepts it."""
    return replace(meta, command_id=f"cluster-incident:{detection}", causation_id=meta.command_id)


def cluster_incident_id(meta: Meta, detection: UUID) -> UUID:
    return new_id(incident_meta(meta, detection), Incident)


class ClusterCommands(IncidentCommands):
    @command()
    def detect_cluster(
        self,
        meta: Meta,
        *,
        detection_id: UUID,
        rule: str,
        category: str,
        key_kind: str,
        key: str,
        trigger: str,
        complaint_ids: list[UUID],
        order_ids: list[UUID],
        first_at: datetime,
        last_at: datetime,
        incident_type: str,
        severity: str,
    ) -> Outcome:
        if self._exists(ClusterDetection, detection_id):
            raise ClusterAlreadyDetectedError(detection_id)
        return self.create(
            meta,
            ClusterDetection,
            lambda: ClusterDetection.detect(
                meta,
                id=detection_id,
                rule=rule,
                category=category,
                key_kind=key_kind,
                key=key,
                trigger=trigger,
                complaint_ids=complaint_ids,
                order_ids=order_ids,
                first_at=first_at,
                last_at=last_at,
                incident_type=incident_type,
                severity=severity,
            ),
        )

    @command()
    def grow_cluster(
        self,
        meta: Meta,
        detection_id: UUID,
        complaint_ids: list[UUID],
        order_ids: list[UUID],
        last_at: datetime,
    ) -> Outcome:
        detection = self.load(ClusterDetection, detection_id)
        if detection.incident_id is not None:
            # an accepted cluster's incident takes what joins it, before the growth is recorded
            known = set(detection.complaint_ids) | set(detection.order_ids)
            self._link(
                meta,
                detection.incident_id,
                [c for c in complaint_ids if c not in known],
                [o for o in order_ids if o not in known],
            )
        return self.change(
            meta,
            ClusterDetection,
            detection_id,
            lambda d: d.grow(meta, complaint_ids, order_ids, last_at),
        )

    @command()
    def accept_cluster(self, meta: Meta, detection_id: UUID) -> Outcome:
        detection = self.load(ClusterDetection, detection_id)
        detection.check_acceptable()
        incident_id = cluster_incident_id(meta, detection_id)
        if not self._exists(Incident, incident_id):
            self.report_incident(
                incident_meta(meta, detection_id),
                type=str(detection.incident_type),
                source=str(IncidentSource.COMPLAINT_CLUSTER),
                title=detection.title,
                description=detection.description,
            )
        self.assess_severity(
            step_meta(meta, "severity"),
            incident_id,
            str(detection.severity),
            f"complaint cluster rule {detection.rule}",
        )
        self._link(meta, incident_id, detection.complaint_ids, detection.order_ids)
        return self.change(
            meta, ClusterDetection, detection_id, lambda d: d.accept(meta, incident_id)
        )

    @command()
    def dismiss_cluster(self, meta: Meta, detection_id: UUID, reason: str) -> Outcome:
        return self.change(meta, ClusterDetection, detection_id, lambda d: d.dismiss(meta, reason))

    def _link(
        self, meta: Meta, incident_id: UUID, complaint_ids: list[UUID], order_ids: list[UUID]
    ) -> None:
        if complaint_ids:
            self.link_complaints(step_meta(meta, "complaints"), incident_id, complaint_ids)
        if order_ids:
            self.link_orders(step_meta(meta, "orders"), incident_id, order_ids)

    def _exists(self, kind: type[ClusterDetection] | type[Incident], aggregate_id: UUID) -> bool:
        try:
            self.load(kind, aggregate_id)
        except NotFoundError:
            return False
        return True
