"""Reporting periods chosen by completeness (tumbuh.reports.periods)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput
from tumbuh.register.models import Measurement, Person, Region
from tumbuh.reports.periods import (
    PeriodChoice,
    ReportingPeriod,
    choose_period,
    default_period,
    measurement_counts,
    resolve_year,
)
from tumbuh.reports.warning import split_period

Y = ReportingPeriod.parse
TODAY = dt.date(2026, 12, 6)
DESA = [f"64.71.01.{2000 + i}" for i in range(10)]


def _yearly(
    years: dict[int, int], *, rows: int = 3
) -> list[tuple[str | None, ReportingPeriod, int]]:
    """Counts where `years[y]` of the ten desa reported in year y."""
    return [(d, Y(str(y)), rows) for y, n in years.items() for d in DESA[:n]]


def _choose(counts: list[tuple[str | None, ReportingPeriod, int]]) -> PeriodChoice:
    return choose_period(counts, kind="year", threshold=0.8, as_of=TODAY)


class TestReportingPeriod:
    @pytest.mark.parametrize(
        ("text", "label", "start", "end"),
        [
            ("2025", "2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
            ("2025-08", "2025-08", dt.date(2025, 8, 1), dt.date(2025, 8, 31)),
            ("2024-2", "2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
            ("2025-12", "2025-12", dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        ],
        ids=["year", "month", "leap-february", "december"],
    )
    def test_parses_years_and_months_with_their_bounds(
        self, text: str, label: str, start: dt.date, end: dt.date
    ) -> None:
        p = Y(text)
        assert (p.label, p.start, p.end) == (label, start, end)

    @pytest.mark.parametrize("text", ["25", "2025-13", "2025-Q3", "abc", ""])
    def test_rejects_what_is_not_a_year_or_month(self, text: str) -> None:
        with pytest.raises(InvalidInput, match="period"):
            Y(text)

    def test_the_comparable_period_of_a_month_is_the_same_month_a_year_earlier(
        self,
    ) -> None:
        assert Y("2025-08").comparable() == Y("2024-08")
        assert Y("2025").comparable() == Y("2024")


class TestChoosePeriod:
    def test_one_row_dated_next_january_does_not_move_the_default(self) -> None:
        counts = _yearly({2024: 10, 2025: 10}) + [(DESA[0], Y("2026"), 1)]
        choice = _choose(counts)
        assert choice.label == "2025"
        assert choice.incomplete_rows == 1

    def test_a_closed_year_where_most_desa_reported_becomes_the_default(
        self,
    ) -> None:
        choice = _choose(_yearly({2023: 10, 2024: 10, 2025: 8}))
        assert choice.label == "2025"

    def test_a_closed_year_below_the_threshold_is_skipped(self) -> None:
        choice = _choose(_yearly({2023: 10, 2024: 10, 2025: 7}))
        assert choice.label == "2024"
        status = {s.period: s for s in choice.statuses}["2025"]
        assert (status.desa_reported, status.reference_desa) == (7, 10)
        assert status.share == pytest.approx(0.7)
        assert not status.complete

    def test_the_threshold_is_a_parameter(self) -> None:
        counts = _yearly({2024: 10, 2025: 7})
        choice = choose_period(counts, kind="year", threshold=0.6, as_of=TODAY)
        assert choice.label == "2025"

    def test_a_year_not_yet_over_is_never_the_default_even_when_complete(
        self,
    ) -> None:
        choice = _choose(_yearly({2025: 10, 2026: 10}))
        assert choice.label == "2025"
        assert choice.incomplete_rows == 30

    def test_rows_after_the_reference_date_are_counted_as_future(self) -> None:
        counts = _yearly({2024: 10, 2025: 10}) + [(DESA[0], Y("2031"), 4)]
        choice = _choose(counts)
        assert choice.label == "2025"
        assert choice.future_rows == 4
        note = choice.note("en")
        assert note is not None
        assert "4 rows dated after 6 December 2026" in note  # a Babel date

    def test_desa_new_in_a_period_do_not_make_up_for_desa_that_stopped(
        self,
    ) -> None:
        # 2025: 5 of 2024's desa and 5 new ones: 50 % of the reference reported again.
        counts = [(d, Y("2024"), 1) for d in DESA[5:]] + [
            (d, Y("2025"), 1) for d in DESA[:5]
        ]
        counts += [(d, Y("2025"), 1) for d in DESA[7:]]
        choice = _choose(counts)
        status = {s.period: s for s in choice.statuses}["2025"]
        assert status.share == pytest.approx(3 / 5)
        assert choice.label == "2024"

    def test_rows_without_a_desa_count_as_rows_but_not_as_reporting(self) -> None:
        counts = _yearly({2024: 10}) + [(None, Y("2025"), 50)]
        choice = _choose(counts)
        assert choice.label == "2024"
        assert choice.incomplete_rows == 50

    def test_months_compare_with_the_same_month_a_year_earlier(self) -> None:
        counts = [(d, Y("2024-08"), 2) for d in DESA] + [
            (d, Y("2024-09"), 1) for d in DESA[:2]
        ]
        counts += [(d, Y("2025-08"), 2) for d in DESA[:9]]
        counts += [(d, Y("2025-09"), 1) for d in DESA[:1]]
        choice = choose_period(counts, kind="month", threshold=0.8, as_of=TODAY)
        by = {s.period: s for s in choice.statuses}
        assert by["2025-08"].reference_period == "2024-08"
        assert by["2025-09"].reference_period == "2024-09"
        assert by["2025-09"].share == pytest.approx(0.5)
        assert choice.label == "2025-08"

    def test_an_empty_register_has_no_default(self) -> None:
        choice = _choose([])
        assert choice.period is None
        assert choice.note() is None

    def test_the_note_names_the_period_and_the_rows_left_out_in_both_languages(
        self,
    ) -> None:
        choice = _choose(_yearly({2024: 10, 2025: 10}) + [(DESA[0], Y("2026"), 1)])
        assert choice.note("id") is not None
        assert "2025" in str(choice.note("id"))
        assert "1 baris bertanggal 2026" in str(choice.note("id"))
        assert "1 row dated 2026" in str(choice.note("en"))
        assert choice.to_dict()["period"] == "2025"

    def test_a_threshold_outside_zero_to_one_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="threshold"):
            choose_period([], kind="year", threshold=1.5, as_of=TODAY)


def _register(session: Session, dates: list[tuple[str, dt.date]]) -> None:
    session.add(Region(code="64", name="KALIMANTAN TIMUR", level=1))
    for code in sorted({d for d, _ in dates}):
        session.add(Region(code=code, name=f"DESA {code}", level=4))
    session.flush()
    for i, (desa, day) in enumerate(dates):
        person = Person(
            name=f"ANAK {i}",
            name_key=f"anak {i}",
            sex="M",
            birth_date=dt.date(2023, 1, 1),
            desa_code=desa,
        )
        session.add(person)
        session.flush()
        session.add(
            Measurement(
                person_id=person.id,
                measured_on=day,
                age_days=(day - dt.date(2023, 1, 1)).days,
                desa_code=desa,
                fingerprint=f"fp{i}",
            )
        )
    session.flush()


class TestFromTheRegister:
    def test_counts_come_from_one_aggregate_per_desa_and_period(
        self, session: Session
    ) -> None:
        _register(
            session,
            [
                ("64.71.01.2001", dt.date(2024, 2, 10)),
                ("64.71.01.2001", dt.date(2024, 8, 10)),
                ("64.71.01.2002", dt.date(2025, 2, 10)),
                ("64.72.01.2001", dt.date(2025, 2, 11)),
            ],
        )
        years = measurement_counts(session, kind="year", region="64.71")
        assert sorted((d, p.label, n) for d, p, n in years) == [
            ("64.71.01.2001", "2024", 2),
            ("64.71.01.2002", "2025", 1),
        ]
        months = measurement_counts(session, kind="month")
        assert sorted((d, p.label, n) for d, p, n in months)[:2] == [
            ("64.71.01.2001", "2024-02", 1),
            ("64.71.01.2001", "2024-08", 1),
        ]

    def test_the_default_year_of_the_register_ignores_next_january(
        self, session: Session
    ) -> None:
        dates = [(d, dt.date(y, 3, 1)) for y in (2024, 2025) for d in DESA[:5]]
        dates.append((DESA[0], dt.date(2026, 1, 15)))
        _register(session, dates)
        choice = default_period(session, as_of=dt.date(2026, 12, 6), threshold=0.8)
        assert choice.label == "2025"
        assert resolve_year(session, None, as_of=dt.date(2026, 12, 6))[0] == 2025
        assert resolve_year(session, 2026)[0] == 2026


class TestNote:
    def test_many_later_periods_are_summed_after_the_first_two(self) -> None:
        counts = [(d, Y("2024-01"), 1) for d in DESA]
        counts += [(DESA[0], Y(f"2025-{m:02d}"), 2) for m in range(1, 6)]
        choice = choose_period(counts, kind="month", threshold=0.8, as_of=TODAY)
        assert choice.label == "2024-01"
        note = str(choice.note("en"))
        assert "2 rows dated 2025-01" in note
        assert "2 rows dated 2025-02" in note
        assert "6 rows dated 2025-03..2025-05 (3 periods incomplete" in note
        assert choice.incomplete_rows == 10


class TestSplitPeriod:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("year", ("year", None)),
            ("month", ("month", None)),
            ("2025", ("year", "2025")),
            ("2025-08", ("month", "2025-08")),
            ("2025-q3", ("quarter", "2025-Q3")),
            ("week", ("week", None)),
        ],
    )
    def test_a_period_option_is_a_frequency_or_one_period(
        self, text: str, expected: tuple[str, str | None]
    ) -> None:
        assert split_period(text) == expected
