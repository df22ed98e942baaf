"""Subscriptions over graphql-transport-ws: the complaint dashboard as it moves, and one
complaint or incident as it changes. Each first sends the current state, then the changes.

Rights are checked when subscribing: a refusal is the protocol's `error` message, with the code
the same refusal has over HTTP (api/errors.py), and nothing is started for the caller.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, TypeVar
from uuid import UUID

import strawberry

from api.graphql.complaint_slices import ComplaintFilter
from api.graphql.complaints import ComplaintView, load_complaint
from api.graphql.consistency import read_view, views_behind
from api.graphql.context import Context, Info, parse_id
from api.graphql.dashboard_types import ComplaintDashboardView
from api.graphql.dashboards import From, To, complaint_dashboard_view, window
from api.graphql.incidents import IncidentView, load_incident
from api.graphql.list_types import OpenIncident
from api.graphql.live import live_feed
from api.graphql.read_records import recorded_pushes
from domain.errors import InvalidInputError
from projections.engine.projection import Projection
from projections.engine.reading import MAX_PAGE
from projections.views.complaint_dashboard import ComplaintDashboardProjection
from projections.views.incident_board import IncidentBoardProjection, open_incidents

T = TypeVar("T")
V = TypeVar("V", ComplaintView, IncidentView)
Load = Callable[[Info, UUID, "int | None"], Awaitable[V]]

CATCH_UP_S = 2.0
MAX_REPLAYED = 10  # versions sent one by one after a tick; beyond, only the newest


async def changes_of(info: Info, entity_id: UUID, load: Load[V]) -> AsyncGenerator[V, None]:
    """The entity now, then each new version as it is recorded."""
    async with live_feed(info.context.services).subscription() as mailbox:
        latest = await load(info, entity_id, None)
        yield latest
        seen = latest.version
        while (tick := await mailbox.next()) is not None:
            if tick.changed is not None and str(entity_id) not in tick.changed:
                continue
            latest = await load(info, entity_id, None)
            for version in range(max(seen + 1, latest.version - MAX_REPLAYED + 1), latest.version):
                yield await load(info, entity_id, version)
            if latest.version > seen:
                yield latest
                seen = latest.version


async def entity_changes(info: Info, id: strawberry.ID, load: Load[V]) -> AsyncGenerator[V, None]:
    """`changes_of` the entity `id`, once `load` has found it and the caller may read it: a
    refusal or a wrong id is answered before the subscription starts."""
    entity_id = parse_id("id", id)
    await load(info, entity_id, None)
    return recorded_pushes(info.context, info.field_name, changes_of(info, entity_id, load))


async def view_updates(
    context: Context, projection: type[Projection], read: Callable[[], Awaitable[T]]
) -> AsyncGenerator[T, None]:
    """What `read` answers now, then again each time the log moves with events of the view's
    and the answer changed."""
    view = [projection.name]
    async with live_feed(context.services).subscription(projection) as mailbox:
        shown = await read()
        yield shown
        topics = projection.topics()
        read_through = -1  # the view had reached this when last read
        while (tick := await mailbox.next()) is not None:
            # Wait for the view up to its own last event in the tick, not the log's head: the
            # view records stretches of other events only every so often.
            needed = tick.last_of(topics)
            if needed is None or needed <= read_through:
                continue  # none of the view's events, or none it did not show when last read
            if not await views_behind(context, view, needed, CATCH_UP_S):
                read_through = needed
            now = await read()
            if now != shown:
                yield now
                shown = now


def dashboard_updates(
    context: Context, start: datetime, end: datetime, only: Mapping[str, str] | None = None
) -> AsyncGenerator[ComplaintDashboardView, None]:
    """The dashboard (of the complaints with every value of `only`, if given) now, then again
    each time its figures changed."""
    return view_updates(
        context,
        ComplaintDashboardProjection,
        lambda: complaint_dashboard_view(context, start, end, None, only),
    )


def open_incidents_updates(context: Context, first: int) -> AsyncGenerator[list[OpenIncident]]:
    """The open incidents (the board's first `first`), then again each time the board moved."""

    async def board() -> list[OpenIncident]:
        page = await read_view(
            context, open_incidents, context.services.views, now=datetime.now(UTC), limit=first
        )
        return [OpenIncident.of(card) for card in page.rows]

    return view_updates(context, IncidentBoardProjection, board)


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(
        description="The complaint dashboard now, then again whenever its figures change;"
        " staff and analysts"
    )
    async def complaint_dashboard_updates(
        self,
        info: Info,
        from_: From,
        to: To,
        filter: Annotated[
            ComplaintFilter | None,
            strawberry.argument(
                description="Only the complaints with all of these values (one department's"
                " wall); pushes only when their figures change"
            ),
        ] = None,
    ) -> AsyncGenerator[ComplaintDashboardView, None]:
        info.context.authorize("complaintDashboardUpdates")
        start, end = window(from_, to)
        only = None if filter is None else filter.only()
        return dashboard_updates(info.context, start, end, only)

    @strawberry.subscription(
        description="The open incidents, gravest first, then again whenever the incident"
        " board changes (a report, an assessment, a warning, an update, a resolution)"
    )
    async def open_incidents_updates(
        self, info: Info, first: int = 50
    ) -> AsyncGenerator[list[OpenIncident], None]:
        info.context.authorize("openIncidentsUpdates")
        if not 1 <= first <= MAX_PAGE:
            raise InvalidInputError("first", f"must be from 1 to {MAX_PAGE}")
        return open_incidents_updates(info.context, first)

    @strawberry.subscription(
        description="The complaint now, then each new version of it; customers their own"
    )
    async def complaint_changes(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[ComplaintView, None]:
        return await entity_changes(info, id, load_complaint)

    @strawberry.subscription(description="The incident now, then each new version of it")
    async def incident_changes(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[IncidentView, None]:
        return await entity_changes(info, id, load_incident)
