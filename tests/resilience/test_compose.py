"""The compose file restarts the CareLedger services and knows when each is healthy."""

from __future__ import annotations

from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

COMPOSE = Path(__file__).parents[2] / "docker-compose.yml"


@pytest.mark.parametrize("service", ["careledger", "projections", "policies"])
def test_each_service_restarts_and_has_a_health_check(service: str) -> None:
    spec = yaml.safe_load(COMPOSE.read_text())["services"][service]
    assert spec["restart"] == "unless-stopped"
    test = spec["healthcheck"]["test"]
    # The slim image has no curl: the check runs Python or careledger itself.
    assert test[0] == "CMD" and test[1] in ("python", "careledger")
    assert "curl" not in " ".join(test)
