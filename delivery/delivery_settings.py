"""How the delivery process paces notices: attempts, backoff, leases, quiet hours, batch sizes,
and its share of the work beside other delivery processes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from projections.views.notice_work import WHOLE, Share

PLATFORM_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 900.0
    lease_s: float = 60.0
    quiet_start: time | None = time(22, 0)
    quiet_end: time | None = time(8, 0)
    zone: str = PLATFORM_ZONE
    workers: int = 16
    batch: int = 500
    share: Share = WHOLE  # this process's part when several share the work

    def backoff_s(self, attempt: int, hint_s: float | None = None) -> float:
        """Exponential in the attempt, capped, with full jitter over its upper half; a
        provider's Retry-After is honoured when it asks for longer."""
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1))
        wait = random.uniform(ceiling / 2, ceiling)
        return max(wait, hint_s or 0.0)

    def quiet_until(self, now: datetime) -> datetime | None:
        """The end of the quiet hours `now` falls in (local time), or None outside them."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        local = now.astimezone(ZoneInfo(self.zone))
        start, end, clock = self.quiet_start, self.quiet_end, local.timetz().replace(tzinfo=None)
        overnight = start > end
        inside = (clock >= start or clock < end) if overnight else (start <= clock < end)
        if not inside:
            return None
        day = local.date() + timedelta(days=1 if overnight and clock >= start else 0)
        return datetime.combine(day, end, ZoneInfo(self.zone)).astimezone(UTC)
