"""The notices' configuration: read from the environment, refused when malformed."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from application.settings import Settings, SettingsError
from delivery.channels.base import ChannelKind
from delivery.channels.http_provider import HttpProviderChannel
from delivery.channels.outbox import OutboxChannel
from delivery.channels.registry import channels_from_settings
from delivery.channels.robots import RobotChannel
from delivery.service import delivery_settings
from delivery.staff import Directory, Routes, StaffConfigError
from delivery.templates import Templates, TemplatesError
from domain.notification import NoticeKind


def test_quiet_hours_attempts_and_the_lease_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "CARELEDGER_QUIET_HOURS": "21:30-07:00",
            "CARELEDGER_NOTICE_ATTEMPTS": "5",
            "CARELEDGER_NOTICE_LEASE_S": "2",
        }
    )
    delivery = delivery_settings(settings)
    assert (delivery.quiet_start, delivery.quiet_end, delivery.max_attempts) == (
        time(21, 30),
        time(7, 0),
        5,
    )
    # the lease was read and then dropped: every process held its claims for the default 60 s
    assert delivery.lease_s == 2.0
    assert delivery_settings(Settings.from_env({})).lease_s == 60.0
    assert (
        delivery_settings(Settings.from_env({"CARELEDGER_QUIET_HOURS": "off"})).quiet_start is None
    )


def test_a_processs_share_and_workers_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "CARELEDGER_NOTICE_SHARE": "1/3",
            "CARELEDGER_NOTICE_TAKEOVER_S": "12",
            "CARELEDGER_NOTICE_WORKERS": "48",
        }
    )
    share = delivery_settings(settings).share
    assert (share.index, share.count, share.takeover_s) == (1, 3, 12.0)
    assert delivery_settings(settings).workers == 48
    assert delivery_settings(Settings.from_env({})).workers == 16
    assert share.digits() == ("1", "4", "7", "a", "d")
    whole = delivery_settings(Settings.from_env({})).share
    assert (whole.whole, whole.takeover_s) == (True, 30.0)


@pytest.mark.parametrize("value", ["1", "2/2", "0/0", "0/17", "-1/2", "a/b", "1/2/3"])
def test_a_malformed_share_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="CARELEDGER_NOTICE_SHARE"):
        Settings.from_env({"CARELEDGER_NOTICE_SHARE": value})


@pytest.mark.parametrize("value", ["0", "257", "many"])
def test_a_malformed_worker_count_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="CARELEDGER_NOTICE_WORKERS"):
        Settings.from_env({"CARELEDGER_NOTICE_WORKERS": value})


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


def test_providers_and_robots_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "CARELEDGER_DATA_DIR": str(tmp_path),
            "CARELEDGER_SMS_URL": "https://sms.example/v1/send",
            "CARELEDGER_SMS_TOKEN": "s-tok",
            "CARELEDGER_PUSH_URL": "https://push.example/v1/send",
            "CARELEDGER_RECEIPT_URL": "https://cl.example/notices/receipts",
            "CARELEDGER_IM_ROBOTS": "on",
        }
    )
    channels = channels_from_settings(settings)()
    sms, push = channels[ChannelKind.SMS], channels[ChannelKind.PUSH]
    assert isinstance(sms, HttpProviderChannel) and isinstance(push, HttpProviderChannel)
    assert (sms.url, push.url) == ("https://sms.example/v1/send", "https://push.example/v1/send")
    assert isinstance(channels[ChannelKind.IM], RobotChannel)
    assert isinstance(channels[ChannelKind.EMAIL], OutboxChannel)  # no SMTP server given


def test_with_nothing_configured_every_channel_is_the_outbox(tmp_path: Path) -> None:
    channels = channels_from_settings(Settings.from_env({"CARELEDGER_DATA_DIR": str(tmp_path)}))()
    assert all(isinstance(channels[kind], OutboxChannel) for kind in ChannelKind)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CARELEDGER_SMS_URL", "sms.example/v1"),
        ("CARELEDGER_PUSH_URL", "ftp://push.example"),
        ("CARELEDGER_RECEIPT_URL", "https://"),
        ("CARELEDGER_IM_ROBOTS", "yes"),
    ],
)
def test_a_malformed_provider_setting_is_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
