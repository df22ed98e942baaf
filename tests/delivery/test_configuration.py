"""The notices' configuration: read from the environment, refused when malformed."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from application.settings import Settings, SettingsError
from delivery.service import delivery_settings
from delivery.staff import Directory, Routes, StaffConfigError
from delivery.templates import Templates, TemplatesError
from domain.notification import NoticeKind


def test_quiet_hours_and_attempts_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {"CARELEDGER_QUIET_HOURS": "21:30-07:00", "CARELEDGER_NOTICE_ATTEMPTS": "5"}
    )
    delivery = delivery_settings(settings)
    assert (delivery.quiet_start, delivery.quiet_end, delivery.max_attempts) == (
        time(21, 30),
        time(7, 0),
        5,
    )
    assert (
        delivery_settings(Settings.from_env({"CARELEDGER_QUIET_HOURS": "off"})).quiet_start is None
    )


@pytest.mark.parametrize("value", ["22-8", "22:00", "25:00-08:00", "08:00-08:00"])
def test_malformed_quiet_hours_are_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="CARELEDGER_QUIET_HOURS"):
        Settings.from_env({"CARELEDGER_QUIET_HOURS": value})


def test_a_missing_configuration_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="CARELEDGER_STAFF_DIRECTORY"):
        Settings.from_env({"CARELEDGER_STAFF_DIRECTORY": str(tmp_path / "nope.toml")})


def test_every_notice_kind_has_a_template_in_both_locales() -> None:
    templates = Templates.load()
    for kind in NoticeKind:
        assert templates.choose(kind, "en").locale == "en"
        assert templates.choose(kind, "zh-CN").locale == "zh-CN"


def test_a_template_with_a_syntax_error_stops_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text(
        '[[template]]\nkind = "delay_notice"\nlocale = "en"\nversion = 2\n'
        'subject = "{{ order_no"\nbody = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(TemplatesError, match="delay_notice/en/v2"):
        Templates.load(bad)


def test_the_sandbox_refuses_unsafe_attributes(tmp_path: Path) -> None:
    sneaky = tmp_path / "t.toml"
    sneaky.write_text(
        '[[template]]\nkind = "delay_notice"\nlocale = "en"\nversion = 9\n'
        'subject = "{{ name.__class__.__mro__ }}"\nbody = "x"\n',
        encoding="utf-8",
    )
    templates = Templates.load(sneaky)
    from delivery.templates import TemplateFailure

    with pytest.raises(TemplateFailure, match="delay_notice/en/v9"):
        templates.render(templates.get("delay_notice", "en", 9), {"name": "x"})


def test_routes_and_directory_refuse_unknown_names(tmp_path: Path) -> None:
    routes = tmp_path / "r.toml"
    routes.write_text('[[route]]\nnotice = "sla_warning"\nto = ["everyone"]\n', encoding="utf-8")
    with pytest.raises(StaffConfigError, match="everyone"):
        Routes.load(routes)
    staff = tmp_path / "s.toml"
    staff.write_text('[rotas]\nduty = ["ghost"]\n', encoding="utf-8")
    with pytest.raises(StaffConfigError, match="ghost"):
        Directory.load(staff)
