"""A rebuild's reading and decoding, in a process of its own.

Selecting a page of the log and decoding it took more Python than applying it, and both ran
under one interpreter lock. Here a spawned process selects the pages of a range and reads the
fields the view names (projections/engine/partial.py) into plain values, and sends each page
pickled through a pipe; the rebuild's process only turns them into envelopes and applies
them. The process opens its own connection to the log from the application's settings and
writes nothing.
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
import traceback
from collections.abc import Generator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from uuid import UUID, SafeUUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    DatetimeAsISO,
    DecimalAsStr,
    InfrastructureFactory,
    JSONTranscoder,
    Mapper,
    Notification,
    UUIDAsHex,
)
from eventsourcing.utils import Environment

from application.app import CareLedger, domain_modules
from application.transcodings import register_value_types
from projections.engine.partial import PartialDecoder
from projections.engine.projection import Envelope

Page = tuple[int, list[Envelope], int]  # after, envelopes, up to
# One event as the process sends it: position, originator id (a UUID's int), version, topic,
# stored state, and the fields read (None: the receiver decodes it whole).
Sent = tuple[int, int | str, int, str, bytes, dict[str, Any] | None]


@dataclass(frozen=True)
class Source:
    """What the reading process needs: the library's settings and what to read."""

    env: dict[str, str]
    topics: tuple[str, ...]
    reads: tuple[str, ...]
    page_size: int


UNKNOWN_SAFETY = SafeUUID.unknown  # what a UUID read from the database says (looked up once)


class ReaderFailedError(RuntimeError):
    """The reading process failed; its traceback is the message."""


def mapper_of(factory: InfrastructureFactory[Any]) -> Mapper[Any]:
    """The mapper the application builds (`CareLedger.register_transcodings`)."""
    transcoder = factory.transcoder()
    assert isinstance(transcoder, JSONTranscoder)
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    register_value_types(transcoder, domain_modules())
    return factory.mapper(transcoder=transcoder)


def read(source: Source, after: int, stop: int, out: Connection) -> None:
    """The process's work: every page of (after, stop], then None; or what failed."""
    try:
        env = {**source.env, "CREATE_TABLE": "n", "POSTGRES_POOL_SIZE": "1"}
        factory = InfrastructureFactory.construct(Environment(CareLedger.name, env))
        recorder = factory.application_recorder()
        decoder = PartialDecoder(mapper_of(factory), source.reads)
        position = after
        while position < stop:
            sent, position = _page(recorder, decoder, source, position, stop)
            out.send_bytes(pickle.dumps(sent, pickle.HIGHEST_PROTOCOL))
        out.send_bytes(pickle.dumps(None))
    except Exception as error:
        out.send_bytes(_failure(error))
    finally:
        out.close()


def _failure(error: Exception) -> bytes:
    """The error itself where it pickles (a database that went away stays one the caller
    retries), else its traceback as a ReaderFailedError."""
    text = traceback.format_exc()
    try:
        return pickle.dumps((error, text))
    except Exception:
        return pickle.dumps((ReaderFailedError(text), text))


def _page(
    recorder: ApplicationRecorder,
    decoder: PartialDecoder,
    source: Source,
    after: int,
    stop: int,
) -> tuple[tuple[int, list[Sent], int], int]:
    notes = recorder.select_notifications(
        start=after,
        limit=source.page_size,
        stop=stop,
        topics=source.topics,
        inclusive_of_start=False,
    )
    end = notes[-1].id if len(notes) == source.page_size else stop
    sent = [
        (n.id, _id_of(n.originator_id), n.originator_version, n.topic, n.state, decoder.fields(n))
        for n in notes
    ]
    return (after, sent, end), end


def _id_of(originator_id: UUID | str) -> int | str:
    return originator_id.int if isinstance(originator_id, UUID) else originator_id


def pages(
    decoder: PartialDecoder, source: Source, after: int, stop: int, depth: int
) -> Generator[Page, None, None]:
    """The pages of (after, stop] as envelopes, read by a process of their own up to `depth`
    pages ahead; the process is ended when the caller stops (done, failed or abandoned)."""
    context = multiprocessing.get_context("spawn")  # never fork a process holding threads
    inbound, outbound = context.Pipe(duplex=False)
    process = context.Process(
        target=read, args=(source, after, stop, outbound), daemon=True, name="rebuild-reader"
    )
    process.start()
    outbound.close()
    receiver = Receiver(inbound, decoder, depth)
    receiver.start()
    try:
        while (page := receiver.next()) is not None:
            yield page
    finally:
        process.terminate()
        process.join()
        receiver.stop()
        inbound.close()


class Receiver(threading.Thread):
    """Turns what the process sends into pages of envelopes, `depth` pages ahead at most."""

    def __init__(self, inbound: Connection, decoder: PartialDecoder, depth: int) -> None:
        super().__init__(daemon=True, name="rebuild-receiver")
        self.inbound = inbound
        self.decoder = decoder
        self.room = threading.Semaphore(depth)
        self.arrived = threading.Condition()
        self.ready: list[Page | BaseException | None] = []
        self.stopping = False

    def run(self) -> None:
        while True:
            self.room.acquire()
            item = self._item()
            with self.arrived:
                self.ready.append(item)
                self.arrived.notify()
            if not isinstance(item, tuple):
                return

    def _item(self) -> Page | BaseException | None:
        if self.stopping:
            return None
        try:
            item: Any = pickle.loads(self.inbound.recv_bytes())
        except (EOFError, OSError):
            return ReaderFailedError("the rebuild's reading process ended without a word")
        if item is None:
            return None
        if isinstance(item[0], BaseException):
            error, text = item
            error.__cause__ = ReaderFailedError(text)
            return error  # type: ignore[no-any-return]
        return _envelopes(self.decoder, *item)

    def next(self) -> Page | None:
        with self.arrived:
            self.arrived.wait_for(lambda: bool(self.ready))
            item = self.ready.pop(0)
        self.room.release()
        if isinstance(item, BaseException):
            raise item
        return item

    def stop(self) -> None:
        """Lets the thread see the process gone, and waits for it."""
        self.stopping = True
        self.room.release()
        self.join()


def _envelopes(decoder: PartialDecoder, after: int, sent: list[Sent], end: int) -> Page:
    made: list[Envelope] = []
    for position, oid, version, topic, state, values in sent:
        note = _notification(position, oid, version, topic, state)
        event = decoder.decode_whole(note) if values is None else decoder.assemble(note, values)
        made.append(Envelope(position, topic, event, note))
    return after, made, end


def _notification(
    position: int, oid: int | str, version: int, topic: str, state: bytes
) -> Notification:
    """The stored record as the recorder made it in the reading process, made as the mapper
    makes events (that frozen dataclass's checks ran there)."""
    note = object.__new__(Notification)
    fields = {
        "originator_id": _uuid(oid) if isinstance(oid, int) else oid,
        "originator_version": version,
        "topic": topic,
        "state": state,
        "id": position,
    }
    object.__setattr__(note, "__dict__", fields)
    return note


def _uuid(value: int) -> UUID:
    """UUID(int=value), without the checks of its constructor (it was a UUID when sent)."""
    made = object.__new__(UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", UNKNOWN_SAFETY)
    return made
