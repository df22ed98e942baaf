"""The type of the gql fixture: posts a GraphQL document as a role, returns the decoded body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Gql = Callable[..., dict[str, Any]]
