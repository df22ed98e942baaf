"""Pages the service serves to people (the analysts' report, the supervisors' wall): each asks
for its data with a bearer token a sign-in form keeps in the tab's sessionStorage, so no token
ever sits in a URL or a log."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import AuthenticationError, Principal
from api.graphql.problems import ForbiddenError
from api.http import error_body
from api.permissions import authorize_page
from api.services import Services

# Inline scripts and styles, data only from this service; nothing from anywhere else.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'none'"
)
TOKEN_KEY = "careledger.token"


class PageRefused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def caller_of(request: Request, services: Services, page: str) -> Principal:
    """The signed-in caller allowed on `page`; PageRefused with a 401 or 403 answer otherwise."""
    try:
        caller = services.tokens.principal(request.headers.get("authorization"))
    except AuthenticationError as error:
        raise PageRefused(refusal(401, "UNAUTHENTICATED", str(error))) from error
    try:
        return authorize_page(caller, page)
    except ForbiddenError as error:
        raise PageRefused(refusal(403, "FORBIDDEN", str(error))) from error


def refusal(status: int, code: str, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def html(text: str) -> Response:
    return Response(
        text,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": PAGE_POLICY},
    )


SIGN_IN = """
<form id="sign-in"><label>{label} <input id="token" type="password" autocomplete="off"
required></label> {fields}<button type="submit">{button}</button></form>
<p id="problem" role="alert"></p>
<script>
const TOKEN_KEY = "{key}";
function signedIn() {{ return sessionStorage.getItem(TOKEN_KEY); }}
function authorization() {{ return {{Authorization: "Bearer " + signedIn()}}; }}
function refused(text) {{
  document.getElementById("problem").textContent = text;
  sessionStorage.removeItem(TOKEN_KEY);
}}
document.getElementById("sign-in").addEventListener("submit", (event) => {{
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
  document.getElementById("token").value = "";
  start();
}});
</script>
"""


def sign_in_form(label: str, button: str, fields: str = "") -> str:
    return SIGN_IN.format(label=escape(label), button=escape(button), fields=fields, key=TOKEN_KEY)
