"""An SMTP server for the benchmarks, in a process of its own, that logs when each message
arrived: one line `<Message-ID's id or -> <epoch seconds>` a message, flushed at once.

    python -m bench.smtp_arrivals PORT LOG

In its own process the server answers as a provider's would, instead of waiting on the GIL of
the benchmark that drives the load (which made every SMTP reply slower under load).
"""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from aiosmtpd.controller import Controller

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
