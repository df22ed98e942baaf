"""Parse and validation done once per distinct document text, with the limits both apply.

A client sends the same few document texts over and over (a mutation's variables change, its
text does not), so each text is parsed and validated once and both results are kept. One
extension does what strawberry's ParserCache, ValidationCache, MaxTokensLimiter,
MaxAliasesLimiter and DisableIntrospection did as five: strawberry runs every hook of every
extension on every request, and those five cost a mutation more CPU on the event loop than
the parse and validation they saved (bench/mutation_cpu.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache
from weakref import WeakKeyDictionary

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, SchemaExtension
from strawberry.schema.schema import validate_document

from api.graphql.depth import NoEmptySelections, depth_limit
from api.http import CACHED_DOCUMENT_CHARS

MAX_DEPTH = 10
MAX_TOKENS = 5000
MAX_ALIASES = 20
CACHED_DOCUMENTS = 256

# Made once: the rules are part of each cached validation's key.
LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (
    depth_limit(MAX_DEPTH),
    NoEmptySelections,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)
NO_INTROSPECTION: tuple[type[ASTValidationRule], ...] = (NoSchemaIntrospectionCustomRule,)


class Documents(SchemaExtension):
    """The operation's document parsed (at most MAX_TOKENS tokens) and validated (with the
    depth and alias limits) once per distinct text. `extra_rules`: the production rules
    (introspection off), set on a subclass by `documents`."""

    extra_rules: tuple[type[ASTValidationRule], ...] = ()

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = (*context.validation_rules, *LIMIT_RULES, *self.extra_rules)
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = _parsed(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, text = context.graphql_document, context.query
        assert document is not None, "validation runs on a parsed document"
        schema, rules = context.schema._schema, tuple(context.validation_rules)
        if text and len(text) <= CACHED_DOCUMENT_CHARS and _cached_parse(text) is document:
            context.pre_execution_errors = _cached_validation(schema, text, rules)
        else:
            context.pre_execution_errors = validate_document(schema, document, rules)
        yield


def documents(*, introspection: bool) -> type[Documents]:
    """The extension for a schema with introspection on (development) or off (production)."""
    if introspection:
        return Documents
    return type("DocumentsWithoutIntrospection", (Documents,), {"extra_rules": NO_INTROSPECTION})


def _parsed(text: str) -> DocumentNode:
    if len(text) <= CACHED_DOCUMENT_CHARS:
        return _cached_parse(text)
    return parse(text, max_tokens=MAX_TOKENS)


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _cached_parse(text: str) -> DocumentNode:
    return parse(text, max_tokens=MAX_TOKENS)


Rules = tuple[type[ASTValidationRule], ...]
# Per schema, held weakly: a cache keyed on the schema itself kept every schema it had seen
# alive (a test suite builds hundreds: 1.7 million objects retained, and every full collection
# of the garbage collector walked them). A service has one schema; each gets its own LRU.
_validations: WeakKeyDictionary[GraphQLSchema, OrderedDict[tuple[str, Rules], list[GraphQLError]]]
_validations = WeakKeyDictionary()
_validations_lock = threading.Lock()


def _cached_validation(schema: GraphQLSchema, text: str, rules: Rules) -> list[GraphQLError]:
    key = (text, rules)
    with _validations_lock:
        cache = _validations.setdefault(schema, OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    errors = validate_document(schema, _cached_parse(text), rules)
    with _validations_lock:
        cache[key] = errors
        if len(cache) > CACHED_DOCUMENTS:
            cache.popitem(last=False)
    return errors
