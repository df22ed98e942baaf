"""The CareLedger application: every command of every aggregate, on one event store."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any, ClassVar

from eventsourcing.persistence import JSONTranscoder
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

import domain
from application.clusters import ClusterCommands
from application.contact_index import ContactIndex, PostgresContactIndex, SQLiteContactIndex
from application.customers import CustomerCommands
from application.history_import import HistoryImportCommands
from application.incidents import IncidentCommands
from application.key_migration import move_legacy_index, move_legacy_keys
from application.keystore import KeyStore
from application.ledgers import LedgerCommands
from application.master_keys import MasterKeys
from application.notifications import NotificationCommands
from application.orders import OrderCommands
from application.personal_data_reads import PersonalDataReadCommands
from application.postgres_keystore import PostgresKeyStore, keys_schema
from application.postgres_target import PostgresTarget
from application.reasons import ReasonSealing
from application.reassignment import ReassignmentCommands
from application.recorders import (
    BoundedAggregateRecorder,
    PostgresReceiptRecorder,
    seek_session_attrs,
)
from application.schema_lock import schema_lock
from application.settings import Settings
from application.sqlite_keystore import SQLiteKeyStore
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
# The contact index's key, kept in the key store beside the data keys (never a customer's id).
CONTACT_INDEX_SUBJECT = "careledger:contact-index"
SNAPSHOTTED = (Order, Complaint, Incident, Customer, Survey, OrderLedger)


def domain_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"domain.{m.name}") for m in pkgutil.iter_modules(domain.__path__)
    ]


class CareLedger(
    ReasonSealing,
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
    PersonalDataReadCommands,
):
    name = "careledger"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {kind: 50 for kind in SNAPSHOTTED}

    _keys_datastore: PostgresDatastore | None = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Per instance, so tests and deployments can choose the interval.
        self.snapshotting_intervals = {kind: settings.snapshot_interval for kind in SNAPSHOTTED}  # type: ignore[misc]
        # Events, snapshots, receipts and keys: created or upgraded by one process at a time.
        self.command_deadline_s = settings.command_deadline_s
        # A master key refused (in production, one in the data dir) refuses before any write.
        masters = MasterKeys(settings.resolved_master_key(), settings.previous_master_keys)
        with schema_lock(settings):
            super().__init__(env=settings.eventsourcing_env())
            self._bound_waits()
            self.keys = self._construct_key_store(masters)
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

    def _construct_key_store(self, masters: MasterKeys) -> KeyStore:
        settings = self.settings
        store: KeyStore
        if isinstance(self.recorder, PostgresApplicationRecorder):
            store = self._postgres_key_store(self.recorder.datastore, masters)
        else:
            store = SQLiteKeyStore(
                settings.data_dir / "keys.db", masters, settings.key_cache_seconds
            )
        try:
            if isinstance(self.recorder, PostgresApplicationRecorder):
                assert isinstance(store, PostgresKeyStore)
                move_legacy_keys(self.recorder.datastore, f"{self.name}_data_keys", store)
            store.check_master_keys()
        except BaseException:
            store.close()
            raise
        return store

    def _postgres_key_store(self, events: PostgresDatastore, masters: MasterKeys) -> KeyStore:
        """In `<schema>_keys` of the events' database, or of CARELEDGER_KEYS_DATABASE_URL's."""
        settings = self.settings
        target = settings.keys_postgres or settings.postgres
        assert target is not None
        if settings.keys_postgres is not None:
            self._keys_datastore = _datastore(target, settings)
        # The eviction listener holds a session: PostgreSQL itself, never through a pooler.
        listen = settings.keys_postgres or settings.direct_postgres
        assert listen is not None
        return PostgresKeyStore(
            self._keys_datastore or events,
            listen.conninfo,
            keys_schema(settings.db_schema),
            masters,
            settings.key_cache_seconds,
            deadline_s=settings.command_deadline_s,
        )

    def _construct_contact_index(self) -> ContactIndex:
        key = self.settings.contact_index_key or self.keys.ensure_key(
            CONTACT_INDEX_SUBJECT, self.settings.derived_contact_index_key
        )
        if isinstance(self.recorder, PostgresApplicationRecorder):
            events = self.recorder.datastore
            index = PostgresContactIndex(
                self._keys_datastore or events,
                keys_schema(self.settings.db_schema),
                key,
                deadline_s=self.settings.command_deadline_s,
            )
            move_legacy_index(events, f"{self.name}_contact_index", index)
            return index
        return SQLiteContactIndex(self.settings.data_dir / "contact_index.db", key)

    def close(self) -> None:
        index: ContactIndex | None = getattr(self, "contact_index", None)
        if index is not None:
            index.close()
        keys: KeyStore | None = getattr(self, "keys", None)
        if keys is not None:
            keys.close()
        if self._keys_datastore is not None:
            self._keys_datastore.close()
        super().close()


def _datastore(target: PostgresTarget, settings: Settings) -> PostgresDatastore:
    datastore = PostgresDatastore(
        target.dbname,
        target.host,
        target.port,
        target.user,
        target.password,
        pool_size=2,
        max_overflow=settings.db_pool_size,
        lock_timeout=settings.db_lock_timeout_s,
        schema=keys_schema(settings.db_schema),
    )
    seek_session_attrs(datastore, target.target_session_attrs)
    return datastore
