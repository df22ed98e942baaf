from __future__ import annotations

import base64
from uuid import uuid4

import pytest

from domain.errors import InvalidInputError, TransitionRefusedError
from domain.values import Sealed
from domain.webhook import (
    EndpointStatus,
    WebhookEndpoint,
    check_secret,
    chosen_event_types,
    endpoint_url,
)
from tests.support import meta

KNOWN = {"OrderReceived", "ComplaintReceived"}
SECRET = "whsec_" + base64.b64encode(b"x" * 32).decode()


def endpoint() -> WebhookEndpoint:
    endpoint_id = uuid4()
    return WebhookEndpoint.register(
        meta(),
        id=endpoint_id,
        url="https://hooks.example.com/careledger",
        event_types=["OrderReceived"],
        known=KNOWN,
        secret=Sealed(subject=str(endpoint_id), token="v1.x"),
        https_only=True,
    )


@pytest.mark.parametrize(
    ("url", "https_only"),
    [
        ("ftp://hooks.example.com/x", False),
        ("http://hooks.example.com/x", True),
        ("https://user:pw@hooks.example.com/x", False),
        ("https://token@hooks.example.com/x", False),
        ("https:///x", False),
        ("hooks.example.com/x", False),
        ("https://hooks.example.com:99999/x", False),
        ("https://hooks.example.com/x#frag", False),
        ("https://hooks.example.com/a b", False),
        ("", False),
    ],
)
def test_bad_urls_are_refused(url: str, https_only: bool) -> None:
    with pytest.raises(InvalidInputError) as refused:
        endpoint_url(url, https_only=https_only)
    assert refused.value.field == "url"


def test_good_urls_pass() -> None:
    assert endpoint_url("http://127.0.0.1:8080/h?x=1", https_only=False)
    assert endpoint_url("https://hooks.example.com/h", https_only=True)


@pytest.mark.parametrize(
    "secret",
    ["", "secret", "whsec_!!!", "whsec_" + base64.b64encode(b"short").decode(), SECRET + "x"],
)
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(InvalidInputError):
        check_secret(secret)
    assert check_secret(SECRET) == SECRET


def test_event_types_must_be_known_and_are_kept_distinct() -> None:
    assert chosen_event_types(["OrderReceived", "OrderReceived"], KNOWN) == ["OrderReceived"]
    for bad in ([], ["OrderShipped"], ["OrderReceived", "Nope"]):
        with pytest.raises(InvalidInputError):
            chosen_event_types(bad, KNOWN)


def test_secret_must_be_sealed_under_the_endpoint() -> None:
    with pytest.raises(InvalidInputError):
        WebhookEndpoint.register(
            meta(),
            id=uuid4(),
            url="https://hooks.example.com/x",
            event_types=["OrderReceived"],
            known=KNOWN,
            secret=Sealed(subject=str(uuid4()), token="v1.x"),
            https_only=True,
        )


def test_disable_and_re_enable() -> None:
    hook = endpoint()
    hook.disable(meta(), "failing", 10)
    assert (hook.status, hook.disabled_reason) == (EndpointStatus.DISABLED, "failing")
    with pytest.raises(TransitionRefusedError):
        hook.disable(meta(), "again")
    hook.re_enable(meta())
    assert hook.status == EndpointStatus.ACTIVE and hook.disabled_reason is None
    with pytest.raises(TransitionRefusedError):
        hook.re_enable(meta())
    with pytest.raises(InvalidInputError):
        hook.disable(meta(), " ")
    with pytest.raises(InvalidInputError):  # words: an endpoint is no customer's to seal them
        hook.disable(meta(), "Li Wei asked us to stop")
    with pytest.raises(InvalidInputError):
        hook.change_event_types(meta(), ["OrderReceived"], KNOWN)
