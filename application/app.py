"""The CareLedger application: every command of every aggregate, on one event store."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any, ClassVar

from eventsourcing.persistence import JSONTranscoder
from eventsourcing.postgres import PostgresApplicationRecorder

import domain
from application.clusters import ClusterCommands
from application.contact_index import ContactIndex, PostgresContactIndex, SQLiteContactIndex
from application.customers import CustomerCommands
from application.history_import import HistoryImportCommands
from application.incidents import IncidentCommands
from application.keystore import KeyStore, PostgresKeyStore, SQLiteKeyStore
from application.ledgers import LedgerCommands
from application.notifications import NotificationCommands
from application.orders import OrderCommands
from application.reassignment import ReassignmentCommands
from application.recorders import BoundedAggregateRecorder, PostgresReceiptRecorder
from application.schema_lock import schema_lock
from application.settings import Settings
from application.surveys import SurveyCommands
from application.transcodings import register_value_types
from application.vault import Vault
from application.webhooks import WebhookCommands
from domain.complaint import Complaint
from domain.customer import Customer
from domain.incident import Incident
from domain.order import Order
from domain.order_ledger import OrderLedger
from domain.survey import Survey

POOL_WAIT_S = 0.25
SNAPSHOTTED = (Order, Complaint, Incident, Customer, Survey, OrderLedger)


def domain_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"domain.{m.name}") for m in pkgutil.iter_modules(domain.__path__)
    ]


class CareLedger(
    CustomerCommands,
    OrderCommands,
    ReassignmentCommands,
    HistoryImportCommands,
    ClusterCommands,
    IncidentCommands,
    SurveyCommands,
    WebhookCommands,
    NotificationCommands,
    LedgerCommands,
):
    name = "careledger"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {kind: 50 for kind in SNAPSHOTTED}

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Per instance, so tests and deployments can choose the interval.
        self.snapshotting_intervals = {kind: settings.snapshot_interval for kind in SNAPSHOTTED}  # type: ignore[misc]
        # Events, snapshots, receipts and keys: created or upgraded by one process at a time.
        self.command_deadline_s = settings.command_deadline_s
        with schema_lock(settings):
            super().__init__(env=settings.eventsourcing_env())
            self._bound_waits()
            self.keys = self._construct_key_store()
            self.contact_index = self._construct_contact_index()
        self.vault = Vault(self.keys)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_types(transcoder, domain_modules())

    def _bound_waits(self) -> None:
        """Every wait on PostgreSQL ends by the command deadline: each wait for a pooled
        connection is short (then it is tried again while time is left), so none runs far
        past the deadline."""
        deadline = self.settings.command_deadline_s
        snapshots = self.snapshots.recorder if self.snapshots is not None else None
        for recorder in (self.recorder, snapshots):
            if isinstance(recorder, PostgresReceiptRecorder | BoundedAggregateRecorder):
                recorder.deadline_s = deadline
        if isinstance(self.recorder, PostgresApplicationRecorder):
            self.recorder.datastore.pool.timeout = min(POOL_WAIT_S, deadline / 4)

    def _construct_key_store(self) -> KeyStore:
        master = self.settings.resolved_master_key()
        cache = self.settings.key_cache_seconds
        if isinstance(self.recorder, PostgresApplicationRecorder):
            return PostgresKeyStore(
                self.recorder.datastore,
                f"{self.name}_data_keys",
                master,
                cache,
                deadline_s=self.settings.command_deadline_s,
            )
        return SQLiteKeyStore(self.settings.data_dir / "keys.db", master, cache)

    def _construct_contact_index(self) -> ContactIndex:
        key = self.settings.resolved_contact_index_key()
        if isinstance(self.recorder, PostgresApplicationRecorder):
            return PostgresContactIndex(
                self.recorder.datastore,
                f"{self.name}_contact_index",
                key,
                deadline_s=self.settings.command_deadline_s,
            )
        return SQLiteContactIndex(self.settings.data_dir / "contact_index.db", key)

    def close(self) -> None:
        index: ContactIndex | None = getattr(self, "contact_index", None)
        if index is not None:
            index.close()
        keys: KeyStore | None = getattr(self, "keys", None)
        if keys is not None:
            keys.close()
        super().close()
