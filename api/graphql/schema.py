"""The GraphQL schema: every query and mutation type merged, with the safety limits."""

from __future__ import annotations

from functools import cache

import strawberry
from strawberry import relay
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from api.graphql.audit import AuditQueries
from api.graphql.browse import BrowseQueries
from api.graphql.cluster_mutations import ClusterMutations
from api.graphql.clusters import ClusterQueries
from api.graphql.complaint_mutations import ComplaintMutations
from api.graphql.complaints import ComplaintQueries
from api.graphql.customer_export import CustomerExportQueries
from api.graphql.customer_mutations import CustomerMutations
from api.graphql.customers import CustomerQueries
from api.graphql.dashboards import DashboardQueries
from api.graphql.documents import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, documents
from api.graphql.errors import ErrorCodes
from api.graphql.find_customer import FindCustomerQueries
from api.graphql.history_import import HistoryImportMutations
from api.graphql.incident_mutations import IncidentMutations
from api.graphql.incidents import IncidentQueries
from api.graphql.lists import ListQueries
from api.graphql.notices import NoticeMutations, NoticeQueries, NoticeSubscriptions
from api.graphql.order_mutations import OrderMutations
from api.graphql.orders import OrderQueries
from api.graphql.payloads import name_payloads
from api.graphql.privacy import PrivacyQueries
from api.graphql.read_records import RecordReads
from api.graphql.reassignment import ReassignmentMutations
from api.graphql.scalars import SCALAR_OVERRIDES
from api.graphql.sla import SlaMutations, SlaQueries
from api.graphql.sla_whatif import SlaWhatIfQueries
from api.graphql.subscriptions import LiveSubscriptions
from api.graphql.survey_mutations import SurveyMutations
from api.graphql.surveys import SurveyQueries
from api.graphql.tiers import TierMutations, TierQueries
from api.graphql.webhooks import WebhookMutations, WebhookQueries

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_TOKENS", "build_schema", "shared_schema"]

QUERIES: tuple[type, ...] = (
    OrderQueries,
    ComplaintQueries,
    IncidentQueries,
    ClusterQueries,
    SurveyQueries,
    CustomerQueries,
    CustomerExportQueries,
    FindCustomerQueries,
    DashboardQueries,
    ListQueries,
    BrowseQueries,
    AuditQueries,
    PrivacyQueries,
    WebhookQueries,
    SlaQueries,
    SlaWhatIfQueries,
    TierQueries,
    NoticeQueries,
)
MUTATIONS: tuple[type, ...] = (
    OrderMutations,
    ComplaintMutations,
    ReassignmentMutations,
    HistoryImportMutations,
    IncidentMutations,
    ClusterMutations,
    SurveyMutations,
    CustomerMutations,
    NoticeMutations,
    WebhookMutations,
    SlaMutations,
    TierMutations,
)
SUBSCRIPTIONS: tuple[type, ...] = (LiveSubscriptions, NoticeSubscriptions)


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    # The relay node field can be converted into one schema only: make it afresh per schema.
    @strawberry.type
    class NodeQueries:
        node: relay.Node = relay.node(description="Any entity by its global id")

    # strawberry runs every hook of every extension on every request: keep them few
    extensions: list[object] = [documents(introspection=introspection), ErrorCodes, RecordReads]
    return strawberry.Schema(
        query=merge_types("Query", (NodeQueries, *QUERIES)),
        mutation=name_payloads(merge_types("Mutation", MUTATIONS)),
        subscription=merge_types("Subscription", SUBSCRIPTIONS),
        extensions=extensions,  # type: ignore[arg-type]
        scalar_overrides=SCALAR_OVERRIDES,
        config=StrawberryConfig(disable_field_suggestions=not introspection),
    )


@cache
def shared_schema(*, introspection: bool) -> strawberry.Schema:
    """The schema a service serves: built once per process for each flavour (it holds no state
    of any one service: the services reach resolvers through each request's context). Building
    it costs about 75 ms, which every app made in a process (a test suite makes hundreds) paid."""
    return build_schema(introspection=introspection)
