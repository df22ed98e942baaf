"""The report as one HTML file: the figures' charts drawn by the vendored Apache ECharts
(api/static/echarts, inlined: the page needs no network), printable to PDF."""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cache
from html import escape
from pathlib import Path

from api.report.charts import Chart, charts
from api.report.figures import ReportFigures
from api.report.words import LANGUAGES, WORDS

ECHARTS = Path(__file__).resolve().parents[1] / "static" / "echarts" / "echarts.min.js"

STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", sans-serif; margin: 2em; }
h1 { margin-bottom: 0.2em; }
.chart { margin: 1.5em 0; break-inside: avoid; page-break-inside: avoid; }
.plot { width: 100%; max-width: 900px; height: 320px; }
.finding { margin: 0.3em 0; color: #333; }
@media print {
  body { margin: 0; }
  .plot { width: 17cm; height: 8cm; }
  .chart { page-break-inside: avoid; }
}
"""

DRAW = """
for (const chart of JSON.parse(document.getElementById("charts").textContent)) {
  const plot = echarts.init(document.getElementById(chart.id), null, {renderer: "svg"});
  plot.setOption(Object.assign({animation: false}, chart.option));
}
"""


@cache
def echarts_source() -> str:
    # a "</script" inside the library would end the inline script early
    return ECHARTS.read_text(encoding="utf-8").replace("</script", "<\\/script")


def render(figures: ReportFigures, lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    w = WORDS[lang]
    drawn = charts(figures, lang)
    window = w["window"].format(start=figures.start.isoformat(), end=figures.end.isoformat())
    data = json.dumps([asdict(c) for c in drawn], ensure_ascii=False).replace("</", "<\\/")
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
            f"<title>{escape(w['title'])}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(w['title'])}</h1><p>{escape(window)}</p>",
            *(section(chart) for chart in drawn),
            f"<p><small>{escape(w['generated'])}</small></p>",
            f'<script id="charts" type="application/json">{data}</script>',
            f"<script>{echarts_source()}</script><script>{DRAW}</script>",
            "</body></html>",
        ]
    )


def section(chart: Chart) -> str:
    return (
        f'<section class="chart"><h2>{escape(chart.title)}</h2>'
        f'<p class="finding">{escape(chart.finding)}</p>'
        f'<div class="plot" id="{escape(chart.id)}"></div></section>'
    )
