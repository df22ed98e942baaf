"""A view's tables declared once: a NamedTuple record per table gives the columns (their order,
names and types), and the table adds its keys and indexes. From that one declaration come the
CREATE statements for both backends and the mapping of a fetched row to a typed record, so a
view reads `row.status`, never the place a column happens to have in a SELECT.

Column types follow from the record's annotations: `str` is TEXT, `int` BIGINT, `float` DOUBLE
PRECISION, and `X | None` a nullable column; `Annotated[int, INTEGER]` (or any `SqlType`)
names another type.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    Generic,
    NamedTuple,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

R = TypeVar("R", bound=NamedTuple)  # a table's record: its fields are the columns


@dataclass(frozen=True)
class SqlType:
    postgres: str
    sqlite: str

    def on(self, dialect: str) -> str:
        return self.sqlite if dialect == "sqlite" else self.postgres


TEXT = SqlType("TEXT", "TEXT")
BIGINT = SqlType("BIGINT", "BIGINT")
INTEGER = SqlType("INTEGER", "INTEGER")
DOUBLE = SqlType("DOUBLE PRECISION", "DOUBLE PRECISION")
# On SQLite an INTEGER PRIMARY KEY is the rowid itself (64 bits): no separate index.
ROWID = SqlType("BIGINT", "INTEGER")

_DEFAULTS: dict[type, SqlType] = {str: TEXT, int: BIGINT, float: DOUBLE}


@dataclass(frozen=True)
class Column:
    name: str
    type: SqlType
    nullable: bool


@dataclass(frozen=True)
class Index:
    """`CREATE [UNIQUE] INDEX <table>_<suffix> ON <table> (<columns>)`."""

    suffix: str
    columns: tuple[str, ...]
    unique: bool = False


def columns_of(record: type[NamedTuple]) -> tuple[Column, ...]:
    hints = get_type_hints(record, include_extras=True)
    return tuple(_column(name, hints[name]) for name in record._fields)


def _column(name: str, hint: Any) -> Column:
    nullable = False
    if get_origin(hint) in (Union, types.UnionType):
        members = [arg for arg in get_args(hint) if arg is not type(None)]
        nullable = len(members) < len(get_args(hint))
        (hint,) = members
    declared: SqlType | None = None
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        declared = next((extra for extra in extras if isinstance(extra, SqlType)), None)
    sql_type = declared or _DEFAULTS.get(hint)
    if sql_type is None:
        raise TypeError(f"column {name}: no SQL type for {hint!r}; annotate it with a SqlType")
    return Column(name, sql_type, nullable)


class Table(Generic[R]):
    """One table of a view, named `<prefix><name>` in a generation."""

    def __init__(
        self,
        name: str,
        record: type[R],
        primary_key: Sequence[str],
        indexes: Sequence[Index] = (),
    ) -> None:
        self.name = name
        self.record = record
        self.columns = columns_of(record)
        self.names: tuple[str, ...] = record._fields
        self.primary_key = tuple(primary_key)
        self.indexes = tuple(indexes)
        self.select_list = ", ".join(self.names)
        self.make = record._make
        unknown = {c for i in self.indexes for c in i.columns} | set(self.primary_key)
        if missing := unknown - set(self.names):
            raise ValueError(f"table {name}: no columns {sorted(missing)}")

    def ddl(self, dialect: str, prefix: str) -> list[str]:
        """The CREATE TABLE and CREATE INDEX statements of this table in one generation."""
        table = prefix + self.name
        inline = self.primary_key[0] if len(self.primary_key) == 1 else None
        parts = []
        for column in self.columns:
            text = f"{column.name} {column.type.on(dialect)}"
            if column.name == inline:
                text += " PRIMARY KEY"
            elif not column.nullable:
                text += " NOT NULL"
            parts.append(text)
        if inline is None and self.primary_key:
            parts.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        statements = [f"CREATE TABLE {table} ({', '.join(parts)})"]
        for index in self.indexes:
            unique = "UNIQUE " if index.unique else ""
            statements.append(
                f"CREATE {unique}INDEX {table}_{index.suffix} ON {table}"
                f" ({', '.join(index.columns)})"
            )
        return statements

    def records(self, rows: Iterable[Iterable[Any]]) -> list[R]:
        make = self.make
        return [make(row) for row in rows]
