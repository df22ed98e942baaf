from __future__ import annotations

from uuid import UUID

from application.handling import CommandHandling, Outcome, command, new_id
from domain.complaint import Complaint
from domain.incident import Incident
from domain.incident_types import id_list
from domain.meta import Meta
from domain.order import Order


class IncidentCommands(CommandHandling):
    @command()
    def report_incident(
        self, meta: Meta, *, type: str, source: str, title: str, description: str
    ) -> Outcome:
        return self.create(
            meta,
            Incident,
            lambda: Incident.report(
                meta,
                id=new_id(meta, Incident),
                type=type,
                source=source,
                title=title,
                description=description,
            ),
        )

    @command()
    def issue_warning(self, meta: Meta, incident_id: UUID, colour: str) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.issue_warning(meta, colour))

    @command()
    def confirm_incident(self, meta: Meta, incident_id: UUID) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.confirm(meta))

    @command()
    def decline_incident(self, meta: Meta, incident_id: UUID) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.decline(meta))

    @command()
    def assess_severity(self, meta: Meta, incident_id: UUID, level: str, reason: str) -> Outcome:
        return self.change(
            meta, Incident, incident_id, lambda i: i.assess_severity(meta, level, reason)
        )

    @command()
    def report_to_superior(self, meta: Meta, incident_id: UUID, to: str) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.report_to_superior(meta, to))

    @command()
    def establish_command(self, meta: Meta, incident_id: UUID, commander: str) -> Outcome:
        return self.change(
            meta, Incident, incident_id, lambda i: i.establish_command(meta, commander)
        )

    @command()
    def assign_role(self, meta: Meta, incident_id: UUID, role: str, person: str) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.assign_role(meta, role, person))

    @command()
    def allocate_resource(self, meta: Meta, incident_id: UUID, resource: str) -> Outcome:
        return self.change(
            meta, Incident, incident_id, lambda i: i.allocate_resource(meta, resource)
        )

    @command()
    def take_action(self, meta: Meta, incident_id: UUID, kind: str, detail: str) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.take_action(meta, kind, detail))

    @command()
    def publish_status_update(
        self, meta: Meta, incident_id: UUID, audience: str, message: str
    ) -> Outcome:
        return self.change(
            meta, Incident, incident_id, lambda i: i.publish_status_update(meta, audience, message)
        )

    @command()
    def record_impact(
        self, meta: Meta, incident_id: UUID, orders: int, customers: int, regions: list[str]
    ) -> Outcome:
        return self.change(
            meta, Incident, incident_id, lambda i: i.record_impact(meta, orders, customers, regions)
        )

    @command()
    def link_orders(self, meta: Meta, incident_id: UUID, order_ids: list[UUID]) -> Outcome:
        """Links kept both ways: each order newly linked records the incident too, in the same
        transaction."""
        self._all_exist(Order, order_ids)

        def link(incident: Incident) -> list[Order]:
            incident.link_orders(meta, order_ids)
            orders = [self.load(Order, i) for i in dict.fromkeys(order_ids)]
            return [o for o in orders if o.note_incident_link(meta, incident_id)]

        return self.change_together(meta, Incident, incident_id, link)

    @command()
    def link_complaints(self, meta: Meta, incident_id: UUID, complaint_ids: list[UUID]) -> Outcome:
        """Links kept both ways: each complaint newly linked records the incident too, in the
        same transaction."""
        self._all_exist(Complaint, complaint_ids)

        def link(incident: Incident) -> list[Complaint]:
            incident.link_complaints(meta, complaint_ids)
            complaints = [self.load(Complaint, i) for i in dict.fromkeys(complaint_ids)]
            return [c for c in complaints if c.note_incident_link(meta, incident_id)]

        return self.change_together(meta, Incident, incident_id, link)

    @command()
    def mitigate_incident(self, meta: Meta, incident_id: UUID) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.mitigate(meta))

    @command()
    def resolve_incident(self, meta: Meta, incident_id: UUID) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.resolve(meta))

    @command()
    def start_review(self, meta: Meta, incident_id: UUID) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.start_review(meta))

    @command()
    def complete_review(
        self, meta: Meta, incident_id: UUID, root_cause: str, follow_ups: list[str]
    ) -> Outcome:
        return self.change(
            meta, Incident, incident_id, lambda i: i.complete_review(meta, root_cause, follow_ups)
        )

    @command()
    def close_incident(self, meta: Meta, incident_id: UUID) -> Outcome:
        return self.change(meta, Incident, incident_id, lambda i: i.close(meta))

    @command()
    def merge_incident(self, meta: Meta, incident_id: UUID, into: UUID) -> Outcome:
        self.load(Incident, into)
        return self.change(meta, Incident, incident_id, lambda i: i.merge_into(meta, into))

    def _all_exist(self, kind: type[Order] | type[Complaint], ids: list[UUID]) -> None:
        """Each id names a recorded aggregate of the kind (NOT_FOUND names the first that
        does not)."""
        field = f"{kind.__name__.lower()}_ids"
        for aggregate_id in dict.fromkeys(id_list(field, ids)):
            self.load(kind, aggregate_id)
