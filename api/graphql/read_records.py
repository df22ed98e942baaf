"""Every opening of personal data on the record: once an operation has run, the personal fields
it opened (the request's `NeedToKnow` noted them) are written as one `PersonalDataRead` event,
however many rows it read: who (the event's actor), whose, which fields of which entity, why
(the access basis), through which operation (its root fields) and the correlation id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, TypeVar
from uuid import uuid4

from graphql import FieldNode, OperationDefinitionNode
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import SchemaExtension

from api.graphql.access import NeedToKnow
from api.graphql.context import CommandInput, Context

T = TypeVar("T")

_writing: set[asyncio.Future[Any]] = set()  # records being written, kept from the collector


async def record_openings(context: Context, operation: str) -> None:
    """Writes what the request's checker opened since the last record, if anything."""
    checker = context.notes.get("need_to_know")
    if not isinstance(checker, NeedToKnow):
        return
    openings = checker.take_openings()
    if not openings:
        return
    meta = context.meta(CommandInput(command_id=f"reads/{context.request_id}/{uuid4()}"))
    record = context.services.ledger.record_personal_data_reads
    # Shielded: the data has been sent, so its record is written even when the operation is
    # cancelled meanwhile (a client that completes its subscription and hangs up at once
    # cancels the subscription's task a second time, inside this very await).
    writing = asyncio.ensure_future(run_in_threadpool(record, meta, operation, openings))
    _writing.add(writing)
    writing.add_done_callback(_writing.discard)
    await asyncio.shield(writing)


async def recorded_pushes(
    context: Context, operation: str, pushes: AsyncIterator[T]
) -> AsyncGenerator[T, None]:
    """A subscription's pushes, each one's openings recorded once it has been resolved (when
    the next is asked for, or the subscription ends)."""
    try:
        async for push in pushes:
            yield push
            await record_openings(context, operation)
    finally:
        await record_openings(context, operation)


class RecordReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            await record_openings(context, self._operation())

    def _operation(self) -> str:
        """The operation's root fields, e.g. `customer` or `auditTrail,complaint`."""
        document = self.execution_context.graphql_document
        wanted = self.execution_context.operation_name
        names: set[str] = set()
        for definition in document.definitions if document else ():
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if wanted is not None and (definition.name is None or definition.name.value != wanted):
                continue
            selections = definition.selection_set.selections
            names |= {s.name.value for s in selections if isinstance(s, FieldNode)}
        return ",".join(sorted(names)) or "unknown"
