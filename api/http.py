"""GraphQL over HTTP (graphql.github.io/graphql-over-http): media types, status codes, limits.

Pure functions and values; the view in api/view.py applies them to each request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, StringValueNode, parse, visit
from graphql.language import Visitor
from graphql.utilities import get_operation_ast
from strawberry.http import GraphQLRequestData

from domain.values import TEXT_MAX

JSON = "application/json"
GRAPHQL_JSON = "application/graphql-response+json"
MAX_BODY_BYTES = 256 * 1024
MAX_INPUT_CHARS = TEXT_MAX  # the longest text the domain accepts anywhere
CACHED_DOCUMENT_CHARS = 20_000

ACCEPTED = {GRAPHQL_JSON: GRAPHQL_JSON, JSON: JSON, "application/*": JSON, "*/*": JSON}

# Validation errors raised by strawberry's limit extensions, recognised by their wording.
LIMIT_CODES = (
    ("exceeds maximum operation depth", "QUERY_TOO_DEEP"),
    ("aliases found. Allowed", "TOO_MANY_ALIASES"),
    ("introspection has been disabled", "INTROSPECTION_DISABLED"),
)


class RequestRefused(Exception):
    """A request that is not well-formed GraphQL over HTTP: answered before anything runs."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


@dataclass
class Exchange:
    """What one HTTP request turned out to be, for the response and the metrics."""

    media: str | None
    operation: str = "unknown"
    outcome: str | None = None
    codes: list[str] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)  # the type each mutation field answered


@dataclass(frozen=True)
class Inspection:
    operation: str | None
    problem: GraphQLError | None = None
    document: DocumentNode | None = None


def negotiate(accept: str | None) -> str | None:
    """The response media type: the acceptable one with the highest quality, the first listed
    on a tie; JSON when the client states no preference; None when nothing we speak fits."""
    if accept is None or not accept.strip():
        return JSON
    chosen, best = None, 0.0
    for part in accept.split(","):
        media, _, params = part.partition(";")
        candidate = ACCEPTED.get(media.strip().lower())
        quality = _quality(params)
        if candidate is not None and quality > best:
            chosen, best = candidate, quality
    return chosen


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def content_type_header(media: str) -> str:
    return f"{media}; charset=utf-8"


def status_for(media: str, body: Mapping[str, Any]) -> int:
    """200 whenever execution started; a request error (no `data`) is 400 only in the
    graphql-response media type, which was made to tell them apart."""
    if media == GRAPHQL_JSON and "data" not in body:
        return 400
    return 200


UNAVAILABLE_CODES = frozenset({"UNAVAILABLE", "OUTCOME_UNKNOWN"})


def unavailable(body: Mapping[str, Any]) -> bool:
    """Whether the database failed the request (answered 503 with Retry-After)."""
    errors = body.get("errors") or []
    return any((e.get("extensions") or {}).get("code") in UNAVAILABLE_CODES for e in errors)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def decode_request(
    method: str, content_type: str | None, query_params: Mapping[str, Any], body: bytes
) -> GraphQLRequestData:
    if method == "GET":
        data: Any = dict(query_params)
        for name in ("variables", "extensions"):
            if data.get(name):
                data[name] = _json(data[name], f"the `{name}` parameter")
    else:
        media = (content_type or "").partition(";")[0].strip().lower()
        if media != JSON:
            raise RequestRefused(
                415, "UNSUPPORTED_MEDIA_TYPE", f"send the request as {JSON}, not {media!r}"
            )
        data = _json(body, "the request body")
    return _request_data(data)


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RequestRefused(400, "INVALID_JSON", f"{what} is not valid JSON: {error}") from None
    except RecursionError:
        raise RequestRefused(400, "INVALID_JSON", f"{what} is nested too deeply") from None


def _request_data(data: Any) -> GraphQLRequestData:
    if isinstance(data, list):
        raise RequestRefused(400, "BATCHING_UNSUPPORTED", "send one operation per request")
    if not isinstance(data, dict):
        raise RequestRefused(400, "BAD_REQUEST", "the request must be a JSON object")
    query = data.get("query")
    if query is None or query == "":
        raise RequestRefused(400, "MISSING_QUERY", "the request has no `query`")
    _expect(query, str, "query", "a string")
    _expect(data.get("operationName"), str, "operationName", "a string")
    _expect(data.get("variables"), dict, "variables", "an object")
    _expect(data.get("extensions"), dict, "extensions", "an object")
    return GraphQLRequestData(
        query=query,
        variables=data.get("variables"),
        operation_name=data.get("operationName"),
        extensions=data.get("extensions"),
    )


def _expect(value: object, kind: type, name: str, noun: str) -> None:
    if value is not None and not isinstance(value, kind):
        raise RequestRefused(400, "BAD_REQUEST", f"`{name}` must be {noun}")


def variable_problem(variables: Mapping[str, Any] | None) -> GraphQLError | None:
    """Why the variables cannot run: the first string longer than any input may be, or one that
    is not Unicode text (JSON can carry a lone surrogate such as "\\ud800"; UTF-8 cannot)."""
    for name, value in (variables or {}).items():
        found = _bad_string(value, f"${name}")
        if found is not None:
            return found
    return None


def _bad_string(value: object, path: str) -> GraphQLError | None:
    if isinstance(value, str):
        if len(value) > MAX_INPUT_CHARS:
            return too_long(f"variable {path}")
        return None if _is_text(value) else not_text(f"variable {path}")
    if isinstance(value, dict):
        children = [(f"{path}.{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for child_path, child in children:
        found = _bad_string(child, child_path)
        if found is not None:
            return found
    return None


def _is_text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def not_text(what: str) -> GraphQLError:
    return GraphQLError(
        f"{what} is not valid Unicode text (it holds a lone surrogate)",
        extensions={"code": "INVALID_TEXT"},
    )


def too_long(what: str) -> GraphQLError:
    return GraphQLError(
        f"{what} is longer than {MAX_INPUT_CHARS} characters, the most any input accepts",
        extensions={"code": "INPUT_TOO_LONG"},
    )


def inspect_document(query: str, operation_name: str | None, max_tokens: int) -> Inspection:
    """The operation's type, or why the document cannot run (cached for ordinary sizes)."""
    if len(query) <= CACHED_DOCUMENT_CHARS:
        return _cached_inspection(query, operation_name, max_tokens)
    return _inspect(query, operation_name, max_tokens)


@lru_cache(maxsize=512)
def _cached_inspection(query: str, operation_name: str | None, max_tokens: int) -> Inspection:
    return _inspect(query, operation_name, max_tokens)


def _inspect(query: str, operation_name: str | None, max_tokens: int) -> Inspection:
    if not _is_text(query):
        return Inspection(None, not_text("the document"))
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        too_big = "tokens. Parsing aborted" in error.message
        code = "TOO_MANY_TOKENS" if too_big else "GRAPHQL_PARSE_FAILED"
        located = GraphQLError(
            error.message,
            source=error.source,
            positions=error.positions,
            extensions={"code": code},
        )
        return Inspection(None, located)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f"the document has no operation named {operation_name!r}"
            if operation_name
            else "the document holds several operations: choose one with `operationName`"
        )
        return Inspection(None, GraphQLError(message, extensions={"code": "OPERATION_NOT_FOUND"}))
    kind = operation.operation.value
    if len(query) > MAX_INPUT_CHARS and _longest_literal(document) > MAX_INPUT_CHARS:
        return Inspection(kind, too_long("a string in the document"))
    return Inspection(kind, None, document)


def _longest_literal(document: Any) -> int:
    class Longest(Visitor):
        length = 0

        def enter_string_value(self, node: StringValueNode, *_: object) -> None:
            self.length = max(self.length, len(node.value))

    finder = Longest()
    visit(document, finder)
    return finder.length


def limit_code(message: str) -> str | None:
    for words, code in LIMIT_CODES:
        if words in message:
            return code
    return None
