"""How every command runs: idempotent by command id, retried on concurrent writes, typed errors."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, wraps
from inspect import signature
from typing import Any, ParamSpec, TypeVar, cast
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import Environment

from application.command_ids import minted_here
from application.committer import GroupCommitter
from application.deadline import DEFAULT_DEADLINE_S, TRANSIENT, current, within
from application.errors import (
    ConcurrencyConflictError,
    CustomerErasedError,
    DatabaseUnavailableError,
    IdempotencyKeyReusedError,
    NotFoundError,
    OutcomeUnknownError,
    ServiceUnavailableError,
)
from application.fingerprint import ErasedSubjectError, Fingerprint, caller_hash, matches
from application.keystore import KeyStore
from application.recorders import Receipt, ReceiptRecorder, ReceiptTakenError
from domain.base import CareAggregate
from domain.customer import Customer
from domain.errors import DomainError, InvalidInputError
from domain.meta import Meta

log = logging.getLogger(__name__)

A = TypeVar("A", bound=CareAggregate)
P = ParamSpec("P")

MAX_ATTEMPTS = 8
ID_NAMESPACE = UUID("9f0c4a8e-3d2b-5c1a-9e7f-4b6d8a2c1e05")


def new_id(meta: Meta, kind: type[CareAggregate]) -> UUID:
    """The id of the aggregate a command creates, derived from the command id: a retried or
    repeated creation names the same aggregate, and a replayed day gets the same ids."""
    return created_by(meta.command_id, kind)


def created_by(command_id: str, kind: type[CareAggregate]) -> UUID:
    """The id of the aggregate of `kind` that the command `command_id` creates."""
    return uuid5(ID_NAMESPACE, f"{kind.__name__}/{command_id}")


@dataclass(frozen=True)
class Outcome:
    """What a command did: the aggregate it changed, its new version, and the log position."""

    aggregate_id: UUID
    version: int
    position: int | None
    replayed: bool = False
    aggregate: CareAggregate | None = field(default=None, compare=False, repr=False)
    """The aggregate as this command left it (absent on a replay: load it at `version`)."""


@dataclass(frozen=True)
class CommandName:
    name: str
    fingerprint: Fingerprint
    written: list[int] = field(default_factory=list, compare=False)
    """Filled once this call's events are committed: from then on its outcome is known to be
    recorded, and a database gone away answers OUTCOME_UNKNOWN, never UNAVAILABLE."""


_current: ContextVar[CommandName | None] = ContextVar("careledger_command", default=None)


def command(
    *,
    personal: tuple[str, ...] = (),
    incidental: tuple[str, ...] = (),
    about: Callable[[Meta], UUID] | None = None,
    precheck_unless: str | None = None,
    then: Callable[[Any, Outcome], None] | None = None,
) -> Callable[[Callable[P, Outcome]], Callable[P, Outcome]]:
    """Marks an application method as a command: its name and non-personal arguments identify it.

    A repeated command id is only accepted from the same caller for the same command with the
    same arguments; personal arguments are compared through an HMAC under their customer's own
    data key (application/fingerprint.py), so nothing readable or guessable of them is stored.
    `incidental` arguments say how the caller wants it done, not what is asked (a delivery
    process's claim on the first attempt): a repeat that differs in them is the same command.
    The reason's free text is sealed under the key of the customer the command is about
    (application/reasons.py), found from its arguments unless `about` names them (a
    registration is about the customer it creates).

    A repeat is answered from its receipt before any work, unless the argument named by
    `precheck_unless` is given (not None or False): the caller's own copy of the aggregate
    (see `change`), which a repeat cannot write past, or the caller's word that it looked for
    the receipt itself (a creation, whose repeat writes the same receipt and aggregate id). A
    repeat's events then conflict on their version or its receipt on the command id, or the
    copy refuses or ignores the change (it is the first run's own, already changed); each is
    retried, and the retry finds the receipt and answers from it. That saves the look-up on a
    path where repeats are rare.

    `then(app, outcome)` runs after the command has been recorded, on its first run and on
    every repeat, so that a step outside the event log that a crash or an outage cut off (the
    contact index) is done by the retry. It must be idempotent and read the state it needs
    (the repeat may come after later commands). Once the events are committed, a database gone
    away answers OUTCOME_UNKNOWN (retry with the same id), never UNAVAILABLE (nothing recorded).
    """

    def decorate(method: Callable[P, Outcome]) -> Callable[P, Outcome]:
        sig = signature(method)

        @wraps(method)
        def run(*args: P.args, **kwargs: P.kwargs) -> Outcome:
            bound = sig.bind(*args, **kwargs).arguments
            app = cast(CommandHandling, bound["self"])
            identifying = {k: v for k, v in bound.items() if k not in incidental}
            name = CommandName(
                method.__name__, _fingerprint(method.__name__, identifying, personal)
            )
            token, sealing = _current.set(name), name.fingerprint.sealing()
            seconds = getattr(app, "command_deadline_s", DEFAULT_DEADLINE_S)
            try:
                with within(seconds):
                    outcome = _run_once(args, kwargs, bound, name)
                    if then is not None:
                        then(app, outcome)
                    return outcome
            except DatabaseUnavailableError as error:
                if name.written:
                    raise OutcomeUnknownError() from error
                raise
            finally:
                name.fingerprint.done_sealing(sealing)
                _current.reset(token)

        def _run_once(args: Any, kwargs: Any, bound: dict[str, Any], name: CommandName) -> Outcome:
            app, meta = cast(CommandHandling, bound["self"]), cast(Meta, bound["meta"])
            # A repeat is answered from its receipt before any work: no load, no writer.
            # An id minted for this very call has none (application/command_ids.py).
            checked = precheck_unless is None or not bound.get(precheck_unless)
            checked = checked and not minted_here(meta.command_id)
            if checked and (earlier := app.receipts.select_receipt(meta.command_id)):
                return app._replay(earlier, name)
            customer = None if about is None else about(meta)
            sealed = app.sealed_reason(meta, bound, customer)
            if sealed is meta:
                return method(*args, **kwargs)
            call = sig.bind(*args, **kwargs)
            call.arguments["meta"] = sealed
            return method(*call.args, **call.kwargs)

        return run

    return decorate


def _fingerprint(name: str, bound: dict[str, Any], personal: tuple[str, ...]) -> Fingerprint:
    public = {k: v for k, v in bound.items() if k not in ("self", "meta", *personal)}
    text = json.dumps([name, public], sort_keys=True, default=str)
    private = {k: v for k, v in bound.items() if k in personal}
    return Fingerprint(
        public=hashlib.sha256(text.encode()).hexdigest(),
        caller=caller_hash(cast(Meta, bound["meta"]).actor),
        personal=json.dumps(private, sort_keys=True, default=str) if personal else None,
    )


def _plain_reason(event: Any) -> bool:
    reason = event.meta.reason
    return reason is not None and bool(reason.text)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """The aggregate with `events` applied in order. The library's own projector asserts each
    event against a runtime-checkable Protocol, which cost ~20 us an event: more than decoding
    it. Our events are all the library's DomainEvent subclasses, so mutate() is there."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _GuessMissedError(Exception):
    """The caller's copy of an aggregate refused the change or made none: only a fresh load
    can say whether that is the answer."""


def _on_guess(aggregate: A, action: Callable[[A], object]) -> Sequence[CareAggregate]:
    try:
        action(aggregate)
    except DomainError:
        raise _GuessMissedError() from None
    if not aggregate.pending_events:
        raise _GuessMissedError()
    return (aggregate,)


class CommandHandling(Application[UUID]):
    """The save path every command shares."""

    command_deadline_s: float = DEFAULT_DEADLINE_S
    keys: KeyStore

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Our settings module is the only source of configuration: ignore os.environ here.
        return Environment(name, {"IS_SNAPSHOTTING_ENABLED": "y", **dict(env or {})})

    @property
    def receipts(self) -> ReceiptRecorder:
        return cast(ReceiptRecorder, self.recorder)

    @cached_property
    def committer(self) -> GroupCommitter:
        return GroupCommitter(self.receipts)

    def close(self) -> None:
        if "committer" in self.__dict__:
            self.committer.close()
        super().close()

    def load(
        self,
        kind: type[A],
        aggregate_id: UUID,
        version: int | None = None,
        *,
        shared: bool = False,
    ) -> A:
        """The aggregate now, or exactly at `version` (the library would give the latest
        version up to it: a version past the last is refused instead).

        `shared`: the cached instance itself rather than a copy of it, for a caller that only
        reads it and reads each field once (the cache may bring it forward meanwhile). Copying
        an order out of the cache is most of what loading it costs."""
        if version is not None and version < 1:
            raise InvalidInputError("version", "must be 1 or more (the first event is 1)")
        try:
            aggregate: Any = self.repository.get(
                aggregate_id,
                version=version,
                projector_func=replay,
                deepcopy_from_cache=not shared,
            )
        except AggregateNotFoundError:
            raise NotFoundError(kind.__name__, aggregate_id) from None
        if not isinstance(aggregate, kind):
            raise NotFoundError(kind.__name__, aggregate_id)
        if version is not None and aggregate.version != version:
            latest = f"the {kind.__name__} is at version {aggregate.version}"
            raise InvalidInputError("version", f"{version} is past the last one: {latest}")
        return aggregate

    def sealed_reason(
        self, meta: Meta, arguments: Mapping[str, Any], about: UUID | None = None
    ) -> Meta:
        """The command's metadata as it may be stored: here, with no vault to seal it, a reason
        with free text is refused (application/reasons.py seals it)."""
        if meta.reason is not None and meta.reason.text:
            raise InvalidInputError("reason_text", "nothing here can seal free text")
        return meta

    def registered(self, customer_id: UUID) -> Customer:
        """The customer a command names, who must have been registered (NOT_FOUND)."""
        return self.load(Customer, customer_id, shared=True)

    def version_at(self, kind: type[A], aggregate_id: UUID, when: datetime) -> int:
        """The aggregate's version as recorded at `when` (recorded time, not business time)."""
        version = 0
        for event in self.events.get(aggregate_id):
            if event.timestamp > when:  # type: ignore[attr-defined]
                break
            version = event.originator_version
        if version == 0:
            raise NotFoundError(kind.__name__, aggregate_id)
        return version

    def version_at_business_time(self, kind: type[A], aggregate_id: UUID, when: datetime) -> int:
        """The aggregate's version as of the business time `when` (its events' `occurred_at`):
        the events in order up to the first that happened after `when`."""
        version = 0
        for event in self.events.get(aggregate_id):
            if event.meta.occurred_at > when:  # type: ignore[attr-defined]
                break
            version = event.originator_version
        if version == 0:
            raise NotFoundError(kind.__name__, aggregate_id)
        return version

    def create(
        self,
        meta: Meta,
        kind: type[A],
        build: Callable[[], A],
        also: Callable[[A], Sequence[CareAggregate]] = lambda _: (),
    ) -> Outcome:
        """Records a new aggregate, with whatever `also` changes alongside it."""

        def attempt() -> Sequence[CareAggregate]:
            aggregate = build()
            return (aggregate, *also(aggregate))

        return self._execute(meta, kind.__name__, attempt)

    def change(
        self,
        meta: Meta,
        kind: type[A],
        aggregate_id: UUID,
        action: Callable[[A], object],
        known: A | None = None,
    ) -> Outcome:
        """`known`: the aggregate as the caller last wrote it, its own object (never the
        cache's: it is changed in place), tried first instead of loading. A stale one costs a
        retry, never a wrong answer: its new events conflict on their version when someone
        wrote meanwhile, and a refusal or a no-op on it is checked against a fresh load."""
        guesses = [known] if known is not None and known.id == aggregate_id else []

        def attempt() -> Sequence[CareAggregate]:
            if guesses:
                return _on_guess(guesses.pop(), action)
            aggregate = self.load(kind, aggregate_id)
            action(aggregate)
            return (aggregate,)

        return self._execute(meta, kind.__name__, attempt, aggregate_id)

    def change_together(
        self,
        meta: Meta,
        kind: type[A],
        aggregate_id: UUID,
        action: Callable[[A], Sequence[CareAggregate]],
    ) -> Outcome:
        """Changes the aggregate and the others `action` returns, all in one transaction: a
        version conflict on any of them retries the whole command. The outcome names the
        first aggregate."""

        def attempt() -> Sequence[CareAggregate]:
            aggregate = self.load(kind, aggregate_id)
            return (aggregate, *action(aggregate))

        return self._execute(meta, kind.__name__, attempt, aggregate_id)

    def _execute(
        self,
        meta: Meta,
        entity: str,
        attempt: Callable[[], Sequence[CareAggregate]],
        aggregate_id: UUID | None = None,
    ) -> Outcome:
        name = _current.get()
        if name is None:
            raise RuntimeError("commands must be application methods decorated with @command")
        # A pass that lost a race to the writer may have lost it to this very command's
        # own earlier write; when the database goes before the receipt can say so, the
        # command's outcome is unknown (retry with the same id), not refused.
        raced = False
        try:
            for attempt_no in range(1, MAX_ATTEMPTS + 1):
                # The command's decorator looked for a receipt before the first pass; a repeat
                # that raced its first send to the writer fails on the receipt's key and is
                # answered from the receipt on the next pass.
                if attempt_no > 1 and (earlier := self.receipts.select_receipt(meta.command_id)):
                    return self._replay(earlier, name)
                try:
                    touched = attempt()
                except _GuessMissedError:
                    continue  # the caller's copy refused or did nothing: ask a fresh one
                except DomainError:
                    # The same command may have committed before: its first outcome wins over a
                    # refusal caused by the command itself.
                    earlier = self.receipts.select_receipt(meta.command_id)
                    if earlier is None:
                        raise
                    return self._replay(earlier, name)
                aggregate = touched[0]
                if not any(a.pending_events for a in touched):
                    if earlier := self.receipts.select_receipt(meta.command_id):
                        return self._replay(earlier, name)
                    position = self.receipts.position_of(aggregate.id, aggregate.version)
                    return Outcome(aggregate.id, aggregate.version, position, aggregate=aggregate)
                fingerprint = name.fingerprint.text(self.keys.key_for)
                receipt = Receipt(
                    meta.command_id, name.name, fingerprint, aggregate.id, aggregate.version
                )
                try:
                    position = self._commit(touched, receipt)
                    name.written.append(aggregate.version)
                except ReceiptTakenError:
                    raced = True
                    continue  # this very command, sent twice at once: the receipt tells next pass
                except IntegrityError:
                    raced = True
                    # Someone else wrote first: either this very command (the receipt tells on the
                    # next pass) or another command on the same aggregate (load again and retry).
                    time.sleep(random.uniform(0, 0.002 * 2**attempt_no))
                    continue
                return Outcome(aggregate.id, aggregate.version, position, aggregate=aggregate)
            earlier = self.receipts.select_receipt(meta.command_id)
            if earlier is not None:
                return self._replay(earlier, name)
            raise ConcurrencyConflictError(entity, aggregate_id or UUID(int=0), MAX_ATTEMPTS)
        except DatabaseUnavailableError as error:
            if raced:
                raise OutcomeUnknownError() from error
            raise

    def _commit(self, touched: Sequence[CareAggregate], receipt: Receipt) -> int | None:
        """Stores the aggregates' new events with the command's receipt, sharing a transaction
        with whatever other commands are committing at the same moment. The position is that
        of the first aggregate's last event (the one the receipt names)."""
        events = [(a, a.collect_events()) for a in touched]
        if any(_plain_reason(e) for _, batch in events for e in batch):
            raise RuntimeError("a reason's free text reached the store unsealed")
        stored = [self.mapper.to_stored_event(e) for _, batch in events for e in batch]
        positions = self.committer.commit(stored, receipt, current(self.command_deadline_s))
        for aggregate, batch in events:
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval and any(e.originator_version % interval == 0 for e in batch):
                self._snapshot(aggregate)
        first = len(events[0][1])
        if not positions:
            return None
        return positions[first - 1] if first else positions[-1]

    def _snapshot(self, aggregate: CareAggregate) -> None:
        # The command has committed: a snapshot the database cannot take now is taken at
        # the next interval instead, and must not turn the command's answer into a failure.
        try:
            self.take_snapshot(aggregate.id, version=aggregate.version)
        except (ServiceUnavailableError, *TRANSIENT) as error:
            log.warning("snapshot of %s skipped: %s", aggregate.id, error)

    def _replay(self, earlier: Receipt, name: CommandName) -> Outcome:
        try:
            same = earlier.command == name.name and matches(
                earlier.fingerprint, name.fingerprint, self.keys.key_for
            )
        except ErasedSubjectError as erased:
            raise CustomerErasedError(erased.subject) from None
        if not same:
            raise IdempotencyKeyReusedError(earlier.command_id)
        name.written.append(earlier.originator_version)
        position = self.receipts.position_of(earlier.originator_id, earlier.originator_version)
        return Outcome(earlier.originator_id, earlier.originator_version, position, replayed=True)
