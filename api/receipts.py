"""`POST /notices/receipts`: a provider's delivery receipt, recorded on its notification.

No bearer token: the provider signs the raw body with the shared receipt secret (HMAC-SHA256,
delivery/channels/receipts.py), which is what authenticates it. The command id is derived from
the body, so a provider that posts the same receipt again gets the same answer and nothing is
recorded twice. The answers (JSON, `{"code": …}` when refused), chosen so that a provider
retries only what may succeed later:

- 200 recorded (or the same receipt again, `replayed: true`);
- 400 not a receipt, 401 not signed with the secret (or none configured), 404 no such
  notification, 413 too large, 422 it names another message than the one sent;
- 409 the notification is not in a state to take it: with `Retry-After` when the receipt
  overtook the record of the send (it is sent but not yet recorded as sent), without when it
  already has a report;
- 503 the database is unavailable, with `Retry-After`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.services import Services
from application.errors import NotFoundError, ServiceUnavailableError
from application.handling import Outcome
from delivery.channels.receipts import (
    SIGNATURE_HEADER,
    DeliveryReport,
    MalformedReceiptError,
    ReceiptSignatureError,
    read_receipt,
)
from domain.errors import InvalidInputError, TransitionRefusedError
from domain.meta import Actor, ActorKind, Meta, Reason
from domain.notification import PENDING

BODY_MAX = 16 * 1024
PROVIDER = Actor(ActorKind.INTEGRATION, "delivery-provider", "provider")
NOT_YET_SENT = {str(status) for status in PENDING}


def receipts_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def receipts(request: Request) -> Response:
        body = await request.body()
        if len(body) > BODY_MAX:
            return _refused(413, "PAYLOAD_TOO_LARGE", f"a receipt is at most {BODY_MAX} bytes")
        secret = services.settings.receipt_secret or ""
        try:
            report = read_receipt(body, request.headers.get(SIGNATURE_HEADER), secret)
            notification_id = UUID(report.notification_id)
        except ReceiptSignatureError as error:
            return _refused(401, "UNAUTHENTICATED", str(error))
        except (MalformedReceiptError, ValueError) as error:
            return _refused(400, "BAD_REQUEST", str(error))
        try:
            outcome = await run_in_threadpool(_record, services, notification_id, report, body)
        except NotFoundError as error:
            return _refused(404, error.code, str(error))
        except InvalidInputError as error:
            return _refused(422, error.code, str(error))
        except TransitionRefusedError as error:
            later = error.state in NOT_YET_SENT
            return _refused(409, error.code, str(error), {"Retry-After": "5"} if later else None)
        except ServiceUnavailableError as error:
            return _refused(503, error.code, str(error), {"Retry-After": "1"})
        return JSONResponse({"recorded": True, "replayed": outcome.replayed})

    return receipts


def _record(
    services: Services, notification_id: UUID, report: DeliveryReport, body: bytes
) -> Outcome:
    command_id = f"receipt-{hashlib.sha256(body).hexdigest()[:40]}"
    meta = Meta(
        actor=PROVIDER,
        occurred_at=datetime.now(UTC),
        command_id=command_id,
        correlation_id=command_id,
        reason=Reason("delivery_receipt"),
    )
    return services.ledger.record_delivery_receipt(
        meta, notification_id, report.delivered, report.error, report.provider_id
    )


def _refused(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)
