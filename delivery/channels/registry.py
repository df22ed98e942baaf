"""The channels a deployment has, from its settings: each kind configured, else the outbox."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from application.settings import Settings
from delivery.channels.base import Channel, ChannelKind
from delivery.channels.http_provider import HttpProviderChannel
from delivery.channels.mime import DEFAULT_SENDER
from delivery.channels.outbox import OutboxChannel
from delivery.channels.robots import RobotChannel
from delivery.channels.smtp import SmtpChannel, SmtpServer

Channels = Mapping[ChannelKind, Channel]


def channels_from_settings(settings: Settings) -> Callable[[], Channels]:
    """A factory of one set of channels (each delivery thread opens its own connections)."""
    sender = settings.mail_from or DEFAULT_SENDER
    smtp = SmtpServer.from_url(settings.smtp_url) if settings.smtp_url else None
    outbox = settings.data_dir / "outbox"
    providers = [
        (kind, url, token)
        for kind, url, token in (
            (ChannelKind.SMS, settings.sms_url, settings.sms_token),
            (ChannelKind.PUSH, settings.push_url, settings.push_token),
        )
        if url
    ]

    def make() -> Channels:
        channels: dict[ChannelKind, Channel] = {
            kind: OutboxChannel(outbox, kind, sender) for kind in ChannelKind
        }
        if smtp is not None:
            channels[ChannelKind.EMAIL] = SmtpChannel(smtp, sender)
        for kind, url, token in providers:
            channels[kind] = HttpProviderChannel(kind, url, token, settings.receipt_url)
        if settings.im_robots:
            channels[ChannelKind.IM] = RobotChannel()
        return channels

    return make
