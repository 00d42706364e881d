"""Meetings as records on SQLite and PostgreSQL: an action's baseline and its movement come
from the indicator engine with one definition; the last meeting's actions, overdue first;
small counts hidden in public packs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from tests.reports import builders as b

from tumbuh.reports import engine
from tumbuh.reports.rakor import meetings

BALIKPAPAN = "64.71"


def _value(session: Session, period: str, region: str, indicator: str) -> float:
    table = engine.compute(session, period=period, region="64")
    items = engine.select(table, region=region)
    return float(items.loc[items["indicator"] == indicator, "value"].iloc[0])


def _record(session: Session) -> None:
    b.sample(session)
    old = meetings.create_meeting(
        session, region="64", held_on=dt.date(2025, 6, 1), title="Rakor Juni"
    )
    meetings.add_action(
        session, meeting_id=old.id, title="Aksi lama", owner="Dinkes",
        region=BALIKPAPAN, due_on=dt.date(2025, 9, 30), indicator="measured",
        period="2024",
    )  # fmt: skip
    last = meetings.create_meeting(
        session, region="64", held_on=dt.date(2025, 11, 18), title="Rakor November"
    )
    meetings.add_action(
        session, meeting_id=last.id, title="Ukur semua balita", owner="Dinkes",
        region=BALIKPAPAN, due_on=dt.date(2026, 12, 31), indicator="measured",
        period="2024", target=10,
    )  # fmt: skip
    meetings.add_action(
        session, meeting_id=last.id, title="Data KRS lengkap", owner="DPPKB",
        region=BALIKPAPAN, due_on=dt.date(2026, 1, 31), indicator="registered",
        period="2024",
    )  # fmt: skip


class TestMovements:
    def test_baseline_and_movement_use_the_engine_with_one_definition(
        self, session: Session
    ) -> None:
        _record(session)
        table = engine.compute(session, period="2025", region="64")
        moves = meetings.movements(
            session, region="64", table=table, before=dt.date(2026, 3, 1)
        )
        assert [m.title for m in moves] == ["Data KRS lengkap", "Ukur semua balita"]
        assert [m.overdue for m in moves] == [True, False]  # overdue first
        measured = moves[1]
        base = _value(session, "2024", BALIKPAPAN, "measured")
        now = _value(session, "2025", BALIKPAPAN, "measured")
        assert measured.baseline == base
        assert measured.baseline_period == "2024"
        assert measured.current == now
        assert measured.period == "2025"
        assert measured.movement == round(now - base, 2)
        assert measured.target == 10

    def test_a_public_pack_hides_a_small_count_and_its_movement(
        self, session: Session
    ) -> None:
        _record(session)
        table = engine.compute(session, period="2025", region="64")
        moves = meetings.movements(
            session, region="64", table=table, before=dt.date(2026, 3, 1), threshold=5
        )
        measured = next(m for m in moves if m.indicator == "measured")
        assert measured.current == "<5"  # two children measured in Balikpapan
        assert measured.movement is None

    def test_a_kabkota_pack_sees_the_provinces_actions_for_it_only(
        self, session: Session
    ) -> None:
        _record(session)
        table = engine.compute(session, period="2025", region="64.72")
        moves = meetings.movements(
            session, region="64.72", table=table, before=dt.date(2026, 3, 1)
        )
        assert moves == []
