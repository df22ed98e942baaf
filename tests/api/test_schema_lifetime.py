"""The schema a service serves is built once per process, and the documents' validation cache
keeps no schema alive: a cache keyed on the schema itself held every schema a process had built
(a test suite builds hundreds; the garbage collector walked them all at each full collection)."""

from __future__ import annotations

import gc
import weakref

from graphql import parse

from api.graphql.documents import LIMIT_RULES, _cached_validation
from api.graphql.schema import build_schema, shared_schema


def test_the_served_schema_is_built_once_for_each_flavour() -> None:
    assert shared_schema(introspection=True) is shared_schema(introspection=True)
    assert shared_schema(introspection=False) is not shared_schema(introspection=True)


def test_a_schema_no_longer_used_is_not_kept_by_the_validation_cache() -> None:
    schema = build_schema()._schema
    text = "{ __typename }"
    parse(text)
    assert _cached_validation(schema, text, LIMIT_RULES) == []
    # the same validation is answered from the cache
    assert _cached_validation(schema, text, LIMIT_RULES) is _cached_validation(
        schema, text, LIMIT_RULES
    )
    gone = weakref.ref(schema)
    del schema
    gc.collect()
    assert gone() is None
