"""Complaint-cluster rules, held as data: which complaints, about what, how many, how fast.

A rule watches one complaint category for one kind of key (a restaurant, a region, a courier
company). A cluster forms when `threshold` complaints of the category about one key are filed
within `window` of each other, or, with a `Baseline`, when the complaints of one window are
`multiple` times what the key's own history would lead one to expect (and at least `minimum`).
Food safety is tight: three complaints about one kitchen within two hours.

Add rules or change their numbers here; a rule's name is recorded with each detection, so a
renamed rule starts its clusters afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from domain.complaint_types import Category
from domain.incident_types import IncidentType, Severity


class KeyKind(StrEnum):
    RESTAURANT = "restaurant"
    REGION = "region"
    COURIER_PROVIDER = "courier_provider"


class Trigger(StrEnum):
    THRESHOLD = "threshold"  # `threshold` complaints within the window
    BASELINE = "baseline"  # far above the key's own rate


@dataclass(frozen=True)
class Baseline:
    multiple: float  # the window's count must exceed this multiple of the expected count
    period: timedelta  # the history, just before the window, the expected count comes from
    minimum: int  # and the window must hold at least this many

    def expected(self, history: int, window: timedelta) -> float:
        """The complaints one window would hold at the rate of `history` over `period`."""
        return history * (window / self.period)

    def exceeded(self, count: int, history: int, window: timedelta) -> bool:
        return count >= self.minimum and count > self.multiple * self.expected(history, window)


@dataclass(frozen=True)
class ClusterRule:
    name: str
    category: Category
    key_kind: KeyKind
    window: timedelta
    threshold: int
    incident_type: IncidentType
    severity: Severity
    exposure: timedelta = timedelta(0)  # how far before the first complaint orders are exposed
    baseline: Baseline | None = None

    def trigger(self, count: int, history: int) -> Trigger | None:
        """Whether `count` complaints within one window form a cluster, given `history`
        complaints in the baseline period before it; which trigger, if so."""
        if count >= self.threshold:
            return Trigger.THRESHOLD
        if self.baseline is not None and self.baseline.exceeded(count, history, self.window):
            return Trigger.BASELINE
        return None


HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)

CLUSTER_RULES: tuple[ClusterRule, ...] = (
    ClusterRule(
        "food_safety_restaurant",
        Category.FOOD_SAFETY,
        KeyKind.RESTAURANT,
        window=2 * HOUR,
        threshold=3,
        incident_type=IncidentType.PUBLIC_HEALTH,
        severity=Severity.II,
        exposure=6 * HOUR,
    ),
    ClusterRule(
        "food_safety_region",
        Category.FOOD_SAFETY,
        KeyKind.REGION,
        window=2 * HOUR,
        threshold=6,
        incident_type=IncidentType.PUBLIC_HEALTH,
        severity=Severity.II,
    ),
    ClusterRule(
        "product_quality_restaurant",
        Category.PRODUCT_QUALITY,
        KeyKind.RESTAURANT,
        window=HOUR,
        threshold=8,
        incident_type=IncidentType.PUBLIC_HEALTH,
        severity=Severity.IV,
        exposure=2 * HOUR,
        baseline=Baseline(multiple=4.0, period=WEEK, minimum=4),
    ),
    ClusterRule(
        "logistics_courier_provider",
        Category.LOGISTICS,
        KeyKind.COURIER_PROVIDER,
        window=HOUR,
        threshold=25,
        incident_type=IncidentType.SYSTEM_FAILURE,
        severity=Severity.III,
        baseline=Baseline(multiple=3.0, period=WEEK, minimum=10),
    ),
    ClusterRule(
        "logistics_region",
        Category.LOGISTICS,
        KeyKind.REGION,
        window=HOUR,
        threshold=30,
        incident_type=IncidentType.SYSTEM_FAILURE,
        severity=Severity.III,
        baseline=Baseline(multiple=3.0, period=WEEK, minimum=12),
    ),
    ClusterRule(
        "privacy_region",
        Category.PRIVACY,
        KeyKind.REGION,
        window=6 * HOUR,
        threshold=3,
        incident_type=IncidentType.SYSTEM_FAILURE,
        severity=Severity.II,
    ),
)

RULES_BY_NAME = {rule.name: rule for rule in CLUSTER_RULES}


def rules_for(category: str, rules: tuple[ClusterRule, ...] = CLUSTER_RULES) -> list[ClusterRule]:
    return [rule for rule in rules if rule.category == category]
