"""Walking a connection page by page, for the list and browse tests."""

from __future__ import annotations

from typing import Any

from api.auth import Role
from tests.api.gql import Gql


def pages(
    gql: Gql, query: str, field: str, variables: dict[str, Any], role: Role = Role.AGENT
) -> list[dict[str, Any]]:
    """Every page of a list, following endCursor until hasNextPage is false."""
    found, after = [], None
    for _ in range(10):
        page = gql(query, {**variables, "after": after}, role=role)["data"][field]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        found.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    raise AssertionError("more pages than expected")


def ids(found: list[dict[str, Any]], key: str) -> list[list[str]]:
    return [[edge["node"][key] for edge in page["edges"]] for page in found]
