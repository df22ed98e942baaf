"""`careledger keys status` and `careledger keys rotate`, as an operator runs a rotation."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api import cli
from application.app import CareLedger
from application.master_keys import key_id
from application.settings import Settings
from tests.application.builders import customer

NEW = AESGCM.generate_key(bit_length=256)
ELSE = AESGCM.generate_key(bit_length=256)


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment of the settings' store, as the operator's shell would hold it."""
    for name in ("CARELEDGER_ENV", "CARELEDGER_MASTER_KEY_FILE", "CARELEDGER_KEYS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARELEDGER_DATA_DIR", str(settings.data_dir))
    if settings.database_url is not None:
        monkeypatch.setenv("CARELEDGER_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("CARELEDGER_DB_SCHEMA", settings.db_schema)
    else:
        monkeypatch.delenv("CARELEDGER_DATABASE_URL", raising=False)
    return settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_rotation_from_status_to_status(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a customer's key (and the contact index's) under the old master key
    assert env.master_key is not None
    old = env.master_key
    with CareLedger(env) as app:
        customer(app)
    # when the operator sets a new master key, the old one as previous, and looks
    monkeypatch.setenv("CARELEDGER_MASTER_KEY", b64(NEW))
    monkeypatch.setenv("CARELEDGER_PREVIOUS_MASTER_KEYS", b64(old))
    code, out, _ = run(capsys, "keys", "status")
    # then the old key wraps both, the new one nothing yet
    assert code == 0
    assert f"{key_id(old)}          2\n" in out
    assert f"{key_id(NEW)}          0  (current)" in out
    # when they rotate
    code, out, _ = run(capsys, "keys", "rotate")
    # then both are re-wrapped under the new key, and the old one is said to wrap nothing
    assert code == 0
    assert f"re-wrapped 2 data keys under master key {key_id(NEW)}" in out
    assert f"{key_id(NEW)}          2  (current)" in out
    assert f"previous master keys wrapping nothing: {key_id(old)}" in out
    # and with the old key gone from the settings, the service still opens its keys
    monkeypatch.delenv("CARELEDGER_PREVIOUS_MASTER_KEYS")
    code, out, _ = run(capsys, "keys", "status")
    assert code == 0 and "wrapping nothing" not in out


def test_a_store_under_a_master_key_not_given_is_refused_in_one_line(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert env.master_key is not None
    with CareLedger(env) as app:
        customer(app)
    monkeypatch.setenv("CARELEDGER_MASTER_KEY", b64(ELSE))
    code, out, err = run(capsys, "keys", "rotate")
    assert code == 2 and out == ""
    assert err.startswith("careledger: data keys are wrapped by master key ")
    assert key_id(env.master_key) in err
