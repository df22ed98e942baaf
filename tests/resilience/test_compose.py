"""The compose file restarts the CareLedger services and knows when each is healthy."""

from __future__ import annotations

from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

COMPOSE = Path(__file__).parents[2] / "docker-compose.yml"


@pytest.mark.parametrize("service", ["careledger", "projections", "policies", "notices"])
def test_each_service_restarts_and_has_a_health_check(service: str) -> None:
    spec = yaml.safe_load(COMPOSE.read_text())["services"][service]
    assert spec["restart"] == "unless-stopped"
    test = spec["healthcheck"]["test"]
    # The slim image has no curl: the check runs Python or careledger itself.
    assert test[0] == "CMD" and test[1] in ("python", "careledger")
    assert "curl" not in " ".join(test)


def test_notices_are_mailed_to_the_catcher_unless_told_otherwise() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    notices = services["notices"]
    assert notices["command"] == ["notices", "run"]
    assert (
        notices["environment"]["CARELEDGER_SMTP_URL"]
        == "${CARELEDGER_SMTP_URL:-smtp://mailpit:1025}"
    )
    assert notices["depends_on"]["mailpit"]["condition"] == "service_healthy"
    # the catcher's web UI is reachable from this machine only
    assert services["mailpit"]["ports"] == ["127.0.0.1:8025:8025"]
    # and the notices process shares every other setting of the services
    assert notices["environment"]["CARELEDGER_DATABASE_URL"].startswith("postgresql://")
