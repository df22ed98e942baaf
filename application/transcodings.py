from __future__ import annotations

import dataclasses
import inspect
from enum import StrEnum
from types import ModuleType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import JSONTranscoder, Transcoding


class DataclassAsDict(Transcoding):
    """A dataclass value as a dict of its fields; enum-typed fields come back as their enum.

    Decoding does not run `__post_init__`: the value was validated when it was first made, and
    re-validating every stored value on every read would cost about half of decoding an event.
    """

    def __init__(self, kind: type[Any]) -> None:
        self.type = kind
        self.name = kind.__name__
        self.kind = kind
        fields = dataclasses.fields(kind)
        self.fields = tuple(f.name for f in fields)
        self.defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
        self.factories = [
            (f.name, f.default_factory)
            for f in fields
            if f.default_factory is not dataclasses.MISSING
        ]
        hints = get_type_hints(kind)
        self.enums = [(name, e) for name in self.fields if (e := _enum_of(hints[name]))]

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        for name, kind in self.enums:
            value = data.get(name)
            if value is not None:
                data[name] = kind._value2member_map_.get(value) or kind(value)
        for name, factory in self.factories:
            if name not in data:
                data[name] = factory()
        value = object.__new__(self.kind)
        value.__dict__.update(self.defaults, **data)
        return value


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
