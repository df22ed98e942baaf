"""`/report`: the analysts' report served. A GET without a token answers the sign-in form; with
`Authorization: Bearer` (an analyst, a supervisor or an admin) and `from`, `to` and `lang` in
the query, the report page itself."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.graphql.dashboards import window
from api.pages import PageRefused, caller_of, html, refusal, sign_in_form
from api.report.figures import report_figures
from api.report.page import render
from api.report.words import LANGUAGES
from api.services import Services
from domain.errors import InvalidInputError

FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>CareLedger report</title></head><body><h1>Customer service report</h1>{form}
<script>
async function start() {{
  const query = new URLSearchParams({{
    from: document.getElementById("from").value, to: document.getElementById("to").value,
    lang: document.getElementById("lang").value}});
  const answer = await fetch("/report?" + query, {{headers: authorization()}});
  if (!answer.ok) {{ refused((await answer.json()).errors[0].message); return; }}
  const page = await answer.text();
  document.open(); document.write(page); document.close();
}}
</script></body></html>"""
FIELDS = (
    '<label>from <input id="from" type="date" required></label> '
    '<label>to <input id="to" type="date" required></label> '
    '<label>language <select id="lang"><option value="en">English</option>'
    '<option value="zh">中文</option></select></label> '
)


def report_route(services: Services) -> Route:
    async def report(request: Request) -> Response:
        if "authorization" not in request.headers:
            return html(FORM.format(form=sign_in_form("analyst token", "show", FIELDS)))
        try:
            caller_of(request, services, "report")
            start, end, lang = asked(request)
        except PageRefused as refused:
            return refused.response
        try:
            figures = await run_in_threadpool(report_figures, services.views, start, end)
        except LookupError as error:
            if type(error) is not LookupError:  # KeyError, IndexError: a bug
                raise
            return refusal(503, "VIEW_NOT_READY", str(error))
        return html(render(figures, lang))

    return Route("/report", report, methods=["GET"])


def asked(request: Request) -> tuple[datetime, datetime, str]:
    query = request.query_params
    lang = query.get("lang", "en")
    try:
        if lang not in LANGUAGES:
            raise InvalidInputError("lang", f"one of {', '.join(LANGUAGES)}")
        start, end = window(moment(query, "from"), moment(query, "to"))
    except InvalidInputError as error:
        raise PageRefused(refusal(400, error.code, str(error))) from error
    return start, end, lang


def moment(query: QueryParams, name: str) -> datetime:
    text = query.get(name)
    if not text:
        raise InvalidInputError(name, "missing (an ISO date or date-time)")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidInputError(name, "not an ISO date or date-time") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
