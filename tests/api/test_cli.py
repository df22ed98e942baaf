"""`careledger token issue`, `careledger serve`, `careledger schema`: arguments and output."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jwt
import pytest

from api import cli
from api.auth import Principal, Role, verify_token
from api.cli.schema import sdl
from api.http import MAX_BODY_BYTES
from application.settings import Settings

SECRET = base64.b64encode(b"s" * 32).decode()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("CARELEDGER_DATABASE_URL", "CARELEDGER_TOKEN_SECRET", "CARELEDGER_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARELEDGER_DATA_DIR", str(tmp_path))
    return tmp_path


def test_token_issue_prints_a_token_the_service_accepts(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a data directory the service has used (it made its token secret there)
    Settings.from_env().resolved_token_secret()
    # when a token is issued for a supervisor for two hours
    code = cli.main(
        ["token", "issue", "--role", "supervisor", "--subject", "sup-1", "--ttl-hours", "2"]
    )
    token = capsys.readouterr().out.strip()
    # then it verifies with the service's settings and lives two hours
    assert code == 0
    settings = Settings.from_env()
    assert verify_token(settings, token) == Principal(subject="sup-1", role=Role.SUPERVISOR)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 7200
    assert claims["iss"] == "careledger"


def test_token_issue_refuses_a_directory_that_holds_no_service_data(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a token signed with a secret made afresh here would be rejected by the server
    assert cli.main(["token", "issue", "--role", "admin", "--subject", "ops"]) == 2
    error = capsys.readouterr().err
    assert str(env.resolve()) in error and "CARELEDGER_DATA_DIR" in error
    assert not (env / "token.secret").exists()


def test_token_issue_defaults_to_eight_hours_and_uses_the_configured_secret(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARELEDGER_TOKEN_SECRET", SECRET)
    assert cli.main(["token", "issue", "--role", "customer", "--subject", "c-9"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, base64.b64decode(SECRET), algorithms=["HS256"], issuer="careledger")
    assert (claims["sub"], claims["role"], claims["exp"] - claims["iat"]) == (
        "c-9",
        "customer",
        8 * 3600,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--role", "agent", "--subject", " "], "--subject must not be blank"),
        (["--role", "agent", "--subject", "a", "--ttl-hours", "0"], "--ttl-hours must be more"),
    ],
)
def test_token_issue_refuses_bad_arguments(
    env: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert cli.main(["token", "issue", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_token_issue_refuses_an_unknown_role(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        cli.main(["token", "issue", "--role", "root", "--subject", "a"])
    assert exit.value.code == 2
    assert "invalid choice: 'root'" in capsys.readouterr().err


def test_token_issue_in_production_needs_a_configured_secret(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARELEDGER_ENV", "production")
    assert cli.main(["token", "issue", "--role", "admin", "--subject", "ops"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "CARELEDGER_TOKEN_SECRET is required in production" in captured.err


def test_serve_runs_the_app_factory_under_uvicorn_with_uvloop_and_httptools(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append((app, options)))
    assert cli.main(["serve", "--host", "127.0.0.1", "--port", "8123", "--workers", "3"]) == 0
    ((app, options),) = calls
    assert app == "api.app:app_from_env"
    assert options == {
        "factory": True,
        "host": "127.0.0.1",
        "port": 8123,
        "workers": 3,
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        "server_header": False,
        "ws_max_size": MAX_BODY_BYTES,
        "access_log": False,
        "timeout_worker_healthcheck": 60,  # a loaded machine starts workers slowly
    }


def test_schema_prints_the_sdl_or_writes_it(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema"]) == 0
    assert capsys.readouterr().out == sdl()
    target = env / "schema.graphql"
    assert cli.main(["schema", "--output", str(target)]) == 0
    assert target.read_text() == sdl()


@pytest.mark.parametrize("flags", [[], ["--reader-process"]])
def test_project_rebuild_swaps_in_a_new_generation(
    env: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    # given the complaint dashboard built once
    assert cli.main(["project", "rebuild", "complaint_dashboard"]) == 0
    capsys.readouterr()
    # when it is rebuilt again (reading in a process of its own where the log is long enough)
    code = cli.main(["project", "rebuild", "complaint_dashboard", "--batch-size", "10", *flags])
    # then the next generation serves
    assert code == 0
    assert "complaint_dashboard: generation 3 now serves (was 2)" in capsys.readouterr().out
