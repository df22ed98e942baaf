"""A GraphQL mutation that touches no database, served like `careledger serve`: the HTTP and
GraphQL ceiling that bench/commands.py compares the service with.

    .venv/bin/python -m bench.trivial_app --port 8001 --workers 2
    curl -s 127.0.0.1:8001/graphql -H 'content-type: application/json' \
        -d '{"query": "mutation { bump(n: 1) }"}'
"""

from __future__ import annotations

import argparse
import itertools

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

_counter = itertools.count(1)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def bump(self, n: int) -> int:
        return next(_counter) * n


schema = strawberry.Schema(
    query=Query, mutation=Mutation, extensions=[ParserCache, ValidationCache]
)


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


# Routed by Starlette like the service's /graphql (Starlette also answers uvicorn's lifespan).
app = Starlette(
    routes=[Route("/graphql", GraphQL(schema, graphql_ide=None)), Route("/healthz", healthz)]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # The same uvicorn settings as api/serve_cli.py, so only the application differs.
    uvicorn.run(
        "bench.trivial_app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
    )


if __name__ == "__main__":
    main()
