from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.chromium import Browser, chromium_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if chromium_path() is None:
        pytest.fail("chromium is missing: scripts/test.sh installs Debian's chromium")
    opened = Browser()
    try:
        yield opened
    finally:
        opened.close()
