"""E-mail over SMTP: `smtp://user:pass@host:port` (STARTTLS where the server offers it) or
`smtps://` (TLS from the first byte); login when the URL carries credentials.

One connection is kept between messages. No NOOP goes before each message to find whether it is
still open: a kept connection that fails on its first command (MAIL, before any of the message
went out), closed or answering 421, is opened again and the message sent once on the new one; a
failure after that is the attempt's. The Message-ID is `<notification id@careledger>`, the same
on every attempt. A 5xx answer to the sender, a recipient or the data refuses the message for
good; 4xx answers, refused logins, connection errors and timeouts are worth another attempt.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from delivery.channels.base import (
    ChannelKind,
    DeliveryError,
    Message,
    PermanentDeliveryError,
    Sent,
    TransientDeliveryError,
)
from delivery.channels.mime import DEFAULT_SENDER, email_bytes, message_id


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str | None
    password: str | None
    implicit_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL looks like smtp://user:pass@host:port or smtps://...")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password or "") if parts.username else None,
            implicit_tls=implicit,
        )


class SmtpChannel:
    kind = ChannelKind.EMAIL

    def __init__(
        self,
        server: SmtpServer,
        sender: str = DEFAULT_SENDER,
        timeout_s: float = 10.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self._sender = sender
        self._envelope_sender = _path(_address(sender))
        self._timeout_s = timeout_s
        self._tls = tls or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def send(self, message: Message) -> Sent:
        data = email_bytes(message, self._sender, message.to)
        with self._lock:
            try:
                self._deliver(data, message.to)
            except DeliveryError:
                self._drop()
                raise
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
                self._drop()
                raise _refusal(error.smtp_code, "smtp server refused the message") from error
            except smtplib.SMTPRecipientsRefused as error:
                self._drop()
                codes = [code for code, _ in error.recipients.values()]
                raise _refusal(
                    max(codes, default=451), "smtp server refused the recipient"
                ) from error
            except (smtplib.SMTPException, OSError) as error:
                self._drop()
                raise TransientDeliveryError(f"smtp: {type(error).__name__}") from error
        return Sent(provider_id=message_id(message))

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _deliver(self, data: bytes, to: str) -> None:
        recipient = _path(to)
        connection = self._connection
        if connection is not None:
            try:
                _transaction(connection, self._envelope_sender, recipient, data)
                return
            except _ClosedError:  # nothing of the message went out on it
                self._drop()
        self._connection = connection = self._connect()
        try:
            _transaction(connection, self._envelope_sender, recipient, data)
        except _ClosedError as closed:
            raise closed.error from closed

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        connection: smtplib.SMTP
        if server.implicit_tls:
            connection = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self._timeout_s, context=self._tls
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=self._timeout_s)
        try:
            connection.ehlo()
            if not server.implicit_tls and connection.has_extn("starttls"):
                connection.starttls(context=self._tls)
                connection.ehlo()
            if server.user is not None:
                _login(connection, server.user, server.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def _login(connection: smtplib.SMTP, user: str, password: str) -> None:
    try:
        connection.login(user, password)
    except smtplib.SMTPAuthenticationError as error:
        # Our configuration, not the message: retried once the operator fixes it.
        raise TransientDeliveryError("smtp login refused") from error
    except smtplib.SMTPNotSupportedError as error:
        raise TransientDeliveryError("smtp server offers no login") from error


class _ClosedError(Exception):
    """The connection was closed before the message's first command was answered."""

    def __init__(self, error: smtplib.SMTPException | OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _transaction(connection: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """MAIL, RCPT and DATA as `SMTP.sendmail` sends them, with the paths already quoted."""
    size = f" size={len(data)}" if connection.does_esmtp and connection.has_extn("size") else ""
    try:
        connection.putcmd("mail", f"FROM:{sender}{size}")
        code, reply = connection.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise _ClosedError(error) from error
    if code == 421:
        raise _ClosedError(smtplib.SMTPSenderRefused(code, reply, sender))
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    connection.putcmd("rcpt", f"TO:{recipient}")  # SMTP.rcpt would parse it again
    code, reply = connection.getreply()
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = connection.data(data)
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


@lru_cache(maxsize=4096)
def _path(address: str) -> str:
    """`<addr>` as smtplib quotes it, parsed once per address."""
    return smtplib.quoteaddr(address)


def _refusal(code: int, reason: str) -> DeliveryError:
    if 500 <= code < 600:
        return PermanentDeliveryError(f"{reason} ({code})")
    return TransientDeliveryError(f"{reason} ({code})")


def _address(sender: str) -> str:
    return parseaddr(sender)[1] or sender
