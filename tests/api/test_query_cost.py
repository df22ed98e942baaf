"""A document's cost is known before it runs: over the limit it is refused, and each caller's
spending is bounded per minute."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse
from starlette.testclient import TestClient

from api.auth import Role
from api.graphql.cost import MAX_COST, CostBuckets, query_cost
from api.graphql.schema import build_schema
from tests.api.gql import Gql

SCHEMA = build_schema()._schema
CHAIN = "{ " + " ".join(f"v{n}: verifyAuditChain {{ ok }}" for n in range(20)) + " }"
PAGE = "complaints(first: 100) { edges { node { complaintId status category } } }"
PAGES = "{ " + " ".join(f"p{n}: {PAGE}" for n in range(20)) + " }"


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    return query_cost(SCHEMA, parse(query), None, variables)


def test_a_page_multiplies_what_it_selects_by_its_size() -> None:
    one = "{ complaints(first: 1) { edges { node { complaintId status } } } }"
    hundred = "{ complaints(first: 100) { edges { node { complaintId status } } } }"
    # complaints 1 + 100 x (edges 1 + node 1 + two fields)
    assert cost(one) == 1 + 1 * 4
    assert cost(hundred) == 1 + 100 * 4
    # a page size from a variable counts the same; an absent one counts its default (20)
    by_variable = "query($n: Int!) { complaints(first: $n) { edges { node { status } } } }"
    assert cost(by_variable, {"n": 100}) == 1 + 100 * 3
    assert cost("{ complaints { edges { node { status } } } }") == 1 + 20 * 3


def test_fragments_and_expensive_fields_are_priced() -> None:
    spread = "{ ...F } fragment F on Query { complaints(first: 10) { edges { node { status } } } }"
    assert cost(spread) == 1 + 10 * 3
    assert cost("{ verifyAuditChain { ok } }") == 500 + 1


def test_the_documents_that_took_seconds_are_refused_before_they_run(
    gql: Gql, client: TestClient
) -> None:
    for query in (CHAIN, PAGES):
        assert cost(query) > MAX_COST
        body = gql(query, role=Role.ADMIN, subject="admin-1")
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert "data" not in body


def test_a_caller_that_spends_its_budget_waits_and_others_do_not() -> None:
    now = [0.0]
    buckets = CostBuckets(per_minute=600, clock=lambda: now[0])
    assert buckets.charge("a", 500) is None
    wait = buckets.charge("a", 500)
    assert wait == pytest.approx(40.0)  # 400 short at 10 a second
    assert buckets.charge("b", 500) is None  # another caller has its own bucket
    now[0] += 40.0
    assert buckets.charge("a", 500) is None


def test_the_budget_answers_429_with_retry_after_over_http(client: TestClient, token: Any) -> None:
    headers = {"Authorization": f"Bearer {token(Role.ADMIN, 'spender')}"}
    query = "{ " + " ".join(f"v{n}: verifyAuditChain(limit: 10) {{ ok }}" for n in range(9)) + " }"
    answers = [client.post("/graphql", json={"query": query}, headers=headers) for _ in range(6)]
    statuses = [a.status_code for a in answers]
    # 4,500 of expensive fields each: four fit the 20,000 a minute, the fifth is refused
    assert statuses[:4] == [200] * 4 and statuses[4] == 429, statuses
    refused = answers[4]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # ordinary reads are not charged, and another caller has a bucket of its own
    cheap = {"query": "{ complaints(first: 100) { edges { node { status } } } }"}
    assert client.post("/graphql", json=cheap, headers=headers).status_code == 200
    other = {"Authorization": f"Bearer {token(Role.ADMIN, 'someone-else')}"}
    assert client.post("/graphql", json={"query": query}, headers=other).status_code == 200
