"""The analysts' report of the scripted scenario: its figures are what the scenario's commands
say, and the page draws every chart, offline, in headless Chromium."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.cli import main
from api.report.charts import charts
from api.report.figures import DayKpis, ReportFigures, overall_distribution, report_figures
from api.report.page import render
from api.report.words import LANGUAGES, WORDS, label
from application.app import CareLedger
from application.settings import Settings
from demo.scenario import run_scenario
from domain.complaint_types import Category, Department, Resolution
from domain.meta import Channel
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import ComplaintDashboardProjection
from projections.views.satisfaction import SatisfactionProjection
from tests.browser.chromium import Browser
from tests.projections.catch_up import Project

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FROM, TO = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)
# The scenario's one survey answer, Scores(4, 5, 4, 3, 4), in the order of domain.survey.DIMENSIONS
SCORES = {
    "product_quality": 4,
    "service_attitude": 5,
    "after_sales": 4,
    "response_speed": 3,
    "problem_solving": 4,
}
KPI_CHARTS = ("kpi_first_response", "kpi_csat", "kpi_response_rate", "kpi_resolved_24h")
# Its one resolved complaint: filed, then reply 1 min, classify 1, assign 2, start 1, propose 10,
# compensate 1, refund 0, resolve 1 minute later
RESOLVED_AFTER_MIN = 1 + 1 + 2 + 1 + 10 + 1 + 0 + 1


@pytest.fixture
def figures(app: CareLedger, views: ViewStore, project: Project) -> ReportFigures:
    run_scenario(app, views, START)
    project(ComplaintDashboardProjection(), SatisfactionProjection())
    return report_figures(views, FROM, TO)


def test_the_figures_are_the_scenarios_commands(figures: ReportFigures) -> None:
    # one survey sent and answered; each dimension holds its one score
    assert (figures.surveys.sent, figures.surveys.responded) == (1, 1)
    for d in figures.surveys.dimensions:
        assert d.distribution == {s: int(s == SCORES[d.dimension]) for s in range(1, 6)}
    assert overall_distribution(figures.surveys) == {1: 0, 2: 0, 3: 1, 4: 3, 5: 1}
    # four complaints: the late soup (logistics), three food-poisoning ones; one compensated
    assert figures.complaints.by_category == {"logistics": 1, "food_safety": 3}
    assert figures.complaints.by_channel == {"app": 4}
    # their reasons, as filed: the soup came late, the three fell ill after the same dish
    assert figures.complaints.by_subcategory == {
        "food_safety/food_poisoning": 3,
        "logistics/late_delivery": 1,
    }
    assert figures.complaints.by_outcome == {"compensated": 1}
    # resolved after 17 minutes: the 15-60 min band
    assert figures.resolution_by_band == [0, 0, 1, 0, 0, 0]
    # the window is two days; the scenario's day carries the KPIs, the next has none
    first, second = figures.days
    assert (first.day, second.day) == ("2026-12-01", "2026-12-02")
    assert first.csat == 4 / 5 and first.response_rate == 1.0
    assert first.resolved_within_24h == 1.0
    assert (second.csat, second.mean_first_response_min) == (None, None)


def test_each_finding_is_computed_from_the_figures(figures: ReportFigures) -> None:
    found = {chart.id: chart.finding for chart in charts(figures, "en")}
    assert "Lowest: response speed, mean 3.00" in found["satisfaction"]
    assert found["types"] == "food safety leads with 3 of 4 (75 %)."
    assert found["reasons"] == "food safety/food_poisoning leads with 3 of 4 (75 %)."
    assert found["outcomes"] == "compensated leads with 1 of 1 (100 %)."
    assert found["kpi_csat"] == "Last day 80 % against 70 %; 1 of 1 days met it."
    # the departments' first responses: only the late soup was assigned (to logistics), and
    # answered a minute after it was filed
    assert figures.first_response_by_department == {"logistics": (1.0, 1)}
    assert found["departments"] == "logistics answers slowest: mean 1.0 min over 1 first responses."
    zh = {chart.id: chart.finding for chart in charts(figures, "zh")}
    # in Chinese the codes are named in Chinese too; a sub-category stays as staff typed it
    assert zh["types"] == "食品安全 最多：4 件中占 3 件（75 %）。"
    assert zh["reasons"] == "食品安全/food_poisoning 最多：4 件中占 3 件（75 %）。"
    assert zh["outcomes"] == "补偿 最多：1 件中占 1 件（100 %）。"
    assert zh["departments"].startswith("物流部 响应最慢")
    assert zh["satisfaction"].endswith("响应速度得分最低：平均 3.00 分（满分 5），CSAT 0 %。")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_a_chart_shows_has_a_word(lang: str) -> None:
    # every category, channel, outcome and department the domain knows is named in each
    # language, so a new one added to the domain fails here rather than reading as a code
    kinds = {"category": Category, "channel": Channel, "outcome": Resolution}
    kinds["department"] = Department
    for kind, codes in kinds.items():
        missing = [c.value for c in codes if f"{kind}.{c.value}" not in WORDS[lang]]
        assert missing == [], (lang, kind)
    # and a code it does not know reads as itself
    assert label(WORDS[lang], "channel", "carrier_pigeon") == "carrier_pigeon"


def test_a_kpi_chart_labels_one_decimal_and_shows_a_one_day_target(
    figures: ReportFigures,
) -> None:
    # given a window of one day whose mean first response is not a round number of minutes
    day = DayKpis("2026-12-06", 64.3325, 0.7033, 0.709, 1.0)
    found = {c.id: c for c in charts(dataclasses.replace(figures, days=[day]), "en")}
    first_response = found["kpi_first_response"].option["series"]
    # then the chart labels what the finding says, and its target is a point, not a line of one
    assert first_response[0]["data"] == [64.3]
    assert found["kpi_first_response"].finding.startswith("Last day 64.3 min against 15;")
    assert found["kpi_csat"].option["series"][0]["data"] == [70.3]
    assert all(found[k].option["series"][1]["symbol"] != "none" for k in KPI_CHARTS)
    # and over two days or more the target is the dashed line alone
    two = {c.id: c for c in charts(figures, "en")}
    assert all(two[k].option["series"][1]["symbol"] == "none" for k in KPI_CHARTS)


def test_the_page_draws_every_chart_offline(
    figures: ReportFigures, browser: Browser, tmp_path: Path
) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(render(figures, "zh"), encoding="utf-8")
    expected = [chart.id for chart in charts(figures, "zh")]
    page = browser.page()
    try:
        page.open(page_file.as_uri())
        drawn = page.evaluate(
            "[...document.querySelectorAll('.plot')].map(p => [p.id,"
            " p.querySelectorAll('svg path, svg rect, svg text').length])"
        )
        # every chart the plan lists is on the page, each drawn with marks and labels
        assert [chart_id for chart_id, _ in drawn] == expected and len(expected) == 17
        assert all(marks > 10 for _, marks in drawn), drawn
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        # nothing left the machine: only the file itself was asked for
        assert page.requests == [page_file.as_uri()]
    finally:
        page.close()


def test_the_command_writes_the_report(
    app: CareLedger,
    views: ViewStore,
    project: Project,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_scenario(app, views, START)
    project(ComplaintDashboardProjection(), SatisfactionProjection())
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls: settings))
    out = tmp_path / "r.html"
    assert main(["report", "--from", "2026-12-01", "--to", "2026-12-02", "--out", str(out)]) == 0
    assert f"report written to {out}" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "Lowest: response speed" in text and "unpkg" not in text and "cdn" not in text.lower()
    # a window the wrong way round is refused and writes nothing
    other = tmp_path / "no.html"
    assert main(["report", "--from", "2026-12-02", "--to", "2026-12-01", "--out", str(other)]) == 2
    assert not other.exists() and "`to` must be after `from`" in capsys.readouterr().err
