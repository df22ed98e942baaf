"""Bearer tokens: verified once, remembered until they expire."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.auth import AuthenticationError, Role, TokenVerifier, issue_token
from application.settings import Settings


def test_a_verified_token_is_remembered_until_it_expires(tmp_path: Path) -> None:
    # given a verifier, and a token that expires in one second
    settings = Settings(data_dir=tmp_path)
    tokens = TokenVerifier(settings)
    short = issue_token(settings, Role.AGENT, "agent-7", ttl_s=1)
    header = f"Bearer {short}"
    # when it is verified twice, then after it expired
    first = tokens.principal(header)
    assert tokens.principal(header) is first
    time.sleep(2.1)
    # then the remembered answer is not used: the expired token is refused
    with pytest.raises(AuthenticationError, match="expired"):
        tokens.principal(header)
    # and malformed headers and foreign tokens are refused, remembered or not
    with pytest.raises(AuthenticationError, match="missing bearer token"):
        tokens.principal(None)
    foreign = issue_token(Settings(data_dir=tmp_path / "other"), Role.ADMIN, "mallory")
    with pytest.raises(AuthenticationError, match="invalid bearer token"):
        tokens.principal(f"Bearer {foreign}")
