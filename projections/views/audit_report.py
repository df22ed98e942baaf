"""What `careledger audit verify` finds, and the text it prints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["altered", "deleted", "inserted", "reordered"]

_ANCHOR = re.compile(r"([0-9]+):([0-9a-f]{64})")


@dataclass(frozen=True)
class Anchor:
    """A chain head kept outside the database: the log up to `position` must hash to `link`."""

    position: int
    link: str

    def __str__(self) -> str:
        return f"{self.position}:{self.link}"


def parse_anchor(text: str) -> Anchor:
    """Reads an anchor as printed by `format_report`: `<position>:<64 hex digits>`."""
    match = _ANCHOR.fullmatch(text.strip().lower())
    if match is None or int(match[1]) < 1:
        raise ValueError(f"an anchor looks like 1234:<64 hex digits>, not {text!r}")
    return Anchor(int(match[1]), match[2])


@dataclass(frozen=True)
class Problem:
    """The first position where the log and its chain part ways."""

    position: int
    kind: Kind
    detail: str
    originator_id: str | None = None
    originator_version: int | None = None


@dataclass(frozen=True)
class VerificationReport:
    ok: bool
    checked: int  # events whose link was recomputed and matched (in this walk)
    head_position: int  # the chain's last position (0 when empty)
    head_link: str  # hex; the genesis link when empty
    problem: Problem | None
    unchained: int = 0  # events past the head, not chained yet (in this walk)
    start: int = 0  # the position the walk began after (0: from the first event)
    through: int = 0  # the last position the walk verified
    resume: Anchor | None = None  # where a walk cut short by its limit goes on

    @property
    def complete(self) -> bool:
        """The walk reached the end of the log, finding nothing wrong on its way."""
        return self.ok and self.resume is None

    @property
    def anchor(self) -> Anchor:
        return Anchor(self.head_position, self.head_link)


def format_report(report: VerificationReport) -> str:
    if report.problem is not None:
        problem = report.problem
        began = f" in this walk, which began after position {report.start}" if report.start else ""
        return (
            f"audit chain BROKEN at position {problem.position}: {problem.kind}\n"
            f"  {problem.detail}\n"
            f"  {report.checked} events verified before it{began}; the chain's head is position"
            f" {report.head_position}"
        )
    if report.resume is not None:
        return (
            f"{_piece(report, 'intact so far')}\n"
            f"  the walk stopped at its limit: go on after {report.resume}"
        )
    if report.start:
        lines = [_piece(report, "intact")]
    else:
        lines = [
            f"audit chain intact: {report.checked} events verified up to position"
            f" {report.head_position}; {report.unchained} newer events not yet chained"
        ]
    if report.head_position:
        lines.append(
            f"  head {report.anchor}\n"
            "  keep this line outside the database; a later verify given it as the anchor"
            " proves nothing up to that position was rewritten"
        )
    return "\n".join(lines)


def _piece(report: VerificationReport, verdict: str) -> str:
    """One piece of a walk cut in pieces: what it covered."""
    since = f" after position {report.start}" if report.start else ""
    return (
        f"audit chain {verdict}: {report.checked} events verified and {report.unchained} not yet"
        f" chained{since} up to position {report.through}"
    )
