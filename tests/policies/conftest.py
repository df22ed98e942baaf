from __future__ import annotations

from tests.projections.conftest import project, views  # noqa: F401
