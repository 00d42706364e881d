"""The register look-ups of the interventions package give the same rows on SQLite and
PostgreSQL, whichever form the back-end's statement takes (issue 18: one statement with an
array of ids on PostgreSQL, JSON ids or parts of 5,000 keys on SQLite).

Expected rows are written out for a small register, and the latest measurements are also
checked against an independent SQL statement (a correlated ``ORDER BY ... LIMIT 1``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session
from tests.interventions.builders import DESA_1, DESA_2, World, kk, nik

from tumbuh.interventions import repository as repo
from tumbuh.register.models import Measurement

END = dt.date(2025, 12, 31)


def _measure(
    session: Session,
    person_id: int,
    on: str,
    zwfl: float | None,
    fwfl: bool | None,
) -> None:
    session.add(
        Measurement(
            person_id=person_id,
            measured_on=dt.date.fromisoformat(on),
            zwfl=zwfl,
            fwfl=fwfl,
            fingerprint=f"{person_id}-{on}",
        )
    )


def _measured(session: Session, world: World) -> dict[str, int]:
    """Measurements of three persons of the world (b_child has two of its own, d_child
    one); returns the ids by key."""
    keys = ("a_child", "a_wife", "a_head", "b_child", "c_child")
    ids = {k: world.ids[k] for k in keys}
    # a_child: three, the last one after END (not counted), the one before it the latest.
    _measure(session, ids["a_child"], "2025-03-01", -1.0, False)
    _measure(session, ids["a_child"], "2025-11-30", -2.5, False)
    _measure(session, ids["a_child"], "2026-01-02", 0.5, False)
    # a_wife: one, on END itself, implausible (flag set, no z).
    _measure(session, ids["a_wife"], "2025-12-31", None, True)
    # a_head: only after END: no latest measurement.
    _measure(session, ids["a_head"], "2026-02-01", 1.0, False)
    # c_child: none at all.
    session.flush()
    return ids


def _independent(session: Session, person_ids: list[int]) -> pd.DataFrame:
    rows = []
    for pid in sorted(set(person_ids)):
        row = session.execute(
            text(
                "SELECT m.person_id, m.zwfl, m.fwfl FROM measurements m "
                "WHERE m.person_id = :p AND m.measured_on <= :e "
                "ORDER BY m.measured_on DESC LIMIT 1"
            ),
            {"p": pid, "e": END},
        ).first()
        if row is not None:
            rows.append(tuple(row))
    return pd.DataFrame(rows, columns=["person_id", "zwfl", "fwfl"])


def test_latest_measurement_of_each_person_on_or_before_the_end(
    session: Session, world: World
) -> None:
    ids = _measured(session, world)
    # Unsorted, with a repeat: each person once in the answer, ordered by id.
    asked = [
        ids["c_child"],
        ids["a_wife"],
        ids["b_child"],
        ids["a_child"],
        ids["a_head"],
        ids["a_wife"],
    ]
    got = repo.latest_measurements(session, person_ids=asked, end=END)

    assert list(got.columns) == ["person_id", "zwfl", "fwfl"]
    by_person = {
        int(r.person_id): (r.zwfl, r.fwfl) for r in got.itertuples(index=False)
    }
    assert by_person.keys() == {ids["a_child"], ids["a_wife"], ids["b_child"]}
    assert by_person[ids["a_child"]] == (-2.5, False)
    assert by_person[ids["b_child"]] == (-2.5, False)  # 2025-11-01 of builders.py
    zwfl, fwfl = by_person[ids["a_wife"]]
    assert pd.isna(zwfl)
    assert fwfl is True
    assert list(got["person_id"]) == sorted(by_person)

    expected = _independent(session, asked)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True).astype(object),
        expected.astype(object),
        check_dtype=False,
    )


def test_latest_measurement_moves_with_the_end(session: Session, world: World) -> None:
    ids = _measured(session, world)
    got = repo.latest_measurements(
        session, person_ids=[ids["a_child"]], end=dt.date(2025, 6, 30)
    )
    assert got.to_dict("records") == [
        {"person_id": ids["a_child"], "zwfl": -1.0, "fwfl": False}
    ]


def test_latest_measurements_of_no_one(session: Session, world: World) -> None:
    _measured(session, world)
    got = repo.latest_measurements(session, person_ids=[], end=END)
    assert list(got.columns) == ["person_id", "zwfl", "fwfl"]
    assert got.empty
    unknown = repo.latest_measurements(session, person_ids=[10**9], end=END)
    assert unknown.empty


def test_lookups_by_key_over_more_than_one_part(session: Session, world: World) -> None:
    """6,000 keys (more than SQLite's part of 5,000), the known ones at both ends."""
    absent_niks = [f"9901019800{n:06d}" for n in range(6000)]
    niks = [nik(3), *absent_niks, nik(1)]
    found = repo.person_by_nik(session, niks)
    assert found == {
        nik(3): (world.ids["a_child"], world.fams["a"], DESA_1),
        nik(1): (world.ids["a_head"], world.fams["a"], DESA_1),
    }

    absent_kks = [f"9901019700{n:06d}" for n in range(6000)]
    fams = repo.family_by_kk(session, [kk(3), *absent_kks, kk(1)])
    assert fams == {kk(1): (world.fams["a"], DESA_1), kk(3): (world.fams["c"], DESA_2)}

    keys = sorted(repo.records_by_key(session, [f"k{n}" for n in range(6000)]))
    assert keys == []
    stored = [
        r[0]
        for r in session.execute(
            text("SELECT record_key FROM interventions ORDER BY record_key")
        )
    ]
    assert len(stored) >= 2
    asked = [stored[0], *(f"k{n}" for n in range(6000)), stored[-1]]
    recs = repo.records_by_key(session, asked)
    assert sorted(recs) == sorted({stored[0], stored[-1]})
    assert all(rec.record_key == key for key, rec in recs.items())
