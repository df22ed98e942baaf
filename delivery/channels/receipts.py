"""Delivery receipts a provider POSTs back: `{id, message_id, status: delivered|failed, error?}`,
signed with HMAC-SHA256 of the raw body under CARELEDGER_RECEIPT_SECRET, hex in the
`X-CareLedger-Signature` header (`sha256=<hex>` is accepted too).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

SIGNATURE_HEADER = "X-CareLedger-Signature"
ERROR_MAX = 200


@dataclass(frozen=True)
class DeliveryReport:
    notification_id: str
    provider_id: str
    delivered: bool
    error: str | None = None


class ReceiptError(ValueError):
    """A receipt that is not taken; nothing is recorded."""


class ReceiptSignatureError(ReceiptError):
    """Missing or wrong signature."""


class MalformedReceiptError(ReceiptError):
    """Signed correctly, but not a receipt."""


def sign_receipt(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def read_receipt(body: bytes, signature: str | None, secret: str) -> DeliveryReport:
    check_signature(body, signature, secret)
    try:
        data = json.loads(body)
    except ValueError:
        raise MalformedReceiptError("receipt body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedReceiptError("receipt body is not a JSON object")
    return _report(data)


def check_signature(body: bytes, signature: str | None, secret: str) -> None:
    if not secret:
        raise ReceiptSignatureError("no receipt secret configured")
    given = (signature or "").strip().removeprefix("sha256=")
    if not given or not hmac.compare_digest(given.lower(), sign_receipt(body, secret)):
        raise ReceiptSignatureError("receipt signature does not match")


def _report(data: dict[str, object]) -> DeliveryReport:
    nid, provider_id, status = data.get("id"), data.get("message_id"), data.get("status")
    error = data.get("error")
    if not isinstance(nid, str) or not nid:
        raise MalformedReceiptError("receipt needs an id")
    if not isinstance(provider_id, str) or not provider_id:
        raise MalformedReceiptError("receipt needs a message_id")
    if status not in ("delivered", "failed"):
        raise MalformedReceiptError("receipt status must be delivered or failed")
    if error is not None and not isinstance(error, str):
        raise MalformedReceiptError("receipt error must be text")
    return DeliveryReport(
        nid, provider_id, status == "delivered", error[:ERROR_MAX] if error else None
    )
