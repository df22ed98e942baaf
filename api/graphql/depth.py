"""Depth limit and empty selections, as validation rules that cannot crash on bad documents.

strawberry's QueryDepthLimiter recurses into fragment definitions by name and takes `max()` of
each selection set, so an empty selection (`{}`, which graphql-core 3.3 parses), a spread of an
undefined fragment, or a long chain of fragments raised ValueError, KeyError or RecursionError
out of validation: an HTTP 500. These rules walk with an explicit stack, skip what other rules
report (unknown fragments are KnownFragmentNamesRule's), and stop at the limit.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

EMPTY_SELECTION = "a selection set must select at least one field"


def depth_limit(max_depth: int) -> type[ValidationRule]:
    class DepthLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            fragments = {
                d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
            }
            for definition in node.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    self._check(definition, fragments, max_depth)

        def _check(
            self,
            operation: OperationDefinitionNode,
            fragments: dict[str, FragmentDefinitionNode],
            limit: int,
        ) -> None:
            stack: list[tuple[SelectionSetNode, int, frozenset[str]]] = [
                (operation.selection_set, 0, frozenset())
            ]
            while stack:
                selections, depth, seen = stack.pop()
                for selection in selections.selections:
                    if isinstance(selection, FieldNode):
                        if selection.selection_set is None:
                            continue
                        if selection.name.value.startswith("__"):
                            continue  # introspection has its own switch
                        if depth + 1 > limit:
                            self.report_error(_too_deep(operation, limit, selection))
                            return
                        stack.append((selection.selection_set, depth + 1, seen))
                    elif isinstance(selection, InlineFragmentNode):
                        stack.append((selection.selection_set, depth, seen))
                    elif isinstance(selection, FragmentSpreadNode):
                        name = selection.name.value
                        fragment = fragments.get(name)
                        if fragment is not None and name not in seen:
                            stack.append((fragment.selection_set, depth, seen | {name}))

    return DepthLimit


def _too_deep(operation: OperationDefinitionNode, limit: int, node: FieldNode) -> GraphQLError:
    name = operation.name.value if operation.name else "anonymous"
    return GraphQLError(f"'{name}' exceeds maximum operation depth of {limit}", [node])


class NoEmptySelections(ValidationRule):
    """The spec's grammar needs at least one selection in every selection set."""

    def enter_selection_set(self, node: SelectionSetNode, *_args: Any) -> None:
        if not node.selections:
            self.report_error(GraphQLError(EMPTY_SELECTION, [node]))
