"""Which member of its result union each mutation answered, for the request's metrics."""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types.base import get_object_definition

from api.graphql.context import Info
from api.http import Exchange


class PayloadNames(FieldExtension):
    """Notes the GraphQL type of a mutation's answer (e.g. `TransitionRefused`) on the HTTP
    exchange: a refused command is data, so `/metrics` counts it by what it returned."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        payload = await next_(source, info, **kwargs)
        exchange: Exchange | None = info.context.request.scope.get("careledger.exchange")
        definition = get_object_definition(payload)
        if exchange is not None and definition is not None:
            exchange.payloads.append(definition.name)
        return payload


def name_payloads(mutation: type) -> type:
    """Every field of the merged mutation type notes its answer (once, however many schemas)."""
    for field in mutation.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(extension, PayloadNames) for extension in field.extensions):
            field.extensions.append(PayloadNames())
    return mutation
