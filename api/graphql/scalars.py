"""The DateTime scalar, stricter than strawberry's: a time zone is required and the year is
bounded, so neither reaches the application as an INTERNAL error (comparing naive with aware
times, or a window's arithmetic past year 9999)."""

from __future__ import annotations

import datetime as dt

from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition

EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def parse_datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("it needs a time zone (e.g. `Z` or `+08:00`)")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be from {EARLIEST_YEAR} to {LATEST_YEAR}")
    return value


AWARE_DATETIME = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=None,
    serialize=DateTimeDefinition.serialize,
    parse_value=wrap_parser(parse_datetime, "DateTime"),
    parse_literal=None,
    origin=dt.datetime,
)
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {dt.datetime: AWARE_DATETIME}
