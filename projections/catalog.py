"""Every read model the service keeps, by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from projections.projection import Projection
from projections.satisfaction import SatisfactionProjection

CATALOG: dict[str, Callable[[], Projection]] = {
    SatisfactionProjection.name: SatisfactionProjection,
}


class UnknownProjectionError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no projection named {name!r}; known: {', '.join(sorted(CATALOG))}")


def projections(names: Sequence[str] = ()) -> list[Projection]:
    """The named projections (all of them when no name is given)."""
    for name in names:
        if name not in CATALOG:
            raise UnknownProjectionError(name)
    return [CATALOG[name]() for name in (names or sorted(CATALOG))]
