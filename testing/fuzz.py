"""Generated GraphQL requests, valid and not, for fuzzing the API from outside.

Documents come from the schema (hypothesis-graphql, valid and one-violation operations), then
bodies are corrupted on purpose: broken JSON, wrong types, the payloads that once crashed the
service. `Verdict` checks one answer: no 5xx, no INTERNAL, no event written for an error.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import graphql
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

SCALARS = {
    "DateTime": st.sampled_from(
        [
            "2026-12-01T08:00:00Z",
            "2026-12-01T20:00:00+08:00",
            "2026-12-01T08:00:00Z",
            "2026-12-01T08:00:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59+00:00",
            "yesterday",
        ]
    ).map(nodes.String),
    "Decimal": st.sampled_from(
        ["12.50", "-1", "0", "1e309", "NaN", "abc", "99999999999999999999.999"]
    ).map(nodes.String),
    "JSON": st.just(nodes.String("{}")),
}
KNOWN_CRASHERS = [
    {"query": "{}"},
    {"query": "{ ,,, }"},
    {"query": "{ ...Nope }"},
    {"query": "{ ... onnnnn TransitionRefused { code } }"},
    {
        "query": "query Q { ...F0 }\n"
        + "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(300))
        + "\nfragment F300 on Query { __typename }"
    },
    {
        "query": "query($t: DateTime!) { complaintDashboard(from: $t,"
        ' to: "2026-12-02T00:00:00Z") { received } }',
        "variables": {"t": "2026-12-01T00:00:00"},
    },
    {"query": "query($s: String!) { order(id: $s) { status } }", "variables": {"s": "\ud800"}},
    {"query": 'query { node(id: "Tm9wZToxMjM=") { id } }'},
    {"query": "subscription {}"},
]


def documents(schema: graphql.GraphQLSchema) -> st.SearchStrategy[str]:
    def strategy(mode: Mode) -> st.SearchStrategy[Any]:
        return from_schema(schema, custom_scalars=SCALARS, mode=mode, allow_x00=True)

    return st.one_of(strategy(Mode.POSITIVE), strategy(Mode.NEGATIVE)).map(str)


def bodies(schema: graphql.GraphQLSchema) -> st.SearchStrategy[bytes]:
    """Whole request bodies: mostly generated documents, some corrupted, some known crashers."""
    plain = documents(schema).map(lambda q: json.dumps({"query": q}).encode())
    corrupted = st.tuples(documents(schema), st.integers(0, 400)).map(
        lambda pair: json.dumps({"query": pair[0]}).encode()[: pair[1]]
    )
    wrong_shapes = st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b'{"query": 7}',
            b'{"query": "{ __typename }", "variables": [1]}',
            b"\xff\xfe",
            b'{"query": "{ __typename }"',
        ]
    )
    crashers = st.sampled_from(KNOWN_CRASHERS).map(lambda body: json.dumps(body).encode())
    return st.one_of(plain, plain, plain, corrupted, wrong_shapes, crashers)


@dataclass
class Verdict:
    """What the answers came to: counts by status and code, and what was wrong."""

    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def judge(self, body: bytes, status: int, answer: bytes, head_moved: bool) -> None:
        self.statuses[status] += 1
        try:
            decoded: Any = json.loads(answer)
        except ValueError:
            self.failures.append(f"{status}: not JSON: {answer[:200]!r} for {body[:200]!r}")
            return
        errors = decoded.get("errors") or [] if isinstance(decoded, dict) else []
        codes = [e.get("extensions", {}).get("code", "NO_CODE") for e in errors]
        self.codes.update(codes)
        if status >= 500 or "INTERNAL" in codes or "NO_CODE" in codes:
            self.failures.append(f"{status} {codes}: {answer[:300]!r} for {body[:300]!r}")
        failed = bool(errors) and not (isinstance(decoded, dict) and decoded.get("data"))
        if failed and head_moved:
            self.failures.append(f"an error answer wrote events: {body[:300]!r}")

    @property
    def total(self) -> int:
        return sum(self.statuses.values())
