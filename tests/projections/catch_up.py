"""The type of the project fixture: catches projections up, returns the events processed."""

from __future__ import annotations

from collections.abc import Callable

Project = Callable[..., int]
