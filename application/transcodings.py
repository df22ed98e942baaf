from __future__ import annotations

import dataclasses
import inspect
from types import ModuleType
from typing import Any

from eventsourcing.persistence import Transcoder, Transcoding


class DataclassAsDict(Transcoding):
    def __init__(self, kind: type[Any]) -> None:
        self.type = kind
        self.name = kind.__name__
        self.kind = kind
        self.fields = tuple(f.name for f in dataclasses.fields(kind))

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.kind(**data)


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
            if dataclasses.is_dataclass(obj):
                if name in found and found[name] is not obj:
                    raise TypeError(f"two domain value types are named {name}")
                found[name] = obj
    return list(found.values())


def register_value_types(transcoder: Transcoder, modules: list[ModuleType]) -> None:
    for kind in value_types(modules):
        transcoder.register(DataclassAsDict(kind))
