"""Bulk reassignment for supervisors: a department's queue, or a list of complaints, to one
person; each complaint answered on its own, the whole retried safely with the same command id."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry

from api.graphql.complaints import ComplaintResult, changed
from api.graphql.consistency import read_at
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.outcomes import answer
from api.graphql.problems import Problems, problem_of
from application.reassignment import BULK_MAX, Reassignment
from domain.complaint_types import Department
from domain.errors import DomainError, InvalidInputError
from projections.engine.store import ViewStore
from projections.views.agent_queue import AgentQueueProjection, agent_queue


@strawberry.input(description="Open complaints in a department's queue, optionally one holder's")
class QueueSelection:
    department: Department
    assignee: str | None = strawberry.field(default=None, description="Only this person's")
    at_position: int | None = strawberry.field(
        default=None, description="Read the queue once it has projected this far"
    )


@strawberry.input
class ReassignComplaintsInput(CommandInput):
    department: Department = strawberry.field(description="Responsible after the reassignment")
    person: str = strawberry.field(description="The agent who takes the complaints")
    complaint_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"These complaints (1 to {BULK_MAX}); or give `queue`"
    )
    queue: QueueSelection | None = strawberry.field(
        default=None, description=f"Every open complaint of this queue (at most {BULK_MAX})"
    )


@strawberry.type
class ComplaintReassignment:
    complaint_id: strawberry.ID
    result: ComplaintResult


@strawberry.type(description="Each complaint's own answer, in the order they were taken")
class ComplaintsReassigned:
    reassigned: int = strawberry.field(description="Complaints now with the person")
    failed: int = strawberry.field(description="Complaints answered with a problem")
    items: list[ComplaintReassignment]


ReassignComplaintsResult = Annotated[
    ComplaintsReassigned | Problems, strawberry.union("ReassignComplaintsResult")
]


def queued_ids(store: ViewStore, department: str, assignee: str | None) -> list[UUID]:
    """The queue's open complaints, up to one more than a bulk request may take."""
    found: list[UUID] = []
    after: tuple[float, int, str] | None = None
    while len(found) <= BULK_MAX:
        page = agent_queue(store, department=department, assignee=assignee, after=after, limit=100)
        found += [UUID(row.complaint_id) for row in page.rows]
        if (after := page.after) is None:
            break
    return found


async def _selected(info: Info, input: ReassignComplaintsInput) -> list[UUID]:
    if (input.complaint_ids is None) == (input.queue is None):
        raise InvalidInputError("complaintIds", "give either complaintIds or queue, not both")
    if input.complaint_ids is not None:
        ids = input.complaint_ids
        return [parse_id(f"complaintIds[{n}]", value) for n, value in enumerate(ids)]
    assert input.queue is not None
    queue = input.queue
    found = await read_at(
        info.context,
        [AgentQueueProjection.name],
        queue.at_position,
        queued_ids,
        queue.department.value,
        queue.assignee,
    )
    if len(found) > BULK_MAX:
        raise InvalidInputError("queue", f"holds more than {BULK_MAX} complaints: narrow it")
    return found


async def _item(info: Info, done: Reassignment) -> ComplaintReassignment:
    complaint_id = strawberry.ID(str(done.complaint_id))
    if isinstance(done.result, DomainError):
        return ComplaintReassignment(complaint_id=complaint_id, result=problem_of(done.result))
    return ComplaintReassignment(complaint_id=complaint_id, result=await changed(info, done.result))


@strawberry.type
class ReassignmentMutations:
    @strawberry.mutation(
        description="A department's queue or a list of complaints to one person, one command"
        " per complaint; a repeat with the same commandId does nothing twice"
    )
    async def reassign_complaints(
        self, info: Info, input: ReassignComplaintsInput
    ) -> ReassignComplaintsResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("reassignComplaints")
            meta = context.meta(input)
            ids = await _selected(info, input)
            ledger = context.services.ledger
            done = await context.call(
                ledger.reassign_complaints, meta, ids, input.department.value, input.person
            )
            items = [await _item(info, each) for each in done]
            failed = sum(1 for each in done if each.failed)
            return ComplaintsReassigned(reassigned=len(done) - failed, failed=failed, items=items)

        return await answer(attempt)
