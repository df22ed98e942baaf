"""The report's charts: an ECharts option and a one-line finding computed from the figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.report.figures import (
    ReportFigures,
    mean_score,
    overall_csat,
    overall_distribution,
)
from api.report.words import WORDS, label

# The plan's service targets: (start, end) where the target moves over the plan.
TARGETS = {
    "kpi_first_response": (15.0, 5.0),
    "kpi_csat": (70.0, 90.0),
    "kpi_response_rate": (80.0, 80.0),
    "kpi_resolved_24h": (100.0, 100.0),
}


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    finding: str
    option: dict[str, Any]


def charts(figures: ReportFigures, lang: str) -> list[Chart]:
    w = WORDS[lang]
    return [
        satisfaction_chart(figures, w),
        *dimension_charts(figures, w),
        counts_chart("types", "category", figures.complaints.by_category, w),
        counts_chart("reasons", "reason", figures.complaints.by_subcategory, w),
        counts_chart("channels", "channel", figures.complaints.by_channel, w),
        counts_chart("outcomes", "outcome", figures.complaints.by_outcome, w),
        band_chart("response_speed", figures.first_response_by_band, 0, "speed", w),
        band_chart("solving", figures.resolution_by_band, 4, "solved", w),
        department_chart(figures, w),
        *kpi_charts(figures, w),
    ]


def bars(labels: Sequence[str], values: Sequence[float | None], name: str) -> dict[str, Any]:
    return {
        "grid": {"left": 60, "right": 20, "top": 30, "bottom": 40},
        "tooltip": {},
        "xAxis": {"type": "category", "data": list(labels)},
        "yAxis": {"type": "value", "name": name},
        "series": [{"type": "bar", "data": list(values), "label": {"show": True}}],
    }


def scores_option(distribution: Mapping[int, int], w: Mapping[str, str]) -> dict[str, Any]:
    labels = [w["score"].format(n=s) for s in range(1, 6)]
    return bars(labels, [distribution[s] for s in range(1, 6)], w["responses"])


def satisfaction_chart(figures: ReportFigures, w: Mapping[str, str]) -> Chart:
    scores = overall_distribution(figures.surveys)
    total = sum(scores.values())
    csat = overall_csat(figures.surveys)
    finding = w["no_data"]
    if total and csat is not None:
        low = round(100 * (scores[1] + scores[2]) / total)
        finding = w["csat_line"].format(csat=100 * csat, n=total, low=low)
    lowest = lowest_dimension(figures, w)
    if lowest:
        finding = f"{finding} {lowest}"
    return Chart("satisfaction", w["satisfaction"], finding, scores_option(scores, w))


def lowest_dimension(figures: ReportFigures, w: Mapping[str, str]) -> str:
    scored = [(mean, d) for d in figures.surveys.dimensions if (mean := mean_score(d.distribution))]
    if not scored:
        return ""
    mean, worst = min(scored, key=lambda pair: pair[0])
    name = w[f"dim.{worst.dimension}"]
    return w["lowest"].format(name=name, mean=mean, csat=100 * (worst.csat or 0))


def dimension_charts(figures: ReportFigures, w: Mapping[str, str]) -> list[Chart]:
    found = []
    for d in figures.surveys.dimensions:
        mean = mean_score(d.distribution)
        finding = w["no_data"]
        if mean is not None:
            finding = w["csat_dim"].format(mean=mean, n=d.responses, csat=100 * (d.csat or 0))
        title = w["dimension"].format(name=w[f"dim.{d.dimension}"])
        found.append(
            Chart(f"dimension-{d.dimension}", title, finding, scores_option(d.distribution, w))
        )
    return found


def counts_chart(key: str, kind: str, counts: Mapping[str, int], w: Mapping[str, str]) -> Chart:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    total = sum(counts.values())
    labels = [label(w, kind, code) for code, _ in ordered]
    finding = w["no_data"]
    if ordered:
        n = ordered[0][1]
        finding = w["top"].format(label=labels[0], n=n, total=total, share=100 * n / total)
    option = bars(labels, [n for _, n in ordered], w["complaints"])
    return Chart(key, w[key], finding, option)


def department_chart(figures: ReportFigures, w: Mapping[str, str]) -> Chart:
    """Mean first response per department, slowest first."""
    ordered = sorted(
        figures.first_response_by_department.items(), key=lambda item: (-item[1][0], item[0])
    )
    labels = [label(w, "department", code) for code, _ in ordered]
    finding = w["no_data"]
    if ordered:
        mean, n = ordered[0][1]
        finding = w["slowest"].format(label=labels[0], mean=mean, n=n)
    means = [round(mean, 1) for _, (mean, _) in ordered]
    option = bars(labels, means, w["minutes"])
    return Chart("departments", w["departments"], finding, option)


def band_chart(
    key: str, counts: Sequence[int], within: int, line: str, w: Mapping[str, str]
) -> Chart:
    total = sum(counts)
    finding = w["no_data"]
    if total:
        finding = w[line].format(share=100 * sum(counts[: within + 1]) / total, n=total)
    labels = [w[f"band.{i}"] for i in range(len(counts))]
    return Chart(key, w[key], finding, bars(labels, counts, w["complaints"]))


def kpi_charts(figures: ReportFigures, w: Mapping[str, str]) -> list[Chart]:
    days = [d.day for d in figures.days]
    series = {
        "kpi_first_response": [rounded(d.mean_first_response_min) for d in figures.days],
        "kpi_csat": [percent(d.csat) for d in figures.days],
        "kpi_response_rate": [percent(d.response_rate) for d in figures.days],
        "kpi_resolved_24h": [percent(d.resolved_within_24h) for d in figures.days],
    }
    return [kpi_chart(key, days, values, w) for key, values in series.items()]


def percent(share: float | None) -> float | None:
    return rounded(None if share is None else 100 * share)


def rounded(value: float | None) -> float | None:
    """A KPI as its chart labels it: one decimal (the findings say the same)."""
    return None if value is None else round(value, 1)


def kpi_chart(key: str, days: list[str], values: list[float | None], w: Mapping[str, str]) -> Chart:
    first, last = TARGETS[key]
    steps = max(1, len(days) - 1)
    targets = [round(first + (last - first) * i / steps, 2) for i in range(len(days))]
    lower_is_better = last < first
    option = {
        "grid": {"left": 60, "right": 20, "top": 40, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": days},
        "yAxis": {"type": "value"},
        "series": [
            {"name": w[key], "type": "line", "data": values, "label": {"show": True}},
            {
                "name": w["from_to_target"].format(start=f"{first:g}", end=f"{last:g}"),
                "type": "line",
                "data": targets,
                "lineStyle": {"type": "dashed"},
                # a line needs two days: a window of one shows its target as a labelled point
                **(
                    {"symbol": "none"}
                    if len(days) > 1
                    else {
                        "symbol": "diamond",
                        "symbolSize": 14,
                        "label": {"show": True, "position": "right"},
                    }
                ),
            },
        ],
    }
    return Chart(key, w[key], kpi_finding(values, targets, lower_is_better, w), option)


def kpi_finding(
    values: list[float | None], targets: list[float], lower_is_better: bool, w: Mapping[str, str]
) -> str:
    known = [(v, t) for v, t in zip(values, targets, strict=True) if v is not None]
    if not known:
        return w["no_data"]
    met = sum(1 for v, t in known if (v <= t if lower_is_better else v >= t))
    value, target = known[-1]
    line = "kpi_mean" if lower_is_better else "kpi_share"
    return w[line].format(value=value, target=target, met=met, days=len(known))
