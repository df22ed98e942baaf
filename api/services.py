"""The long-lived pieces one process serves with: built once by create_app, closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.auth import TokenVerifier
from application.app import CareLedger
from application.settings import Settings
from projections.engine.read_routing import EventSource
from projections.engine.store import ViewStore


@dataclass
class Services:
    settings: Settings
    ledger: CareLedger
    views: ViewStore
    tokens: TokenVerifier
    history: EventSource  # the entities' history: the event store, or routed to a standby
    started: list[object] = field(default_factory=list)
