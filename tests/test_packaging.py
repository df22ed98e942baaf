"""What the service needs at run time is in the image and in the installed package, not only in
the checkout: each runtime package is copied by the Dockerfile, and each data file it reads
(templates, routing, staff, GraphiQL's assets) is package data."""

from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
TEST_ONLY = {"testing"}  # the PostgreSQL starter of the tests and benchmarks


def _project() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _runtime_packages() -> list[str]:
    setuptools = _project()["tool"]["setuptools"]  # type: ignore[index]
    patterns = setuptools["packages"]["find"]["include"]
    return sorted(
        {p.rstrip("*") for p in patterns} - TEST_ONLY,
    )


def test_the_image_copies_every_runtime_package() -> None:
    copied = {
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
    }
    assert set(_runtime_packages()) <= copied


@pytest.mark.parametrize("package", _runtime_packages())
def test_every_data_file_of_a_package_is_package_data(package: str) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", package], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    data = [f for f in tracked if not f.endswith(".py")]
    declared = _project()["tool"]["setuptools"]["package-data"]  # type: ignore[index]
    patterns = declared.get(package, [])
    missing = [
        f
        for f in data
        if not any(fnmatch.fnmatch(f.removeprefix(f"{package}/"), p) for p in patterns)
    ]
    assert missing == []
