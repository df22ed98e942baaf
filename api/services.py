"""The long-lived pieces one process serves with: built once by create_app, closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.auth import TokenVerifier
from application.app import CareLedger
from application.settings import Settings
from domain.teams import NO_TEAMS, Teams
from projections.engine.read_routing import EventSource
from projections.engine.store import ViewStore


@dataclass
class Services:
    settings: Settings
    ledger: CareLedger
    views: ViewStore
    tokens: TokenVerifier
    history: EventSource  # the entities' history: the event store, or routed to a standby
    teams: Teams = NO_TEAMS  # of the staff directory, for the complaint dashboard by team
    started: list[object] = field(default_factory=list)
