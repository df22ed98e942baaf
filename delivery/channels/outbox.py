"""The embedded default: every message becomes one `.eml` file under `<data_dir>/outbox/`.

Names start with the UTC time of writing, so `ls` lists them in the order they were sent; they
end with the message id. Each file also has a hard link named by the id alone in `.ids/`, made
with the file: sending one id again (a retry after a crash) finds the link at once, whatever the
size of the outbox and whichever process wrote it, and writes nothing. Two processes racing on
one id both write, and the one whose link fails removes its copy. A file appears whole or not at
all (written aside, then renamed).
Messages for SMS, push and IM robots are e-mails too: the phone number, device or robot in `To:`
(`+8613800000000@sms.outbox`) and the channel in `X-CareLedger-Channel`.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

from delivery.channels.base import ChannelKind, Message, Sent
from delivery.channels.mime import DEFAULT_SENDER, email_bytes, message_id

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_UNSAFE_LOCAL = re.compile(r"[^A-Za-z0-9.+_-]")


class OutboxChannel:
    def __init__(self, directory: Path, kind: ChannelKind, sender: str = DEFAULT_SENDER) -> None:
        self.kind = kind
        self.directory = directory
        self._sender = sender
        self._lock = threading.Lock()
        self._ids: Path | None = None

    def send(self, message: Message) -> Sent:
        name = _UNSAFE.sub("_", message.id)
        with self._lock:
            ids = self._index()
            if not (ids / f"{name}.eml").exists():
                self._write(message, name, ids)
        return Sent(provider_id=message_id(message))

    def close(self) -> None:
        pass

    def _write(self, message: Message, name: str, ids: Path) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        final = self.directory / f"{stamp}-{name}.eml"
        aside = self.directory / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        data = email_bytes(message, self._sender, outbox_address(message))
        with open(aside, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(aside, final)
        try:
            os.link(final, ids / f"{name}.eml")
        except FileExistsError:  # another process wrote this id meanwhile: keep its copy
            final.unlink()

    def _index(self) -> Path:
        """`.ids/`, made on first use; an outbox written before it existed is indexed once."""
        if self._ids is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            ids = self.directory / ".ids"
            if not ids.is_dir():
                building = self.directory / f".ids.{os.getpid()}.{threading.get_ident()}"
                building.mkdir()
                for path in self.directory.glob("*.eml"):
                    stamp_and_name = path.name.split("-", 1)
                    if len(stamp_and_name) == 2:
                        os.link(path, building / stamp_and_name[1])
                try:
                    building.rename(ids)
                except OSError:  # another process made it first
                    shutil.rmtree(building)
            self._ids = ids
        return self._ids


def outbox_address(message: Message) -> str:
    if message.channel is ChannelKind.EMAIL:
        return message.to
    if message.channel is ChannelKind.IM:
        return "staff@im.outbox"  # the robot's webhook URL holds its token: not written out
    return f"{_UNSAFE_LOCAL.sub('_', message.to)}@{message.channel}.outbox"
