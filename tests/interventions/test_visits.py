"""How visit outcomes change a desa's visit list (interventions.visits.apply_visits)."""

from __future__ import annotations

import datetime as dt

import pytest

from tumbuh.interventions.models import Visit
from tumbuh.interventions.visits import FRESH_DAYS, VisitCreate, apply_visits

TODAY = dt.date(2026, 12, 6)


def _visit(family_id: int, outcome: str, days_ago: int) -> Visit:
    return Visit(
        client_id=f"c{family_id}{outcome}",
        family_id=family_id,
        visited_on=TODAY - dt.timedelta(days=days_ago),
        outcome=outcome,
    )


ROWS = [{"rank": i, "family_id": fid} for i, fid in enumerate([11, 12, 13, 14, 15], 1)]


def test_families_met_or_referred_go_last_in_their_order_and_moved_ones_leave() -> None:
    latest = {
        11: _visit(11, "met", 2),
        12: _visit(12, "not_home", 1),
        13: _visit(13, "moved", 3),
        14: _visit(14, "referred", 0),
    }
    shown, moved = apply_visits(ROWS, latest, today=TODAY)
    assert [r["family_id"] for r in shown] == [12, 15, 11, 14]
    assert [r["visited"] for r in shown] == [False, False, True, True]
    assert shown[0]["last_visit"].outcome == "not_home"  # the attempt is shown
    assert moved == 1


@pytest.mark.parametrize(
    ("days_ago", "visited"), [(FRESH_DAYS, True), (FRESH_DAYS + 1, False)]
)
def test_a_meeting_counts_for_fresh_days_then_the_family_is_due_again(
    days_ago: int, visited: bool
) -> None:
    shown, _ = apply_visits(ROWS[:1], {11: _visit(11, "met", days_ago)}, today=TODAY)
    assert shown[0]["visited"] is visited


def test_the_rows_given_are_not_changed() -> None:
    rows = [dict(r) for r in ROWS]
    apply_visits(rows, {11: _visit(11, "met", 0)}, today=TODAY)
    assert rows == ROWS


def test_a_visit_needs_a_subject_and_a_client_id_of_8_to_36_safe_characters() -> None:
    with pytest.raises(ValueError, match="family_id or a person_id"):
        VisitCreate(client_id="abcdefgh", visited_on=TODAY, outcome="met")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="client_id"):
        VisitCreate(client_id="a<b>", family_id=1, visited_on=TODAY, outcome="met")  # type: ignore[arg-type]
