from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from projections.engine.reading import hours_between
from projections.engine.rollup import DAY, NO_SPAN, Spans, by_day, spanned, spans

MIDNIGHT = int(datetime(2026, 11, 23, tzinfo=UTC).timestamp())
H = 3600


def test_a_window_is_cut_into_leading_hours_whole_days_and_trailing_hours() -> None:
    # 21:00 the day before to 02:00 three days on: 21-23, two whole days, 00-02
    assert spans(MIDNIGHT - 3 * H, MIDNIGHT + 2 * DAY + 2 * H) == Spans(
        (MIDNIGHT - 3 * H, MIDNIGHT - H),
        (MIDNIGHT, MIDNIGHT + DAY),
        (MIDNIGHT + 2 * DAY, MIDNIGHT + 2 * DAY + 2 * H),
    )
    # from a midnight to the last hour of a day: whole days only, both edges empty
    assert spans(MIDNIGHT, MIDNIGHT + DAY - H) == Spans(
        (MIDNIGHT, MIDNIGHT - H), (MIDNIGHT, MIDNIGHT), (MIDNIGHT + DAY, MIDNIGHT + DAY - H)
    )


def test_a_window_without_a_whole_day_is_read_by_the_hour() -> None:
    # 24 hours from 15:00, and a few hours inside one day
    assert spans(MIDNIGHT + 15 * H, MIDNIGHT + DAY + 14 * H) == Spans(
        (MIDNIGHT + 15 * H, MIDNIGHT + DAY + 14 * H), NO_SPAN, NO_SPAN
    )
    assert spans(MIDNIGHT + 2 * H, MIDNIGHT + 5 * H) == Spans(
        (MIDNIGHT + 2 * H, MIDNIGHT + 5 * H), NO_SPAN, NO_SPAN
    )


def test_hourly_counts_add_up_by_day_including_removals() -> None:
    # +2 at 01:00 and -1 at 23:00 of one day, +1 at 00:00 of the next
    counts = Counter(
        {(MIDNIGHT + H, "a"): 2, (MIDNIGHT + 23 * H, "a"): -1, (MIDNIGHT + DAY, "a"): 1}
    )
    assert by_day(counts) == Counter({(MIDNIGHT, "a"): 1, (MIDNIGHT + DAY, "a"): 1})


def test_a_window_inside_one_second_of_an_hour_has_that_hour() -> None:
    # [10:00:00, 10:00:00.5) and [10:00:00.2, 10:00:00.7): the 10:00 bucket, not 10:00 to 09:00
    ten = datetime(2026, 11, 23, 10, tzinfo=UTC)
    for opens, closes in ((0, 500), (200, 700)):
        start, end = ten + timedelta(milliseconds=opens), ten + timedelta(milliseconds=closes)
        assert hours_between(start, end) == (MIDNIGHT + 10 * H, MIDNIGHT + 10 * H)
    # a window ending on the hour still ends with the hour before it
    assert hours_between(ten - timedelta(minutes=30), ten) == (MIDNIGHT + 9 * H,) * 2


def test_no_bucket_at_all_still_makes_a_statement() -> None:
    source, params = spanned("counts", "counts_daily", "n", Spans(NO_SPAN, NO_SPAN, NO_SPAN))
    assert source == "(SELECT n FROM counts WHERE hour BETWEEN ? AND ?) AS spanned"
    assert params == [0, -1]
