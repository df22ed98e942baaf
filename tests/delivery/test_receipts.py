from __future__ import annotations

import json

import pytest

from delivery.channels.receipts import (
    DeliveryReport,
    MalformedReceiptError,
    ReceiptSignatureError,
    read_receipt,
    sign_receipt,
)

SECRET = "receipt-secret"


def _signed(body: object) -> tuple[bytes, str]:
    raw = json.dumps(body).encode()
    return raw, sign_receipt(raw, SECRET)


def test_a_signed_receipt_reads_as_a_delivery_report() -> None:
    raw, signature = _signed({"id": "n-1", "message_id": "sms-7", "status": "delivered"})
    assert read_receipt(raw, signature, SECRET) == DeliveryReport("n-1", "sms-7", True)
    assert read_receipt(raw, f"sha256={signature}", SECRET).delivered


def test_a_failed_receipt_keeps_a_short_error() -> None:
    raw, signature = _signed(
        {"id": "n-1", "message_id": "m", "status": "failed", "error": "x" * 900}
    )
    report = read_receipt(raw, signature, SECRET)
    assert not report.delivered and report.error == "x" * 200


@pytest.mark.parametrize("signature", [None, "", "00" * 32])
def test_a_missing_or_wrong_signature_is_refused(signature: str | None) -> None:
    raw, _ = _signed({"id": "n-1", "message_id": "m", "status": "delivered"})
    with pytest.raises(ReceiptSignatureError):
        read_receipt(raw, signature, SECRET)


def test_a_body_changed_after_signing_is_refused() -> None:
    raw, signature = _signed({"id": "n-1", "message_id": "m", "status": "failed"})
    with pytest.raises(ReceiptSignatureError):
        read_receipt(raw.replace(b"failed", b"delivered"), signature, SECRET)


def test_without_a_secret_nothing_is_taken() -> None:
    raw = b'{"id": "n-1", "message_id": "m", "status": "delivered"}'
    with pytest.raises(ReceiptSignatureError):
        read_receipt(raw, sign_receipt(raw, ""), "")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1]",
        b'{"message_id": "m", "status": "delivered"}',
        b'{"id": "n-1", "status": "delivered"}',
        b'{"id": "n-1", "message_id": "m", "status": "lost"}',
        b'{"id": "n-1", "message_id": "m", "status": "failed", "error": 5}',
    ],
)
def test_a_signed_but_malformed_body_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedReceiptError):
        read_receipt(body, sign_receipt(body, SECRET), SECRET)
