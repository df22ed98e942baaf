"""GraphiQL served whole by the service: strawberry's page with its CDN scripts and styles
replaced by the copies in api/static/graphiql/ (see scripts/vendor_graphiql.py), so it works
with no network. Development only: production serves no IDE."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

ASSETS = Path(__file__).resolve().parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql-assets"
CDN = re.compile(r'"https://unpkg\.com/(?P<spec>(?:@[\w-]+/)?[\w.-]+@[\d.]+)/(?P<path>[^"]+)"')


@cache
def graphiql_page() -> str:
    return CDN.sub(_local, get_graphql_ide_html(graphql_ide="graphiql"))


def vendored_name(spec: str, path: str) -> str:
    """The file a CDN asset is kept as here: `graphiql@3.8.3` + `graphiql.min.js` ->
    `graphiql-graphiql.min.js`."""
    package = spec.rsplit("@", 1)[0].replace("@", "").replace("/", "-")
    return f"{package}-{Path(path).name}"


def _local(found: re.Match[str]) -> str:
    name = vendored_name(found["spec"], found["path"])
    if not (ASSETS / name).is_file():
        raise FileNotFoundError(f"{ASSETS / name}: run scripts/vendor_graphiql.py")
    return f'"{ASSETS_PATH}/{name}"'


def graphiql_assets() -> StaticFiles:
    return StaticFiles(directory=ASSETS)
