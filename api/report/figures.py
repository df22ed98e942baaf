"""The report's figures for a window, read from the dashboards' read models; each day of the
window again for the KPIs over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import (
    ComplaintDashboard,
    complaint_breakdown,
    complaint_dashboard,
)
from projections.views.durations import complaint_durations
from projections.views.satisfaction import SatisfactionReport, satisfaction

# Band edges in seconds: first response and resolution times.
BANDS_S = (300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0)
WITHIN_24H_S = 86400.0


@dataclass(frozen=True)
class DayKpis:
    day: str
    mean_first_response_min: float | None
    csat: float | None
    response_rate: float | None
    resolved_within_24h: float | None


@dataclass(frozen=True)
class ReportFigures:
    start: datetime
    end: datetime
    complaints: ComplaintDashboard
    surveys: SatisfactionReport
    first_response_by_band: list[int]
    resolution_by_band: list[int]
    days: list[DayKpis]
    # department -> (mean first response in minutes, first responses), those with any
    first_response_by_department: dict[str, tuple[float, int]]


def report_figures(store: ViewStore, start: datetime, end: datetime) -> ReportFigures:
    durations = complaint_durations(store, start, end)
    return ReportFigures(
        start=start,
        end=end,
        complaints=complaint_dashboard(store, start, end),
        surveys=satisfaction(store, start, end),
        first_response_by_band=durations["first_response"].by_band(BANDS_S),
        resolution_by_band=durations["resolution"].by_band(BANDS_S),
        days=[day_kpis(store, day, min(day + timedelta(days=1), end)) for day in days(start, end)],
        first_response_by_department=by_department(store, start, end),
    )


def by_department(store: ViewStore, start: datetime, end: datetime) -> dict[str, tuple[float, int]]:
    found = complaint_breakdown(store, start, end, "department")
    return {
        department: (board.first_response_time.mean / 60, board.first_response_time.count)
        for department, board in found.items()
        if board.first_response_time.mean is not None
    }


def days(start: datetime, end: datetime) -> list[datetime]:
    """The window cut at UTC midnights: each piece's start."""
    cuts = [start]
    midnight = datetime.combine(start.astimezone(UTC).date(), time(), UTC) + timedelta(days=1)
    while midnight < end:
        cuts.append(midnight)
        midnight += timedelta(days=1)
    return cuts


def day_kpis(store: ViewStore, start: datetime, end: datetime) -> DayKpis:
    durations = complaint_durations(store, start, end)
    surveys = satisfaction(store, start, end)
    mean_s = durations["first_response"].mean_s
    return DayKpis(
        day=start.astimezone(UTC).date().isoformat(),
        mean_first_response_min=None if mean_s is None else mean_s / 60,
        csat=overall_csat(surveys),
        response_rate=surveys.response_rate,
        resolved_within_24h=durations["resolution"].share_within(WITHIN_24H_S),
    )


def overall_distribution(surveys: SatisfactionReport) -> dict[int, int]:
    """Scores 1-5 over all five dimensions together."""
    return {s: sum(d.distribution[s] for d in surveys.dimensions) for s in range(1, 6)}


def overall_csat(surveys: SatisfactionReport) -> float | None:
    scores = overall_distribution(surveys)
    total = sum(scores.values())
    return (scores[4] + scores[5]) / total if total else None


def mean_score(distribution: dict[int, int]) -> float | None:
    total = sum(distribution.values())
    return sum(s * n for s, n in distribution.items()) / total if total else None
