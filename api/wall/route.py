"""`/wall`: without a token, the wall page (a sign-in form, then the wall drawn by its script);
with `Authorization: Bearer` of a supervisor or an admin, who the caller is, as JSON, which the
page asks before it shows anything. The figures come through GraphQL with the same token: the
queries for the queue, the open incidents and today's dashboards, and the
`complaintDashboardUpdates` subscription over graphql-transport-ws, on whose every update the
page reads them again."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.pages import PageRefused, caller_of, html, sign_in_form
from api.services import Services

PAGE = Path(__file__).resolve().parent / "wall.html"


def wall_route(services: Services) -> Route:
    page = PAGE.read_text(encoding="utf-8").replace(
        "<!--sign-in-->", sign_in_form("supervisor token", "open the wall")
    )

    async def wall(request: Request) -> Response:
        if "authorization" not in request.headers:
            return html(page)
        try:
            caller = caller_of(request, services, "wall")
        except PageRefused as refused:
            return refused.response
        return JSONResponse({"subject": caller.subject, "role": caller.role.value})

    return Route("/wall", wall, methods=["GET"])
