"""The staff side of notices, as data: who is reached how (`staff.toml`) and which alert goes to
whom (`routing.toml`). docs/architecture.md#notices.

A route names audiences (`assignee`, `oncall`, `escalation`, `commander`, `superiors`, `duty`,
`commanders`, `owner`); the event that raised the alert fills them in (the complaint's assignee
and department, the incident's commander) and the directory's rotas turn them into people and
robots. An alert is requested once per recipient; the recipient's address is looked up when it
is sent, so nothing of it is recorded.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.errors import InvalidInputError
from domain.notification import CUSTOMER_NOTICES, NoticeChannel, NoticeKind, RecipientKind
from domain.teams import NO_TEAMS, Team, Teams

BUILT_IN_DIRECTORY = Path(__file__).with_name("staff.toml")
BUILT_IN_ROUTES = Path(__file__).with_name("routing.toml")
AUDIENCES = frozenset(
    {
        "assignee",
        "oncall",
        "escalation",
        "commander",
        "superiors",
        "duty",
        "commanders",
        "owner",
        "privacy",
    }
)
STAFF_CHANNELS = (NoticeChannel.EMAIL, NoticeChannel.SMS, NoticeChannel.IM)


class StaffConfigError(ValueError):
    """The directory or the routes are malformed: the service does not start with them."""


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    id: str
    channel: NoticeChannel


@dataclass(frozen=True)
class Contact:
    channel: NoticeChannel
    address: str


@dataclass(frozen=True)
class Directory:
    people: Mapping[str, Contact]
    robots: Mapping[str, str]
    rotas: Mapping[str, tuple[str, ...]]
    teams: Teams = NO_TEAMS

    @classmethod
    def load(cls, path: Path | None = None) -> Directory:
        data = _toml(path or BUILT_IN_DIRECTORY)
        people = {}
        for person, entry in data.get("people", {}).items():
            try:
                channel = NoticeChannel(entry["channel"])
                address = str(entry["address"])
            except (KeyError, ValueError, TypeError) as error:
                raise StaffConfigError(f"people.{person}: {error!r}") from None
            if channel not in STAFF_CHANNELS or not address.strip():
                raise StaffConfigError(f"people.{person}: needs an email, sms or im address")
            people[person] = Contact(channel, address)
        robots = {name: str(entry["address"]) for name, entry in data.get("robots", {}).items()}
        rotas = {name: tuple(map(str, members)) for name, members in data.get("rotas", {}).items()}
        for rota, members in rotas.items():
            unknown = [m for m in members if m not in people and m not in robots]
            if unknown:
                raise StaffConfigError(f"rota {rota} names no one known: {', '.join(unknown)}")
        return cls(people, robots, rotas, _teams(data.get("teams", {})))

    def recipient(self, name: str) -> Recipient | None:
        """A person or a robot by name; None when the directory does not know them."""
        if name in self.robots:
            return Recipient(RecipientKind.ROBOT, name, NoticeChannel.IM)
        contact = self.people.get(name)
        if contact is None:
            return None
        return Recipient(RecipientKind.STAFF, name, contact.channel)

    def rota(self, name: str) -> list[Recipient]:
        return [r for m in self.rotas.get(name, ()) if (r := self.recipient(m)) is not None]

    def address(self, recipient_kind: str, recipient_id: str) -> str | None:
        """Where the recipient is reached now (None: no longer in the directory)."""
        if recipient_kind == RecipientKind.ROBOT:
            return self.robots.get(recipient_id)
        contact = self.people.get(recipient_id)
        return None if contact is None else contact.address


@dataclass(frozen=True)
class Route:
    notice: NoticeKind
    to: tuple[str, ...]
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    urgent: bool = False

    def applies(self, fields: Mapping[str, Any]) -> bool:
        return all(str(fields.get(name)) in values for name, values in self.when.items())


@dataclass(frozen=True)
class Context:
    """What the raising event tells about its audiences."""

    assignee: str | None = None
    department: str | None = None
    escalation_level: int | None = None
    commander: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Routes:
    routes: tuple[Route, ...]

    @classmethod
    def load(cls, path: Path | None = None) -> Routes:
        data = _toml(path or BUILT_IN_ROUTES)
        routes = []
        for n, entry in enumerate(data.get("route", []), 1):
            try:
                notice = NoticeKind(entry["notice"])
                to = tuple(map(str, entry["to"]))
                when = {k: tuple(map(str, v)) for k, v in dict(entry.get("when", {})).items()}
            except (KeyError, ValueError, TypeError) as error:
                raise StaffConfigError(f"route {n}: {error!r}") from None
            if notice in CUSTOMER_NOTICES:
                raise StaffConfigError(f"route {n}: {notice} goes to the customer, not to staff")
            unknown = sorted(set(to) - AUDIENCES)
            if unknown or not to:
                raise StaffConfigError(f"route {n}: unknown audiences {unknown or 'none given'}")
            routes.append(Route(notice, to, when, bool(entry.get("urgent", False))))
        return cls(tuple(routes))

    def matching(self, notice: NoticeKind, fields: Mapping[str, Any]) -> list[Route]:
        return [r for r in self.routes if r.notice == notice and r.applies(fields)]

    def recipients(
        self, directory: Directory, notice: NoticeKind, fields: Mapping[str, Any], ctx: Context
    ) -> tuple[list[Recipient], bool]:
        """Everyone the alert goes to, each once, and whether it is urgent."""
        found: dict[tuple[str, str], Recipient] = {}
        urgent = False
        for route in self.matching(notice, fields):
            urgent = urgent or route.urgent
            for audience in route.to:
                for recipient in _audience(directory, audience, ctx):
                    found.setdefault((recipient.kind, recipient.id), recipient)
        return list(found.values()), urgent


def _audience(directory: Directory, audience: str, ctx: Context) -> Iterable[Recipient]:
    def person(name: str | None) -> Sequence[Recipient]:
        found = directory.recipient(name) if name else None
        return [found] if found is not None else []

    if audience == "assignee":
        return person(ctx.assignee)
    if audience == "oncall":
        return directory.rota(f"oncall-{ctx.department}") if ctx.department else []
    if audience == "escalation":
        level = ctx.escalation_level
        return directory.rota(f"escalation-{level}") if level else []
    if audience == "commander":
        return person(ctx.commander) or directory.rota("commanders")
    if audience == "owner":
        return person(ctx.owner)
    return directory.rota(audience)  # superiors, duty, commanders, privacy


def _teams(entries: Mapping[str, Any]) -> Teams:
    """`[teams.<name>]` department = "<department>", members = [agents]: each agent in one."""
    try:
        return Teams.of(_team(name, entry) for name, entry in entries.items())
    except (KeyError, TypeError) as error:
        raise StaffConfigError(f"teams: each needs a department and members ({error!r})") from None
    except InvalidInputError as error:
        raise StaffConfigError(str(error)) from None


def _team(name: str, entry: Mapping[str, Any]) -> Team:
    members = entry["members"]
    if not isinstance(members, list):
        raise TypeError(f"teams.{name}.members is not a list")
    return Team.checked(name, str(entry["department"]), members)


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise StaffConfigError(f"{path}: {error}") from None
