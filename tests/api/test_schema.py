from __future__ import annotations

from api.cli.schema import SCHEMA_FILE, sdl


def test_the_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
    assert committed == sdl(), (
        "schema.graphql differs from the schema the code builds; review the change, then"
        " regenerate it with `careledger schema --output schema.graphql`"
    )
