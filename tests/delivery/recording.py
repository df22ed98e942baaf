"""A channel for the notifier's own tests: records what it was given and fails as scripted.

The channels themselves are tested against real servers (SMTP, HTTP) in their own modules; this
one lets a test decide each attempt's outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from delivery.channels.base import (
    Channel,
    ChannelKind,
    DeliveryError,
    Message,
    PermanentDeliveryError,
    Sent,
    TransientDeliveryError,
)


class RecordingChannel:
    def __init__(self, kind: ChannelKind) -> None:
        self.kind = kind
        self.sent: list[Message] = []
        self.script: list[DeliveryError] = []  # raised in turn before anything is taken
        self._lock = threading.Lock()

    def fail_next(self, *errors: DeliveryError) -> None:
        self.script.extend(errors)

    def send(self, message: Message) -> Sent:
        with self._lock:
            if self.script:
                raise self.script.pop(0)
            self.sent.append(message)
            return Sent(provider_id=f"{self.kind}-{len(self.sent)}")

    def close(self) -> None:
        pass


class Recorder:
    """One recording channel per kind, shared by every delivery thread."""

    def __init__(self) -> None:
        self.channels = {kind: RecordingChannel(kind) for kind in ChannelKind}

    def __call__(self) -> Mapping[ChannelKind, Channel]:
        return self.channels

    def __getitem__(self, kind: ChannelKind) -> RecordingChannel:
        return self.channels[kind]

    def all(self) -> list[Message]:
        return [m for channel in self.channels.values() for m in channel.sent]


__all__ = ["PermanentDeliveryError", "Recorder", "RecordingChannel", "TransientDeliveryError"]
