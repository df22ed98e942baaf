"""A `Message` as an RFC 5322 e-mail: what the SMTP channel sends and the outbox keeps.

Every notice has one shape (a single text/plain UTF-8 part), so the bytes are written directly:
headers in RFC 5322 form, a subject in RFC 2047 encoded words when it is not plain short ASCII,
the body in base64 lines of 76 characters, CRLF throughout (SMTP wants CRLF, and smtplib sends
bytes as they are: a bare LF is refused by servers that guard against smuggling). The stdlib's
compat32 `MIMEText` wrote the same message at 25 times the cost (issue 11, docs/benchmarks.md);
tests/delivery/test_mime.py parses the result back with the stdlib parser.
"""

from __future__ import annotations

import re
from base64 import b64encode, encodebytes
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache

from delivery.channels.base import Message

DEFAULT_SENDER = "CareLedger <notices@careledger.invalid>"
_PLAIN = re.compile(r"[ -~]{0,68}")  # printable ASCII that fits on a header line
_WORD_BYTES = 39  # 52 base64 characters: an encoded word of 64, under the 75 RFC 2047 allows


def message_id(message: Message) -> str:
    """Stable over every attempt: a re-send carries the same header."""
    return f"<{message.id}@careledger>"


def email_bytes(message: Message, sender: str, to: str) -> bytes:
    headers = [
        'Content-Type: text/plain; charset="utf-8"',
        "MIME-Version: 1.0",
        "Content-Transfer-Encoding: base64",
        f"From: {_address(sender)}",
        f"To: {_address(to)}",
        f"Subject: {_unstructured(message.subject)}",
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: {message_id(message)}",
        f"Content-Language: {_unstructured(message.locale)}",
        f"X-CareLedger-Channel: {_unstructured(str(message.channel))}",
        f"X-CareLedger-Kind: {_unstructured(message.kind)}",
    ]
    if message.urgent:
        headers.append("Importance: high")
    head = "\r\n".join(headers).encode("ascii")
    body = encodebytes(message.body.encode("utf-8")).replace(b"\n", b"\r\n")
    return head + b"\r\n\r\n" + body


def _unstructured(text: str) -> str:
    """As it is when short printable ASCII that cannot be read as an encoded word; else
    encoded words of whole characters, one a line."""
    if _PLAIN.fullmatch(text) and "=?" not in text and text.strip() == text:
        return text
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode("utf-8"))
        if size + width > _WORD_BYTES:
            words.append(_word("".join(chunk)))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append(_word("".join(chunk)))
    return "\r\n ".join(words)


def _word(text: str) -> str:
    return f"=?utf-8?b?{b64encode(text.encode('utf-8')).decode('ascii')}?="


@lru_cache(maxsize=4096)
def _address(text: str) -> str:
    """`Name <addr>` with a name in any script (RFC 2047 encoded); a bare address as it is.
    Parsed once per address: a delivery process sends to the same few again and again."""
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8") if name else address
