"""A `Message` as an RFC 5322 e-mail: what the SMTP channel sends and the outbox keeps."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from delivery.channels.base import Message

DEFAULT_SENDER = "CareLedger <notices@careledger.invalid>"


def message_id(message: Message) -> str:
    """Stable over every attempt: a re-send carries the same header."""
    return f"<{message.id}@careledger>"


def as_email(message: Message, sender: str, to: str) -> EmailMessage:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id(message)
    mail["Content-Language"] = message.locale
    mail["X-CareLedger-Channel"] = str(message.channel)
    mail["X-CareLedger-Kind"] = message.kind
    if message.urgent:
        mail["Importance"] = "high"
    mail.set_content(message.body, charset="utf-8")
    return mail
