"""What a document will cost to answer, before it runs, and a per-caller budget for it.

Each field costs 1, a few costs more (FIELD_COSTS: they walk the log or open personal data);
a field that returns a page multiplies what it selects by its page size (`first`, or `limit`
on the history lists, as given or by the argument's default), any other list by LIST_GUESS.
A document over MAX_COST is refused before anything runs (QUERY_TOO_COSTLY); what its
expensive fields cost is charged to the caller's bucket, which refills at BUDGET_PER_MINUTE
(RATE_LIMITED when empty), so ordinary lists and dashboards are never rate limited.
The buckets are per process: with N workers a caller may spend up to N budgets a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
)

from api.http import variable_problem

MAX_COST = 5_000
BUDGET_PER_MINUTE = 20_000
LIST_GUESS = 10
FIELD_COSTS = {"verifyAuditChain": 500, "customerExport": 50, "slaWhatIf": 500}
# their `limit` bounds a walk, or the complaints a replay lists, priced in their cost
PAGE_ARGUMENTS: dict[str, tuple[str, ...]] = {"verifyAuditChain": (), "slaWhatIf": ()}
DEFAULT_PAGE_ARGUMENTS = ("first", "last", "limit")
PAGE_WRAPPERS = {"edges", "nodes"}  # a connection's list: its size is the field's page
MAX_CALLERS = 100_000
DEEPEST = 64  # past the depth limit by far: the validation that follows refuses such a document


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    return price(schema, document, operation_name, variables).total


@dataclass(frozen=True)
class Price:
    total: int
    expensive: int  # what the FIELD_COSTS fields add: the part charged to the caller's bucket


def price(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> Price:
    operation = get_operation_ast(document, operation_name)
    root = None if operation is None else schema.get_root_type(operation.operation)
    if operation is None or root is None:
        return Price(0, 0)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    pricing = _Pricing(schema, fragments, variables or {})
    total = pricing.selections(operation.selection_set, root, 0, frozenset())
    return Price(total, pricing.expensive)


@dataclass
class _Pricing:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    expensive: int = 0

    def selections(
        self, node: SelectionSetNode, parent: GraphQLNamedType, depth: int, seen: frozenset[str]
    ) -> int:
        if depth > DEEPEST:
            return 0
        total = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, depth, seen)
            elif isinstance(selection, InlineFragmentNode):
                on = self._type(
                    selection.type_condition.name.value if selection.type_condition else None,
                    parent,
                )
                total += self.selections(selection.selection_set, on, depth + 1, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    on = self._type(fragment.type_condition.name.value, parent)
                    total += self.selections(fragment.selection_set, on, depth + 1, seen | {name})
        return total

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, depth: int, seen: frozenset[str]
    ) -> int:
        name = node.name.value
        definition = _field_of(parent, name)
        if definition is None:
            return 0  # introspection or unknown: validation has its say
        cost = FIELD_COSTS.get(name, 1)
        if name in FIELD_COSTS:
            self.expensive += cost
        if node.selection_set is None:
            return cost
        inner = self.selections(
            node.selection_set, get_named_type(definition.type), depth + 1, seen
        )
        return cost + self._size(node, definition) * inner

    def _size(self, node: FieldNode, definition: GraphQLField) -> int:
        name = node.name.value
        for argument in PAGE_ARGUMENTS.get(name, DEFAULT_PAGE_ARGUMENTS):
            if argument in definition.args:
                return max(1, self._argument(node, definition, argument))
        if name in PAGE_WRAPPERS:
            return 1
        kind = (
            definition.type.of_type
            if isinstance(definition.type, GraphQLNonNull)
            else definition.type
        )
        return LIST_GUESS if isinstance(kind, GraphQLList) else 1

    def _argument(self, node: FieldNode, definition: GraphQLField, name: str) -> int:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                return given if isinstance(given, int) else 1
        default = definition.args[name].default_value
        return default if isinstance(default, int) else 1

    def _type(self, name: str | None, parent: GraphQLNamedType) -> GraphQLNamedType:
        found = self.schema.get_type(name) if name else None
        return found or parent


def _field_of(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    fields = getattr(parent, "fields", None)
    if not isinstance(fields, dict):
        return None
    found = fields.get(name)
    return found if isinstance(found, GraphQLField) else None


class CostBuckets:
    """A token bucket of cost per caller, refilled continuously."""

    def __init__(self, per_minute: int = BUDGET_PER_MINUTE, clock: Any = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def charge(self, caller: str, cost: int) -> float | None:
        """Takes `cost` from the caller's bucket; if it holds too little, takes nothing and
        answers how many seconds until it would hold enough."""
        now = self.clock()
        with self._lock:
            level, then = self._buckets.get(caller, (self.capacity, now))
            level = min(self.capacity, level + (now - then) * self.rate)
            if len(self._buckets) > MAX_CALLERS:
                self._buckets.clear()  # forgetting gives every caller a full bucket: lenient
            if cost > level:
                self._buckets[caller] = (level, now)
                return (cost - level) / self.rate
            self._buckets[caller] = (level - cost, now)
            return None


def costly_problem(
    schema: GraphQLSchema,
    document: DocumentNode | None,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> tuple[Price, GraphQLError | None]:
    """The document's price, and the refusal when it is over MAX_COST."""
    if document is None:
        return Price(0, 0), None
    found = price(schema, document, operation_name, variables)
    cost = found.total
    if cost <= MAX_COST:
        return found, None
    message = (
        f"the query would cost {cost:,}, more than the {MAX_COST:,} one request may:"
        " ask for smaller pages (`first`), fewer aliases or fewer fields"
    )
    return found, GraphQLError(message, extensions={"code": "QUERY_TOO_COSTLY", "cost": cost})


def document_problem(
    schema: GraphQLSchema,
    document: DocumentNode | None,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> tuple[Price, GraphQLError | None]:
    """What HTTP and WebSocket both check once a document has parsed, before it runs: its
    variables (length, Unicode), then its cost."""
    problem = variable_problem(variables)
    if problem is not None:
        return Price(0, 0), problem
    return costly_problem(schema, document, operation_name, variables)
