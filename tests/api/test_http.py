"""GraphQL over HTTP: media types, status codes, limits; bad input records nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.auth import Role
from api.graphql.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from api.http import GRAPHQL_JSON, JSON, MAX_BODY_BYTES, MAX_INPUT_CHARS
from tests.api.order_inputs import ALICE, PLACE, place_input

pytestmark = pytest.mark.usefixtures("known_customers")

Head = Callable[[], int | None]

JSON_TYPE = f"{JSON}; charset=utf-8"
GRAPHQL_TYPE = f"{GRAPHQL_JSON}; charset=utf-8"


@pytest.fixture
def auth(token: Callable[[Role, str], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(Role.AGENT, 'agent-1')}"}


@pytest.fixture
def head(client: TestClient) -> Head:
    """The event log's head position: unchanged means nothing was recorded."""
    recorder = client.app.state.services.ledger.recorder  # type: ignore[attr-defined]
    return lambda: recorder.max_notification_id()


def place(input: dict[str, Any]) -> dict[str, Any]:
    return {"query": PLACE, "variables": {"input": input}}


def deep(levels: int) -> str:
    return "{ " + "a { " * levels + "b" + " }" * levels + " }"


def fragment_chain(length: int) -> str:
    links = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(length))
    return f"query Q {{ ...F0 }}\n{links}\nfragment F{length} on Query {{ __typename }}"


# name, request (json body, or raw bytes), status as application/json, as graphql-response+json,
# the error code
REQUEST_ERRORS: list[tuple[str, Any, int, int, str]] = [
    ("malformed JSON", b'{"query": "{ __typename }"', 400, 400, "INVALID_JSON"),
    ("a missing query", {"variables": {}}, 400, 400, "MISSING_QUERY"),
    ("a query that is not a string", {"query": 7}, 400, 400, "BAD_REQUEST"),
    (
        "variables that are not an object",
        {"query": PLACE, "variables": [1]},
        400,
        400,
        "BAD_REQUEST",
    ),
    ("a batch", [{"query": "{ __typename }"}], 400, 400, "BATCHING_UNSUPPORTED"),
    ("a syntax error", {"query": "mutation { placeOrder("}, 200, 400, "GRAPHQL_PARSE_FAILED"),
    ("an unknown field", {"query": "{ nothingHere }"}, 200, 400, "GRAPHQL_VALIDATION_FAILED"),
    (
        "an unknown operation name",
        {"query": PLACE, "operationName": "Other"},
        200,
        400,
        "OPERATION_NOT_FOUND",
    ),
    (
        "a wrong variable type",
        place(place_input(ALICE, amount=["25.00"])),
        200,
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "a wrong nested variable type",
        place(place_input(ALICE, items=[{"name": "x", "quantity": "two", "unitPrice": "1"}])),
        200,
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "an unknown enum value in the variables",
        place(place_input(ALICE, channel="FAX")),
        200,
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "an enum given by its stored value",
        place(place_input(ALICE, channel="app")),
        200,
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "an unknown enum value in the document",
        {
            "query": 'mutation { placeOrder(input: {customerId: "x", restaurant: "r", region: "r",'
            ' items: [], amount: "1", promisedAt: "2099-01-01T00:00:00Z", address: "a",'
            " channel: FAX}) { __typename } }"
        },
        200,
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "an oversize string in the variables",
        place(place_input(ALICE, address="x" * (MAX_INPUT_CHARS + 1))),
        200,
        400,
        "INPUT_TOO_LONG",
    ),
    (
        "an oversize string deep in the variables",
        place(
            place_input(
                ALICE,
                items=[{"name": "n" * (MAX_INPUT_CHARS + 1), "quantity": 1, "unitPrice": "1"}],
            )
        ),
        200,
        400,
        "INPUT_TOO_LONG",
    ),
    (
        "an oversize string in the document",
        {"query": 'query { order(id: "%s") { status } }' % ("x" * (MAX_INPUT_CHARS + 1))},
        200,
        400,
        "INPUT_TOO_LONG",
    ),
    (
        "an oversize document",
        {"query": "{ " + "__typename " * (MAX_TOKENS + 1) + "}"},
        200,
        400,
        "TOO_MANY_TOKENS",
    ),
    ("a query that is too deep", {"query": deep(MAX_DEPTH + 1)}, 200, 400, "QUERY_TOO_DEEP"),
    (
        "a query too deep through fragments",
        {"query": "{ ...A } fragment A on Query { " + deep(MAX_DEPTH + 1)[2:]},
        200,
        400,
        "QUERY_TOO_DEEP",
    ),
    ("an empty selection", {"query": "{}"}, 200, 400, "GRAPHQL_VALIDATION_FAILED"),
    ("a selection of commas", {"query": "{ ,,, }"}, 200, 400, "GRAPHQL_VALIDATION_FAILED"),
    (
        "an empty subscription",
        {"query": "subscription {}"},
        400,
        400,
        "SUBSCRIPTION_NEEDS_WEBSOCKET",
    ),
    ("an undefined fragment", {"query": "{ ...Nope }"}, 200, 400, "GRAPHQL_VALIDATION_FAILED"),
    (
        "a typo in an inline fragment",
        {"query": "{ ... onnnnn TransitionRefused { code } }"},
        200,
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "a chain of 300 fragments",
        {"query": fragment_chain(300)},
        200,
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "too many aliases",
        {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }"},
        200,
        400,
        "TOO_MANY_ALIASES",
    ),
    (
        "a subscription over HTTP",
        {
            "query": "subscription($id: ID!) { incidentChanges(id: $id) { status } }",
            "variables": {"id": ALICE},
        },
        400,
        400,
        "SUBSCRIPTION_NEEDS_WEBSOCKET",
    ),
    (
        "a lone surrogate in the variables",
        json.dumps(place(place_input(ALICE, address="\ud800"))).encode(),
        200,
        400,
        "INVALID_TEXT",
    ),
    (
        "a lone surrogate in the document",
        json.dumps({"query": 'query { order(id: "\ud800") { status } }'}).encode(),
        200,
        400,
        "INVALID_TEXT",
    ),
    (
        "an oversize body",
        b'{"query": "' + b" " * MAX_BODY_BYTES + b'{ __typename }"}',
        413,
        413,
        "PAYLOAD_TOO_LARGE",
    ),
]


@pytest.mark.parametrize(
    ("request_body", "json_status", "graphql_status", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in REQUEST_ERRORS],
)
def test_a_bad_request_gets_a_coded_error_in_either_media_type_and_records_nothing(
    client: TestClient,
    auth: dict[str, str],
    head: Head,
    request_body: Any,
    json_status: int,
    graphql_status: int,
    code: str,
) -> None:
    before = head()
    for accept, media, status in [
        (JSON, JSON_TYPE, json_status),
        (GRAPHQL_JSON, GRAPHQL_TYPE, graphql_status),
    ]:
        headers = {**auth, "Accept": accept, "Content-Type": JSON}
        if isinstance(request_body, bytes):
            response = client.post("/graphql", content=request_body, headers=headers)
        else:
            response = client.post("/graphql", json=request_body, headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (status, media)
        body = response.json()
        assert code in [error["extensions"]["code"] for error in body["errors"]], body
        # execution never began, so `data` is absent in both media types (GraphQL spec 7.1)
        assert set(body) == {"errors"}
    assert head() == before


def test_a_query_answers_in_the_media_type_the_client_prefers(
    client: TestClient, auth: dict[str, str]
) -> None:
    cases = [
        (None, JSON_TYPE),
        ("*/*", JSON_TYPE),
        ("application/*", JSON_TYPE),
        (JSON, JSON_TYPE),
        (GRAPHQL_JSON, GRAPHQL_TYPE),
        (f"{GRAPHQL_JSON}, {JSON};q=0.9", GRAPHQL_TYPE),
        (f"{JSON}, {GRAPHQL_JSON};q=0.5", JSON_TYPE),
        (f"text/html, {GRAPHQL_JSON};q=0.8, */*;q=0.1", GRAPHQL_TYPE),
    ]
    for accept, media in cases:
        headers = {**auth, **({"Accept": accept} if accept else {})}
        response = client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (200, media), accept
        assert response.json() == {"data": {"__typename": "Query"}}


def test_an_unacceptable_accept_header_is_refused_with_406(
    client: TestClient, auth: dict[str, str]
) -> None:
    for accept in ["text/plain", f"{GRAPHQL_JSON};q=0, {JSON};q=0"]:
        response = client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={**auth, "Accept": accept}
        )
        assert (response.status_code, response.headers["content-type"]) == (406, JSON_TYPE)
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


def test_a_body_that_is_not_json_is_refused_with_415(
    client: TestClient, auth: dict[str, str], head: Head
) -> None:
    before = head()
    for content_type in ["text/plain", "application/graphql", None]:
        headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
        response = client.post("/graphql", content=b"mutation { x }", headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (415, JSON_TYPE)
        assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert head() == before


def test_a_query_may_come_by_get(client: TestClient, auth: dict[str, str]) -> None:
    params = {
        "query": "query($id: ID!) { order(id: $id) { status } }",
        "variables": '{"id": "not-an-id"}',
    }
    response = client.get("/graphql", params=params, headers={**auth, "Accept": GRAPHQL_JSON})
    # execution started, so 200 even in the newer media type, with `data` present
    assert (response.status_code, response.headers["content-type"]) == (200, GRAPHQL_TYPE)
    body = response.json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    assert body["errors"][0]["path"] == ["order"]
    simple = client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={**auth, "Accept": JSON}
    )
    assert (simple.status_code, simple.json()) == (200, {"data": {"__typename": "Query"}})


def test_a_mutation_by_get_is_refused_with_405_and_records_nothing(
    client: TestClient, auth: dict[str, str], head: Head
) -> None:
    before = head()
    params = {"query": PLACE, "variables": json.dumps({"input": place_input(ALICE)})}
    for accept, media in [(JSON, JSON_TYPE), (GRAPHQL_JSON, GRAPHQL_TYPE)]:
        response = client.get("/graphql", params=params, headers={**auth, "Accept": accept})
        assert (response.status_code, response.headers["content-type"]) == (405, media)
        assert response.headers["allow"] == "POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert head() == before


def test_get_with_malformed_variables_or_no_query_is_a_bad_request(
    client: TestClient, auth: dict[str, str]
) -> None:
    cases = [
        ({"query": "{ __typename }", "variables": "{nope"}, "INVALID_JSON"),
        ({}, "MISSING_QUERY"),
    ]
    for params, code in cases:
        response = client.get("/graphql", params=params, headers={**auth, "Accept": JSON})
        assert (response.status_code, response.headers["content-type"]) == (400, JSON_TYPE)
        assert response.json()["errors"][0]["extensions"]["code"] == code


def test_a_string_over_a_field_bound_but_under_the_edge_limit_is_refused_by_the_domain(
    client: TestClient, auth: dict[str, str], head: Head
) -> None:
    before = head()
    body = place(place_input(ALICE, restaurant="r" * 201))
    document = body["query"].replace(
        "__typename", "__typename ... on ValidationFailed { problems { path message } }"
    )
    response = client.post("/graphql", json={**body, "query": document}, headers=auth)
    assert response.status_code == 200
    assert response.json()["data"]["placeOrder"]["problems"] == [
        {"path": ["input", "restaurant"], "message": "must be at most 200 characters"}
    ]
    assert head() == before


def test_a_successful_mutation_records_and_answers_200_in_either_media_type(
    client: TestClient, auth: dict[str, str], head: Head
) -> None:
    before = head() or 0
    for accept, media in [(JSON, JSON_TYPE), (GRAPHQL_JSON, GRAPHQL_TYPE)]:
        response = client.post(
            "/graphql", json=place(place_input(ALICE)), headers={**auth, "Accept": accept}
        )
        assert (response.status_code, response.headers["content-type"]) == (200, media)
        assert response.json()["data"]["placeOrder"]["__typename"] == "OrderChanged"
    assert head() == before + 2


def test_an_unauthenticated_request_is_401_before_anything_is_read(
    client: TestClient, head: Head
) -> None:
    before = head()
    response = client.post("/graphql", content=b"{not json", headers={"Content-Type": JSON})
    assert response.status_code == 401
    assert response.headers["content-type"] == JSON_TYPE
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert head() == before


def test_a_401_answers_in_the_media_type_the_client_asked_for(client: TestClient) -> None:
    headers = {"Content-Type": JSON, "Accept": GRAPHQL_JSON}
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (401, GRAPHQL_TYPE)
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_other_methods_are_refused_with_405(client: TestClient, auth: dict[str, str]) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = client.request(
            method, "/graphql", json={"query": "{ __typename }"}, headers=auth
        )
        assert (response.status_code, response.headers["content-type"]) == (405, JSON_TYPE)
        assert response.headers["allow"] == "GET, POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_an_oversize_body_sent_without_a_length_is_cut_off_at_the_limit(
    client: TestClient, auth: dict[str, str]
) -> None:
    chunks = [b'{"query": "', *[b" " * 65536] * (MAX_BODY_BYTES // 65536 + 1), b'{ x }"}']
    response = client.post("/graphql", content=iter(chunks), headers={**auth, "Content-Type": JSON})
    assert "content-length" not in response.request.headers
    assert (response.status_code, response.headers["content-type"]) == (413, JSON_TYPE)
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    "global_id",
    [
        base64.b64encode(b"Nope:6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e90").decode(),
        "not base64 at all",
    ],
)
def test_a_node_id_of_no_known_type_is_a_validation_error(
    client: TestClient, auth: dict[str, str], global_id: str
) -> None:
    query = "query($id: ID!) { node(id: $id) { id } }"
    response = client.post(
        "/graphql", json={"query": query, "variables": {"id": global_id}}, headers=auth
    )
    codes = [e["extensions"]["code"] for e in response.json()["errors"]]
    assert codes == ["VALIDATION_FAILED"], response.text
