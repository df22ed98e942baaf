"""Top-level GraphQL errors: a stable code on every expected one; bugs masked, logged with an id.

The same codes over HTTP and over WebSocket: a subscription's results are coded one by one as
they stream (its refusal at subscribe time, each pushed result, an error that ends the stream).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import psycopg
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import ExecutionResult, StreamExecutionResult

from api.graphql.problems import ForbiddenError
from api.http import limit_code
from application.deadline import TRANSIENT
from application.errors import DatabaseUnavailableError, ServiceUnavailableError
from domain.errors import DomainError

log = logging.getLogger("careledger.api")
SUGGESTION = " Did you mean"

DATABASE_AWAY = (*TRANSIENT, psycopg.OperationalError, psycopg.InterfaceError)


class ErrorCodes(SchemaExtension):
    """Gives each error `extensions.code`; replaces an unexpected one (a bug) with a masked
    message carrying the request id, under which the traceback is logged."""

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:  # a streamed operation's results were coded as they went
            self._code(self.execution_context.result)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        self._streamed = True
        self._code(result)
        yield

    def _code(self, result: object) -> None:
        if not isinstance(result, ExecutionResult | GraphQLExecutionResult) or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        services = getattr(context, "services", None)
        show_bugs = services is not None and not services.settings.is_production
        coded = [_coded(e, request_id, show_bugs) for e in result.errors]
        # strawberry hides suggestions for fields only; enum values, arguments, input fields
        # and type names would still let the schema be enumerated with introspection off
        result.errors = coded if show_bugs else [_without_suggestion(e) for e in coded]


def _coded(error: GraphQLError, request_id: str, show_bugs: bool) -> GraphQLError:
    original = error.original_error
    extensions = dict(error.extensions or {})
    if isinstance(original, DomainError | ForbiddenError | ServiceUnavailableError):
        extensions["code"] = original.code
    elif isinstance(original, DATABASE_AWAY):
        # Not a bug: the database failed under a read that has no deadline of its own.
        log.warning("request %s: database unavailable: %s", request_id, original)
        return GraphQLError(
            str(DatabaseUnavailableError()),
            nodes=error.nodes,
            path=error.path,
            extensions={"code": DatabaseUnavailableError.code},
        )
    elif isinstance(original, GlobalIDValueError):
        extensions["code"] = "VALIDATION_FAILED"  # a well-formed global id of no known type
    elif original is None or isinstance(original, GraphQLError):
        extensions.setdefault("code", limit_code(error.message) or "GRAPHQL_VALIDATION_FAILED")
    else:
        log.error("request %s: unexpected error in %s", request_id, error.path, exc_info=original)
        message = str(original) if show_bugs else "Internal error"
        return GraphQLError(
            f"{message} (request id {request_id})",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )


def _without_suggestion(error: GraphQLError) -> GraphQLError:
    if SUGGESTION not in error.message:
        return error
    error.message = error.message.split(SUGGESTION)[0].rstrip()
    return error
