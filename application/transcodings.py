from __future__ import annotations

import dataclasses
import inspect
from enum import StrEnum
from types import ModuleType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import JSONTranscoder, Transcoding


class DataclassAsDict(Transcoding):
    """A dataclass value as a dict of its fields; enum-typed fields come back as their enum."""

    def __init__(self, kind: type[Any]) -> None:
        self.type = kind
        self.name = kind.__name__
        self.kind = kind
        self.fields = tuple(f.name for f in dataclasses.fields(kind))
        hints = get_type_hints(kind)
        self.enums = {name: e for name in self.fields if (e := _enum_of(hints[name]))}

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        for name, kind in self.enums.items():
            if data.get(name) is not None:
                data[name] = kind(data[name])
        return self.kind(**data)


def _enum_of(hint: Any) -> type[StrEnum] | None:
    """The StrEnum a field holds, directly or as `Kind | None`."""
    options = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
    enums = [o for o in options if inspect.isclass(o) and issubclass(o, StrEnum)]
    return enums[0] if len(enums) == 1 else None


def value_types(modules: list[ModuleType]) -> list[type[Any]]:
    """Every dataclass value type the given domain modules define, each once.

    Enums need no transcoding: a StrEnum is a str to JSON, so it is stored as its value and read
    back as a plain str, which aggregates coerce where they apply an event.
    """
    found: dict[str, type[Any]] = {}
    for module in modules:
        for name, obj in vars(module).items():
            if not inspect.isclass(obj) or obj.__module__ != module.__name__:
                continue
            if dataclasses.is_dataclass(obj) and not issubclass(obj, Aggregate | DomainEvent):
                if name in found and found[name] is not obj:
                    raise TypeError(f"two domain value types are named {name}")
                found[name] = obj
    return list(found.values())


def register_value_types(transcoder: JSONTranscoder, modules: list[ModuleType]) -> None:
    for kind in value_types(modules):
        transcoder.register(DataclassAsDict(kind))
