"""Fetches GraphiQL's browser assets from the npm registry into api/static/graphiql/, so the
page works with no network (strawberry's page loads them from a CDN).

The versions and sha384 hashes are the ones strawberry's own page pins (its `integrity`
attributes): each file is checked against them before it is written. Run it after upgrading
strawberry-graphql; the files it writes are committed.

    python scripts/vendor_graphiql.py
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import strawberry

from api.graphiql import ASSETS, vendored_name

PAGE = Path(strawberry.__file__).parent / "static" / "graphiql.html"
# unpkg path -> (npm package spec, path inside the package's tarball, name written here)
ASSET = re.compile(
    r'(?:src|href)="https://unpkg\.com/(?P<spec>(?:@[\w-]+/)?[\w.-]+@[\d.]+)/(?P<path>[^"]+)"'
    r'\s+integrity="(?P<sri>sha384-[^"]+)"'
)


def main() -> int:
    ASSETS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for found in ASSET.finditer(PAGE.read_text()):
            spec, path, sri = found["spec"], found["path"], found["sri"]
            data = _from_tarball(_pack(spec, Path(scratch)), f"package/{path}")
            digest = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
            if digest != sri:
                print(f"{spec}/{path}: hash {digest} is not the pinned {sri}", file=sys.stderr)
                return 1
            name = vendored_name(spec, path)
            (ASSETS / name).write_bytes(data)
            print(f"{name}: {len(data):,} bytes, {sri}")
    return 0


def _pack(spec: str, into: Path) -> Path:
    done = subprocess.run(
        ["npm", "pack", "--silent", spec], cwd=into, check=True, capture_output=True, text=True
    )
    return into / done.stdout.strip().splitlines()[-1]


def _from_tarball(tarball: Path, member: str) -> bytes:
    with tarfile.open(tarball) as archive:
        extracted = archive.extractfile(member)
        if extracted is None:
            raise FileNotFoundError(member)
        return extracted.read()


if __name__ == "__main__":
    sys.exit(main())
