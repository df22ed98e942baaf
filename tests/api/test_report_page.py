"""`/report`: the report served to analysts and supervisors with their token, refused to others."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from api.auth import Role
from application.settings import Settings
from tests.api.live_views import projecting

pytestmark = pytest.mark.usefixtures("known_customers")

WINDOW = {"from": "2026-12-01", "to": "2026-12-02"}


@pytest.fixture(autouse=True)
def views_installed(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


def test_analysts_and_supervisors_get_the_report(
    client: TestClient, token: Callable[[Role, str], str]
) -> None:
    for role, lang, title in (
        (Role.ANALYST, "en", "Customer service report"),
        (Role.SUPERVISOR, "zh", "客户服务分析报告"),
    ):
        answer = client.get(
            "/report",
            params={**WINDOW, "lang": lang},
            headers={"Authorization": f"Bearer {token(role, 'u-1')}"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        # the page carries its own charting library; the policy lets it reach nothing else
        assert f"<h1>{title}</h1>" in answer.text and "echarts" in answer.text
        assert "connect-src 'self'" in answer.headers["content-security-policy"]


def test_other_roles_and_bad_tokens_are_refused(
    client: TestClient, token: Callable[[Role, str], str]
) -> None:
    agent = client.get(
        "/report", params=WINDOW, headers={"Authorization": f"Bearer {token(Role.AGENT, 'a')}"}
    )
    assert (
        agent.status_code == 403 and agent.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    )
    forged = client.get("/report", params=WINDOW, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401


def test_a_bad_window_is_a_validation_error(
    client: TestClient, token: Callable[[Role, str], str]
) -> None:
    answer = client.get(
        "/report",
        params={"from": "2026-12-02", "to": "2026-12-01"},
        headers={"Authorization": f"Bearer {token(Role.ANALYST, 'a')}"},
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"


def test_without_a_token_the_page_is_the_sign_in_form(client: TestClient) -> None:
    answer = client.get("/report", headers={"Accept": "text/html"})
    assert answer.status_code == 200 and 'type="password"' in answer.text
    assert "sessionStorage" in answer.text and "echarts" not in answer.text
