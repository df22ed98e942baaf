"""The GraphQL schema: every query and mutation type merged, with the safety limits."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from api.audit import AuditQueries
from api.complaint_mutations import ComplaintMutations
from api.complaints import ComplaintQueries
from api.customer_export import CustomerExportQueries
from api.customer_mutations import CustomerMutations
from api.customers import CustomerQueries
from api.dashboards import DashboardQueries
from api.errors import ErrorCodes
from api.incident_mutations import IncidentMutations
from api.incidents import IncidentQueries
from api.lists import ListQueries
from api.order_mutations import OrderMutations
from api.orders import OrderQueries
from api.subscriptions import LiveSubscriptions
from api.survey_mutations import SurveyMutations
from api.surveys import SurveyQueries

MAX_DEPTH = 10
MAX_TOKENS = 5000
MAX_ALIASES = 20


QUERIES: tuple[type, ...] = (
    OrderQueries,
    ComplaintQueries,
    IncidentQueries,
    SurveyQueries,
    CustomerQueries,
    CustomerExportQueries,
    DashboardQueries,
    ListQueries,
    AuditQueries,
)
MUTATIONS: tuple[type, ...] = (
    OrderMutations,
    ComplaintMutations,
    IncidentMutations,
    SurveyMutations,
    CustomerMutations,
)
SUBSCRIPTIONS: tuple[type, ...] = (LiveSubscriptions,)


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    # The relay node field can be converted into one schema only: make it afresh per schema.
    @strawberry.type
    class NodeQueries:
        node: relay.Node = relay.node(description="Any entity by its global id")

    extensions: list[object] = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        ParserCache,
        ValidationCache,
        ErrorCodes,
    ]
    if not introspection:
        from strawberry.extensions import DisableIntrospection

        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=merge_types("Query", (NodeQueries, *QUERIES)),
        mutation=merge_types("Mutation", MUTATIONS),
        subscription=merge_types("Subscription", SUBSCRIPTIONS),
        extensions=extensions,  # type: ignore[arg-type]
        config=StrawberryConfig(disable_field_suggestions=not introspection),
    )
