"""An SMTP server for the benchmarks, in a process of its own, that logs when each message
arrived: one line `<Message-ID's id or -> <epoch seconds>` a message, flushed at once; and
`Arrivals`, the benchmark's side, which starts it and reads the log.

    python -m bench.smtp_arrivals PORT LOG

In its own process the server answers as a provider's would, instead of waiting on the GIL of
the benchmark that drives the load (which made every SMTP reply slower under load).
"""

from __future__ import annotations

import re
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from aiosmtpd.controller import Controller

from bench.serving import Process

MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([0-9a-f-]{36})@", re.I | re.M)


class LoggedArrivals:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        found = MESSAGE_ID.search(envelope.original_content or envelope.content)
        name = "-" if found is None else found.group(1).decode()
        with self.lock:
            self.out.write(f"{name} {now:.6f}\n")
            self.out.flush()
        return "250 OK"


class Arrivals:
    """When each notification's message arrived, as the server's process logs it."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.at: dict[str, float] = {}
        self.other = 0
        self._read = 0

    def server(self, port: int) -> Process:
        """The server, logging here, ready once it accepts connections on `port`."""
        self.log.touch()
        command = [sys.executable, "-m", "bench.smtp_arrivals", str(port), str(self.log)]
        return Process("smtp-arrivals", command, ready=lambda: _listening(port))

    def refresh(self) -> None:
        """Takes in the lines logged since the last call (whole lines only)."""
        with self.log.open("rb") as log:
            log.seek(self._read)
            chunk = log.read()
        whole = chunk[: chunk.rfind(b"\n") + 1]
        self._read += len(whole)
        for line in whole.decode().splitlines():
            name, at = line.split()
            if name == "-":
                self.other += 1
            else:
                self.at.setdefault(name, float(at))

    def count(self) -> int:
        self.refresh()
        return len(self.at) + self.other


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def main() -> None:
    port, log = int(sys.argv[1]), Path(sys.argv[2])
    with log.open("a", encoding="ascii") as out:
        controller = Controller(LoggedArrivals(out), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
