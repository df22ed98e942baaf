"""Where the master key comes from, and where production refuses to find it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from application.app import CareLedger
from application.settings import MasterKeyInDataDirError, Settings, SettingsError

KEY = b"m" * 32
TEXT = base64.b64encode(KEY).decode()


def production(data_dir: Path, **env: str) -> Settings:
    return Settings.from_env(
        {"CARELEDGER_ENV": "production", "CARELEDGER_DATA_DIR": str(data_dir), **env}
    )


def test_production_refuses_a_master_key_file_inside_the_data_dir(tmp_path: Path) -> None:
    # given a key file in the data directory, even reached by another path
    data_dir = tmp_path / "data"
    (data_dir / "secrets").mkdir(parents=True)
    inside = data_dir / "secrets" / "master.key"
    inside.write_text(TEXT)
    settings = production(
        data_dir,
        CARELEDGER_MASTER_KEY_FILE=str(
            tmp_path / "data" / ".." / "data" / "secrets" / "master.key"
        ),
    )
    # then the service does not start, and says why
    with pytest.raises(MasterKeyInDataDirError) as refused:
        CareLedger(settings)
    assert "inside the data directory" in str(refused.value)
    assert [p.name for p in data_dir.iterdir()] == ["secrets"]


def test_production_refuses_a_master_key_left_in_the_data_dir(tmp_path: Path) -> None:
    # given a development master key left in the data directory, and the real one passed
    tmp_path.joinpath("master.key").write_text(TEXT)
    settings = production(tmp_path, CARELEDGER_MASTER_KEY=base64.b64encode(b"p" * 32).decode())
    with pytest.raises(MasterKeyInDataDirError):
        settings.resolved_master_key()


def test_production_takes_a_master_key_file_kept_elsewhere(tmp_path: Path) -> None:
    outside = tmp_path / "secrets" / "master.key"
    outside.parent.mkdir()
    outside.write_text(TEXT + "\n")
    settings = production(tmp_path / "data", CARELEDGER_MASTER_KEY_FILE=str(outside))
    assert settings.resolved_master_key() == KEY


def test_development_may_keep_the_master_key_file_in_the_data_dir(tmp_path: Path) -> None:
    tmp_path.joinpath("mine.key").write_text(TEXT)
    settings = Settings.from_env(
        {
            "CARELEDGER_DATA_DIR": str(tmp_path),
            "CARELEDGER_MASTER_KEY_FILE": str(tmp_path / "mine.key"),
        }
    )
    assert settings.resolved_master_key() == KEY


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CARELEDGER_MASTER_KEY_FILE": "/nonexistent/master.key"}, "cannot be read"),
        ({"CARELEDGER_MASTER_KEY_FILE": "{dir}/bad.key"}, "must be base64"),
        (
            {"CARELEDGER_MASTER_KEY_FILE": "{dir}/good.key", "CARELEDGER_MASTER_KEY": TEXT},
            "not both",
        ),
    ],
)
def test_a_bad_master_key_setting_is_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    tmp_path.joinpath("bad.key").write_text("not base64!")
    tmp_path.joinpath("good.key").write_text(TEXT)
    given = {name: value.format(dir=tmp_path) for name, value in env.items()}
    settings = Settings.from_env({"CARELEDGER_DATA_DIR": str(tmp_path / "data"), **given})
    with pytest.raises(SettingsError, match=message):
        settings.resolved_master_key()


def test_previous_master_keys_are_read_as_a_list() -> None:
    other = base64.b64encode(b"o" * 32).decode()
    settings = Settings.from_env({"CARELEDGER_PREVIOUS_MASTER_KEYS": f"{TEXT}, {other}"})
    assert settings.previous_master_keys == (KEY, b"o" * 32)
    with pytest.raises(SettingsError, match="CARELEDGER_PREVIOUS_MASTER_KEY"):
        Settings.from_env({"CARELEDGER_PREVIOUS_MASTER_KEYS": "c2hvcnQ="})


def test_a_keys_database_needs_an_events_database() -> None:
    settings = Settings.from_env({"CARELEDGER_KEYS_DATABASE_URL": "postgresql://u@h/keys"})
    with pytest.raises(SettingsError, match="needs CARELEDGER_DATABASE_URL"):
        _ = settings.keys_postgres
    bad = Settings.from_env(
        {"CARELEDGER_DATABASE_URL": "postgresql://u@h/db", "CARELEDGER_KEYS_DATABASE_URL": "x"}
    )
    with pytest.raises(SettingsError, match="CARELEDGER_KEYS_DATABASE_URL must look like"):
        _ = bad.keys_postgres
