"""Satisfaction: surveys sent, answered and expired, each dimension's score distribution, CSAT.

Counts live in hourly buckets of business time, so a window costs its hours, not its events,
and again by UTC day (`counts_daily`, `scores_daily`, written from the same batch): a window
reads its whole days from those and only the hours at its edges by the hour (projections/rollup).
CSAT is the share of 4 and 5 scores; the response rate is responses over surveys sent in the
same window. The same counts are kept per channel the survey went by (`via`) and per subject
(order or complaint), as metrics `<metric>/<by>/<value>` in the same tables; the `surveys` table
remembers each survey's channel and subject for its answer or expiry. The counts and scores are
kept once more keyed by channel and subject together (`survey_slice_*`), so the dashboard can be
filtered by either or both (AND-ed) and still read only the window's days and edge hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from domain.errors import InvalidInputError
from domain.survey import DIMENSIONS, SurveySubject, SurveyVia
from domain.values import one_of
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import (
    active_prefix,
    add_counts,
    hour_of,
    hours_between,
    records_by_ids,
    upsert_records,
)
from projections.engine.rollup import Spans, by_day, spanned, spans
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import Table

BREAKDOWNS = ("via", "subject")
# the same counts and scores keyed by the survey's channel and subject together, so that a
# filter on both (via = sms AND subject = complaint) is a condition on the window's rows
SLICE_TABLES = ("survey_slice_counts", "survey_slice_scores")
FILTER_KINDS: dict[str, type[StrEnum]] = {"via": SurveyVia, "subject": SurveySubject}


class SurveyRecord(NamedTuple):
    survey_id: str
    via: str
    subject: str


SURVEYS = Table("surveys", SurveyRecord, primary_key=("survey_id",))


class SatisfactionProjection(Projection):
    name = "satisfaction"
    events = ("SurveySent", "SurveyResponded", "SurveyExpired")

    def tables(self) -> tuple[str, ...]:
        filtered = tuple(f"{t}{suffix}" for t in SLICE_TABLES for suffix in ("", "_daily"))
        return ("counts", "scores", "counts_daily", "scores_daily", SURVEYS.name, *filtered)

    def create_tables(self, tx: Tx, prefix: str) -> None:
        for statement in SURVEYS.ddl(tx.dialect, prefix):
            tx.execute(statement)
        for suffix, period in (("", "hour"), ("_daily", "day")):
            tx.execute(
                f"CREATE TABLE {prefix}counts{suffix} ({period} BIGINT NOT NULL,"
                f" metric TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY ({period}, metric))"
            )
            tx.execute(
                f"CREATE TABLE {prefix}scores{suffix} ({period} BIGINT NOT NULL,"
                " dimension TEXT NOT NULL, score INTEGER NOT NULL, n BIGINT NOT NULL,"
                f" PRIMARY KEY ({period}, dimension, score))"
            )
            tx.execute(
                f"CREATE TABLE {prefix}survey_slice_counts{suffix} ({period} BIGINT NOT NULL,"
                " via TEXT NOT NULL, subject TEXT NOT NULL, metric TEXT NOT NULL,"
                f" n BIGINT NOT NULL, PRIMARY KEY ({period}, via, subject, metric))"
            )
            tx.execute(
                f"CREATE TABLE {prefix}survey_slice_scores{suffix} ({period} BIGINT NOT NULL,"
                " via TEXT NOT NULL, subject TEXT NOT NULL, dimension TEXT NOT NULL,"
                " score INTEGER NOT NULL, n BIGINT NOT NULL,"
                f" PRIMARY KEY ({period}, via, subject, dimension, score))"
            )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        counts: Counter[tuple[int, str]] = Counter()
        scores: Counter[tuple[int, str, int]] = Counter()
        slice_counts: Counter[tuple[int, str, str, str]] = Counter()
        slice_scores: Counter[tuple[int, str, str, str, int]] = Counter()
        metric = {"SurveySent": "sent", "SurveyResponded": "responded", "SurveyExpired": "expired"}
        answered = (str(e.event.originator_id) for e in batch if e.name != "SurveySent")
        known = {r.survey_id: r for r in records_by_ids(tx, SURVEYS, prefix, answered)}
        sent: list[SurveyRecord] = []
        for envelope in batch:
            event, hour = envelope.event, hour_of(envelope.event.meta.occurred_at)
            survey_id = str(event.originator_id)
            if envelope.name == "SurveySent":
                known[survey_id] = SurveyRecord(survey_id, str(event.via), str(event.subject))
                sent.append(known[survey_id])
            counts[hour, metric[envelope.name]] += 1
            if (survey := known.get(survey_id)) is not None:
                for by in BREAKDOWNS:
                    counts[hour, f"{metric[envelope.name]}/{by}/{getattr(survey, by)}"] += 1
                slice_counts[hour, survey.via, survey.subject, metric[envelope.name]] += 1
            if envelope.name == "SurveyResponded":
                for dimension, score in envelope.event.scores.as_dict().items():
                    scores[hour, dimension, score] += 1
                    if survey is not None:
                        slice_scores[hour, survey.via, survey.subject, dimension, score] += 1
        upsert_records(tx, SURVEYS, prefix, sent)
        add_counts(tx, f"{prefix}counts", ("hour", "metric"), counts)
        add_counts(tx, f"{prefix}scores", ("hour", "dimension", "score"), scores)
        add_counts(tx, f"{prefix}counts_daily", ("day", "metric"), by_day(counts))
        add_counts(tx, f"{prefix}scores_daily", ("day", "dimension", "score"), by_day(scores))
        for period, counted, scored in (
            ("hour", slice_counts, slice_scores),
            ("day", by_day(slice_counts), by_day(slice_scores)),
        ):
            suffix = "" if period == "hour" else "_daily"
            keys = (period, "via", "subject")
            add_counts(tx, f"{prefix}survey_slice_counts{suffix}", (*keys, "metric"), counted)
            table = f"{prefix}survey_slice_scores{suffix}"
            add_counts(tx, table, (*keys, "dimension", "score"), scored)


@dataclass(frozen=True)
class DimensionScores:
    dimension: str
    distribution: dict[int, int]  # score 1-5 -> responses

    @property
    def responses(self) -> int:
        return sum(self.distribution.values())

    @property
    def csat(self) -> float | None:
        """Share of 4 and 5 scores; None without responses."""
        if not self.responses:
            return None
        return (self.distribution[4] + self.distribution[5]) / self.responses


@dataclass(frozen=True)
class SurveyCounts:
    """Surveys sent, answered and expired in a window: all of them, or one channel's or one
    subject's."""

    sent: int
    responded: int
    expired: int

    @property
    def response_rate(self) -> float | None:
        """Responses over surveys sent in the window; None without any sent."""
        return self.responded / self.sent if self.sent else None


@dataclass(frozen=True)
class SatisfactionReport(SurveyCounts):
    dimensions: list[DimensionScores]
    by_via: dict[str, SurveyCounts]  # sms | email | app, the channel the survey went by
    by_subject: dict[str, SurveyCounts]  # order | complaint


def satisfaction(
    store: ViewStore, start: datetime, end: datetime, only: Mapping[str, str] | None = None
) -> SatisfactionReport:
    """The window [start, end), resolved to whole hours of business time; given `only`
    ({"via": "sms", "subject": "complaint"}, AND-ed; from checked_survey_filter), the surveys
    with every value alone."""
    window = spans(*hours_between(start, end))
    with store.snapshot() as tx:
        p = active_prefix(tx, SatisfactionProjection.name)
        if only:
            counts, rows = filtered_counts(tx, p, window, only)
        else:
            source, params = spanned(f"{p}counts", f"{p}counts_daily", "metric, n", window)
            counts = dict(tx.all(f"SELECT metric, SUM(n) FROM {source} GROUP BY metric", params))
            source, params = spanned(
                f"{p}scores", f"{p}scores_daily", "dimension, score, n", window
            )
            rows = tx.all(
                f"SELECT dimension, score, SUM(n) FROM {source} GROUP BY dimension, score", params
            )
    distributions = {d: dict.fromkeys(range(1, 6), 0) for d in DIMENSIONS}
    for dimension, score, n in rows:
        distributions[dimension][int(score)] = int(n)
    return SatisfactionReport(
        sent=int(counts.get("sent", 0)),
        responded=int(counts.get("responded", 0)),
        expired=int(counts.get("expired", 0)),
        dimensions=[DimensionScores(d, distributions[d]) for d in DIMENSIONS],
        by_via=breakdown(counts, "via"),
        by_subject=breakdown(counts, "subject"),
    )


def checked_survey_filter(asked: Mapping[str, str], field: str = "filter") -> dict[str, str]:
    """{via|subject: value}, each a value surveys can have, else InvalidInputError."""
    if not asked:
        raise InvalidInputError(field, f"set at least one of {', '.join(FILTER_KINDS)}")
    checked: dict[str, str] = {}
    for by, value in asked.items():
        if by not in FILTER_KINDS:
            raise InvalidInputError(field, f"no filter {by!r}: one of {', '.join(FILTER_KINDS)}")
        checked[by] = str(one_of(f"{field}.{by}", value, FILTER_KINDS[by]))
    return checked


def filtered_counts(
    tx: Tx, p: str, window: Spans, only: Mapping[str, str]
) -> tuple[dict[str, int], Sequence[Any]]:
    """The counts (as `<metric>` and `<metric>/<by>/<value>`) and the score rows of the surveys
    with every value of `only`, from the tables keyed by channel and subject together."""
    checked = checked_survey_filter(only)
    where = " AND ".join(f"{by} = ?" for by in checked)
    values = list(checked.values())
    source, params = spanned(
        f"{p}survey_slice_counts",
        f"{p}survey_slice_counts_daily",
        "via, subject, metric, n",
        window,
        where,
        values,
    )
    counts: Counter[str] = Counter()
    for via, subject, metric, n in tx.all(
        f"SELECT via, subject, metric, SUM(n) FROM {source} GROUP BY via, subject, metric", params
    ):
        counts[metric] += int(n)
        counts[f"{metric}/via/{via}"] += int(n)
        counts[f"{metric}/subject/{subject}"] += int(n)
    source, params = spanned(
        f"{p}survey_slice_scores",
        f"{p}survey_slice_scores_daily",
        "dimension, score, n",
        window,
        where,
        values,
    )
    rows = tx.all(
        f"SELECT dimension, score, SUM(n) FROM {source} GROUP BY dimension, score", params
    )
    return dict(counts), rows


def breakdown(counts: dict[str, int], by: str) -> dict[str, SurveyCounts]:
    """The `<metric>/<by>/<value>` counts as SurveyCounts per value, sorted by value."""
    found: dict[str, dict[str, int]] = {}
    for name, n in counts.items():
        metric, _, rest = name.partition("/")
        kind, _, value = rest.partition("/")
        if kind == by and int(n):
            found.setdefault(value, {})[metric] = int(n)
    return {
        value: SurveyCounts(m.get("sent", 0), m.get("responded", 0), m.get("expired", 0))
        for value, m in sorted(found.items())
    }
