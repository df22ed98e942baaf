"""The demo's progress bar, on stderr."""

from __future__ import annotations

from typing import TextIO

from demo.execute import Progress

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, progress: Progress) -> None:
        share = progress.done / progress.total if progress.total else 1.0
        filled = int(WIDTH * share)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%}"
            f" {progress.done:,}/{progress.total:,} commands"
            f" (+{progress.by_policies:,} by policies)  {progress.rate:,.0f} commands/s"
            f"  {progress.now:%H:%M}  "
        )
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
