"""The delivery process as the service runs it: its configuration read from `Settings`."""

from __future__ import annotations

from application.app import CareLedger
from application.settings import Settings
from delivery.delivery_settings import DeliverySettings
from delivery.notifier import ChannelsFactory, Notifier
from delivery.staff import Directory, Routes
from delivery.templates import Templates
from projections.engine.store import ViewStore
from projections.views.notice_work import Share


def delivery_settings(settings: Settings) -> DeliverySettings:
    start, end = settings.quiet_hours or (None, None)
    return DeliverySettings(
        max_attempts=settings.notice_attempts,
        lease_s=settings.notice_lease_s,
        workers=settings.notice_workers,
        share=Share(*settings.notice_share, takeover_s=settings.notice_takeover_s),
        quiet_start=start,
        quiet_end=end,
    )


def build_notifier(
    app: CareLedger, store: ViewStore, settings: Settings, channels: ChannelsFactory
) -> Notifier:
    """A notifier with the deployment's templates, staff directory and routes; a malformed
    one stops the process here, before anything is sent."""
    extra = (settings.templates_file,) if settings.templates_file else ()
    return Notifier(
        app,
        store,
        channels,
        templates=Templates.load(*extra),
        directory=Directory.load(settings.staff_directory),
        routes=Routes.load(settings.alert_routes),
        settings=delivery_settings(settings),
    )
