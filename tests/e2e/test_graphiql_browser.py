"""GraphiQL renders in a real headless browser with every address but the service's cut off:
nothing it needs comes from a CDN."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx2 as httpx

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def headless(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            # the network is cut off: every request but to the service goes to a closed port
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=127.0.0.1",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=15000",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_graphiql_renders_its_editor_offline(server: str, tmp_path: Path) -> None:
    page = httpx.get(f"{server}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "unpkg.com" not in page.text and "/graphiql-assets/" in page.text
    # when the page is opened in headless Chromium with no network
    dumped = headless(f"{server}/graphql", tmp_path / "profile", "--dump-dom")
    dom = dumped.stdout
    # then GraphiQL has rendered: its container, the query editor and the run button
    assert "graphiql-container" in dom, dumped.stderr[-2000:]
    assert "graphiql-query-editor" in dom
    assert "CodeMirror" in dom
    assert "graphiql-execute-button" in dom
    # and a screenshot shows a drawn page, not a blank one
    shot = tmp_path / "graphiql.png"
    headless(
        f"{server}/graphql", tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1280,800"
    )
    assert shot.exists() and shot.stat().st_size > 20_000
