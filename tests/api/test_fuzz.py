"""A bounded fuzzing run through the ASGI app (bench/fuzz_api.py runs 10,000 against the real
server): generated and corrupted requests never answer 5xx or INTERNAL, and an error answer
never writes an event."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, Phase, given, settings
from starlette.testclient import TestClient

from api.auth import Role
from api.graphql.schema import build_schema
from testing.fuzz import Verdict, bodies

EXAMPLES = 150


def test_generated_requests_get_coded_answers_and_errors_write_nothing(
    client: TestClient, token: Callable[[Role, str], str]
) -> None:
    recorder = client.app.state.services.ledger.recorder  # type: ignore[attr-defined]
    headers = {
        "Authorization": f"Bearer {token(Role.ADMIN, 'fuzzer')}",
        "Content-Type": "application/json",
    }
    verdict = Verdict()

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(body=bodies(build_schema()._schema))
    def send(body: bytes) -> None:
        before = recorder.max_notification_id()
        response = client.post("/graphql", content=body, headers=headers)
        verdict.judge(
            body, response.status_code, response.content, recorder.max_notification_id() != before
        )

    send()
    assert verdict.total >= EXAMPLES
    assert verdict.failures == []
