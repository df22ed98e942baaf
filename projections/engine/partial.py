"""Decoding only the fields a view reads, for rebuilds.

A view may name the attributes of its events it reads (`Projection.reads`, dotted through
dataclass values: `meta.occurred_at`). A rebuild then parses each stored event with a msgspec
type made of those of the fields its class has, which skips the rest of the JSON without
building it, and hands the view a `Partial`: an object with just those attributes. Anything
else asked of it (a field not named, a method, a field the stored state lacks) decodes the
whole event with the application's mapper and answers from it, and so does every event the
fast path cannot read exactly as the mapper would (an older class version, which upcasters
rewrite; a cipher or compressor; JSON that msgspec reads otherwise than the json module): the
view sees the same values either way. `PartialDecoder.wholes` counts the events decoded whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable
from operator import attrgetter
from typing import Any, cast

import msgspec
from eventsourcing.persistence import Mapper, Notification, Transcoding, find_id_convertor
from eventsourcing.utils import resolve_topic

from application.transcodings import DataclassAsDict

Tree = dict[str, "Tree"]


class Whole:
    """The whole event behind a `Partial`, decoded the first time it is asked for."""

    __slots__ = ("decoder", "event", "note")

    def __init__(self, decoder: PartialDecoder, note: Notification) -> None:
        self.decoder = decoder
        self.note = note
        self.event: Any = None

    def get(self) -> Any:
        if self.event is None:
            self.event = self.decoder.decode_whole(self.note)
        return self.event


class Partial:
    """An event (or a dataclass value inside one) decoded only in the attributes a view
    reads; any other attribute comes from the whole event."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # the protocols copy and pickle probe for: none here
        whole, path = self.__dict__["_whole"], self.__dict__["_path"]
        event = whole.get()
        return getattr(event if path is None else path(event), name)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if k[0] != "_")
        return f"Partial({shown})"


def partial(values: dict[str, Any]) -> Partial:
    made = object.__new__(Partial)
    object.__setattr__(made, "__dict__", values)
    return made


def tree_of(paths: Iterable[str]) -> Tree:
    """`("meta.occurred_at", "channel")` as {"meta": {"occurred_at": {}}, "channel": {}}."""
    tree: Tree = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


def struct_of(tree: Tree, name: str) -> type[msgspec.Struct]:
    """A msgspec type reading the fields of `tree`: a leaf as whatever JSON it holds, a
    branch as a stored dataclass value ({"_type_": name, "_data_": {fields}})."""
    fields: list[tuple[str, Any, Any]] = [
        (field, _wrapper_of(children, f"{name}_{field}") if children else Any, msgspec.UNSET)
        for field, children in tree.items()
    ]
    return msgspec.defstruct(name, [*fields, ("class_version", int, 1)])


def _wrapper_of(tree: Tree, name: str) -> type[msgspec.Struct]:
    inner = msgspec.defstruct(f"{name}_data", [(f, Any, msgspec.UNSET) for f in tree])
    return msgspec.defstruct(
        name, [("type_", str), ("data", inner)], rename={"type_": "_type_", "data": "_data_"}
    )


class Plan:
    """How the events of one topic are read: their class, and the fields of `tree` it has."""

    def __init__(self, topic: str, tree: Tree) -> None:
        self.cls = resolve_topic(topic)
        self.class_version = getattr(self.cls, "class_version", 1)
        if dataclasses.is_dataclass(self.cls):
            has = {f.name for f in dataclasses.fields(self.cls)}
            tree = {field: children for field, children in tree.items() if field in has}
        self.tree = tree
        self.decoder = msgspec.json.Decoder(struct_of(tree, "Stored"))
        self.branches = branches_of(tree, None)
        self.convertors: dict[type[Any], Callable[[Any], Any]] = {}

    def id_of(self, note: Notification) -> Any:
        kind = type(note.originator_id)
        convert = self.convertors.get(kind)
        if convert is None:  # as the mapper finds it
            convert = self.convertors[kind] = find_id_convertor(self.cls, cast("Hashable", kind))
        return convert(note.originator_id)


# A dataclass value read in part: its field, the path to it from the event, and its own.
Branch = tuple[str, Callable[[Any], Any], list["Branch"]]


def branches_of(tree: Tree, path: str | None) -> list[Branch]:
    found: list[Branch] = []
    for field, children in tree.items():
        if children:
            inner = field if path is None else f"{path}.{field}"
            found.append((field, attrgetter(inner), branches_of(children, inner)))
    return found


class PartialDecoder:
    """Decodes stored events into `Partial`s holding the fields `paths` name."""

    def __init__(self, mapper: Mapper[Any], paths: Iterable[str]) -> None:
        self.mapper = mapper
        self.tree = tree_of(paths)
        self.names: dict[str, Transcoding] = mapper.transcoder.names  # type: ignore[attr-defined]
        self.exact = mapper.cipher is None and mapper.compressor is None
        self.plans: dict[str, Plan] = {}
        self.wholes = 0  # events decoded whole after all

    def decode(self, note: Notification) -> Any:
        found = self.fields(note)
        return self.decode_whole(note) if found is None else self.assemble(note, found)

    def decode_whole(self, note: Notification) -> Any:
        self.wholes += 1
        return self.mapper.to_domain_event(note)

    def plan(self, topic: str) -> Plan:
        return self.plans.get(topic) or self.plans.setdefault(topic, Plan(topic, self.tree))

    def fields(self, note: Notification) -> dict[str, Any] | None:
        """The named fields of the stored event as plain values (a dataclass value read in
        part as a dict of its fields), or None where only the whole event will do. Plain
        values pickle, so another process may read them for the one that `assemble`s."""
        if not self.exact:
            return None
        plan = self.plan(note.topic)
        try:
            stored: Any = plan.decoder.decode(note.state)
            if stored.class_version != plan.class_version:
                return None  # its upcasters want the whole state
            return self._fields(stored, plan.tree)
        except UNREAD:
            return None  # read as the json module reads it, or fails as it fails

    def assemble(self, note: Notification, values: dict[str, Any]) -> Partial:
        """The event of `note` as the `fields` read from it (taken over, not copied)."""
        plan = self.plan(note.topic)
        whole = Whole(self, note)
        values["_whole"], values["_path"] = whole, None
        if plan.branches:
            _assembled(values, plan.branches, whole)
        values["originator_id"] = plan.id_of(note)
        values["originator_version"] = note.originator_version
        return partial(values)

    def _fields(self, stored: Any, tree: Tree) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field, children in tree.items():
            value = getattr(stored, field)
            if value is msgspec.UNSET:
                continue  # not in the stored state: the class's default, from the whole event
            if not children:
                values[field] = self.revive(value) if type(value) in CONTAINERS else value
            elif (branch := self._branch(value, children)) is not None:
                values[field] = branch
        return values

    def _branch(self, stored: Any, tree: Tree) -> dict[str, Any] | None:
        """A dataclass value's fields named in `tree`; None (the whole event answers) for a
        value some other transcoding made."""
        transcoding = self.names[stored.type_]
        if not isinstance(transcoding, DataclassAsDict):
            return None
        values = self._fields(stored.data, tree)
        for name, enum in transcoding.enums:
            if (value := values.get(name)) is not None:
                values[name] = enum._value2member_map_.get(value) or enum(value)
        return values

    def revive(self, value: Any) -> Any:
        """A parsed JSON value as the transcoder's object hook leaves it: every stored
        {"_type_": name, "_data_": data} dict, innermost first, decoded by its transcoding."""
        if type(value) is list:
            return [self.revive(v) if type(v) in CONTAINERS else v for v in value]
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            data = value["_data_"]  # a container as _type_ is refused here as by the hook
            data = self.revive(data) if type(data) in CONTAINERS else data
            return self.names[value["_type_"]].decode(data)
        return {k: self.revive(v) if type(v) in CONTAINERS else v for k, v in value.items()}


def _assembled(values: dict[str, Any], branches: list[Branch], whole: Whole) -> None:
    """The dicts of the values read in part, made `Partial`s answering from `whole`."""
    for field, path, inner in branches:
        if (fields := values.get(field)) is not None:
            fields["_whole"], fields["_path"] = whole, path
            if inner:
                _assembled(fields, inner, whole)
            values[field] = partial(fields)


CONTAINERS = (dict, list)
# What the fast path may meet that the mapper reads otherwise or refuses: it decodes whole.
UNREAD = (msgspec.MsgspecError, KeyError, TypeError, ValueError)
