"""What an event that calls for notices asks for: the notifications to request, and to whom.

A customer is told of their order's confirmation and delay, a survey, a reply and a complaint's
outcome, through the channel they ordered or spoke through; staff are told of SLA warnings and
breaches, escalations, incidents' warnings and updates, clusters, disabled webhooks and broken
glass, through the routes (`routing.toml`) and the staff directory (`staff.toml`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

from application.app import CareLedger
from application.notifications import NoticeRequest
from delivery.delivery_settings import DeliverySettings
from delivery.pass_reads import NO_READS, Reads, read_as
from delivery.staff import Context, Directory, Routes
from delivery.templates import Templates
from domain.cluster import ClusterDetection
from domain.complaint import Complaint
from domain.customer import Customer
from domain.incident import Incident
from domain.notification import NoticeChannel, NoticeKind, RecipientKind
from domain.order import Order
from domain.survey import Survey
from domain.webhook import WebhookEndpoint
from projections.views.notice_work import Wanted

# the channel a customer is told through, by how they asked or spoke to us
VIA = {"sms": NoticeChannel.SMS, "email": NoticeChannel.EMAIL, "app": NoticeChannel.PUSH}
SPOKEN = {
    "email": NoticeChannel.EMAIL,
    "app": NoticeChannel.PUSH,
    "web": NoticeChannel.PUSH,
    "chat": NoticeChannel.PUSH,
}
CUSTOMER_KINDS = {
    "ConfirmationSent": NoticeKind.ORDER_CONFIRMATION,
    "DelayNoticeSent": NoticeKind.DELAY_NOTICE,
    "SurveySent": NoticeKind.SURVEY_INVITATION,
    "AgentReplied": NoticeKind.COMPLAINT_REPLY,
    "ComplaintResolved": NoticeKind.COMPLAINT_RESOLVED,
}
STAFF_KINDS = {
    "SlaWarning": NoticeKind.SLA_WARNING,
    "SlaBreached": NoticeKind.SLA_BREACH,
    "ComplaintEscalated": NoticeKind.ESCALATION,
    "WarningIssued": NoticeKind.INCIDENT_WARNING,
    "StatusUpdatePublished": NoticeKind.INCIDENT_UPDATE,
    "ClusterDetected": NoticeKind.CLUSTER_DETECTED,
    "WebhookEndpointDisabled": NoticeKind.WEBHOOK_DISABLED,
    "GlassBroken": NoticeKind.GLASS_BROKEN,
}
URGENT_CUSTOMER_NOTICES = frozenset({NoticeKind.ORDER_CONFIRMATION, NoticeKind.DELAY_NOTICE})


def short(entity_id: UUID) -> str:
    """The number a person reads out: the id's first eight hex digits."""
    return entity_id.hex[:8].upper()


@dataclass(frozen=True)
class Planned:
    request: NoticeRequest
    personal: dict[str, str] | None = None
    customer: Customer | None = None  # the recipient as read to plan it


class Planner:
    """Turns an event that calls for notices into the notifications to request."""

    def __init__(
        self,
        app: CareLedger,
        templates: Templates,
        directory: Directory,
        routes: Routes,
        settings: DeliverySettings,
    ) -> None:
        self.app = app
        self.templates = templates
        self.directory = directory
        self.routes = routes
        self.settings = settings

    def plan(self, wanted: Wanted, reads: Reads = NO_READS) -> list[Planned]:
        """`reads`: the aggregates the pass read for it (`sources_of`, `customers_of`); any
        other is loaded now."""
        if wanted.trigger in CUSTOMER_KINDS:
            planned = self._customer(wanted, CUSTOMER_KINDS[wanted.trigger], reads)
            return [] if planned is None else [planned]
        if wanted.trigger in STAFF_KINDS:
            return self._staff(wanted, STAFF_KINDS[wanted.trigger], reads)
        return []

    @staticmethod
    def sources_of(wanted: Iterable[Wanted]) -> set[UUID]:
        """What planning these events reads first: the aggregate each one is about."""
        return {w.source_id for w in wanted}

    @staticmethod
    def customers_of(reads: Reads) -> set[UUID]:
        """Whom those sources tell: the customers of the orders, surveys and complaints."""
        return {a.customer_id for a in reads.values() if isinstance(a, Order | Survey | Complaint)}

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(self.settings.zone)).strftime("%Y-%m-%d %H:%M")

    def _customer(self, wanted: Wanted, kind: NoticeKind, reads: Reads) -> Planned | None:
        fields, source = wanted.fields, wanted.source_id
        personal: dict[str, str] | None = None
        if kind in (NoticeKind.ORDER_CONFIRMATION, NoticeKind.DELAY_NOTICE):
            order = read_as(Order, source, reads, self.app)
            customer_id, subject = order.customer_id, "order"
            channel = VIA.get(str(fields.get("via")), NoticeChannel.SMS)
            public = {
                "order_no": short(source),
                "restaurant": order.restaurant,
                "promised_at": self._local(order.promised_at),
            }
        elif kind is NoticeKind.SURVEY_INVITATION:
            survey = read_as(Survey, source, reads, self.app)
            customer_id, subject = survey.customer_id, "survey"
            channel = VIA.get(str(fields.get("via")), NoticeChannel.SMS)
            public = {"survey_no": short(source), "subject": str(survey.subject)}
        else:
            complaint = read_as(Complaint, source, reads, self.app)
            customer_id, subject = complaint.customer_id, "complaint"
            channel = SPOKEN.get(str(complaint.channel), NoticeChannel.SMS)
            public = {"complaint_no": short(source)}
            if kind is NoticeKind.COMPLAINT_REPLY:
                sealed = wanted.sealed("content")
                reply = self.app.vault.open_optional(sealed)
                personal = {"reply": reply or ""}
            else:
                public["resolution"] = str(fields.get("outcome", ""))
        customer = read_as(Customer, customer_id, reads, self.app)
        template = self.templates.choose(kind, customer.locale)
        request = NoticeRequest(
            kind=kind,
            recipient_kind=RecipientKind.CUSTOMER,
            recipient_id=str(customer_id),
            channel=channel,
            subject_type=subject,
            subject_id=source,
            template_locale=template.locale,
            template_version=template.version,
            public=public,
            urgent=kind in URGENT_CUSTOMER_NOTICES,
            max_attempts=self.settings.max_attempts,
        )
        # an erased customer's reply stays unreadable: the request records only the intent
        kept = personal if personal and personal["reply"] != "[erased]" else None
        return Planned(request, kept, customer)

    def _staff(self, wanted: Wanted, kind: NoticeKind, reads: Reads) -> list[Planned]:
        fields, source = wanted.fields, wanted.source_id
        if kind in (NoticeKind.SLA_WARNING, NoticeKind.SLA_BREACH, NoticeKind.ESCALATION):
            complaint = read_as(Complaint, source, reads, self.app)
            subject = "complaint"
            ctx = Context(
                assignee=complaint.assignee,
                department=None if complaint.department is None else str(complaint.department),
                escalation_level=int(fields.get("level") or complaint.escalation_level or 0),
            )
            public = {
                "complaint_no": short(source),
                "severity": str(complaint.severity or "unclassified"),
            }
            if kind is NoticeKind.ESCALATION:
                public |= {"level": str(fields.get("level")), "trigger": str(fields.get("trigger"))}
            else:
                public["clock"] = str(fields.get("clock"))
                due = fields.get("due_at")
                if due is None:  # a breach tells how late; its due time is that long before
                    late = timedelta(seconds=int(fields.get("late_by_s") or 0))
                    due_at = wanted.occurred_at - late
                else:
                    due_at = datetime.fromisoformat(str(due))
                public["due_at"] = self._local(due_at)
        elif kind is NoticeKind.CLUSTER_DETECTED:
            cluster = read_as(ClusterDetection, source, reads, self.app)
            subject = "cluster"
            ctx = Context()
            spread = (cluster.last_at - cluster.first_at).total_seconds()
            public = {
                "category": str(cluster.category),
                "key": f"{str(cluster.key_kind).replace('_', ' ')} {cluster.key}",
                "count": str(len(cluster.complaint_ids)),
                "window_min": str(max(1, math.ceil(spread / 60))),
            }
        elif kind is NoticeKind.WEBHOOK_DISABLED:
            endpoint = read_as(WebhookEndpoint, source, reads, self.app)
            subject = "webhook"
            ctx = Context(owner=str(fields.get("owner") or "") or None)
            public = {
                "endpoint": urlsplit(endpoint.url).hostname or "?",
                "failures": str(fields.get("failures", 0)),
            }
        elif kind is NoticeKind.GLASS_BROKEN:
            subject, ctx = "customer", Context()
            public = {
                "customer_no": short(source),
                "actor": wanted.actor_id,
                "role": str(fields.get("role") or "staff"),
                "until": self._local(datetime.fromisoformat(str(fields["until"]))),
            }
        else:
            incident = read_as(Incident, source, reads, self.app)
            subject = "incident"
            ctx = Context(commander=incident.roles.get("commander"))
            public = {"incident_no": short(source), "title": incident.title}
            if kind is NoticeKind.INCIDENT_WARNING:
                public["colour"] = str(fields.get("colour"))
            else:
                public |= {
                    "audience": str(fields.get("audience")),
                    "message": str(fields.get("message")),
                }
        recipients, urgent = self.routes.recipients(self.directory, kind, fields, ctx)
        template = self.templates.choose(kind, None)
        return [
            Planned(
                NoticeRequest(
                    kind=kind,
                    recipient_kind=r.kind,
                    recipient_id=r.id,
                    channel=r.channel,
                    subject_type=subject,
                    subject_id=source,
                    template_locale=template.locale,
                    template_version=template.version,
                    public=public,
                    urgent=urgent,
                    max_attempts=self.settings.max_attempts,
                )
            )
            for r in recipients
        ]
