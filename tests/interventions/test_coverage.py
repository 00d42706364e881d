"""Coverage and convergence equal an independent count written in SQL (SQLite and PostgreSQL).

The SQL below restates each definition of docs/interventions.md directly over the register
tables; it shares no code with tumbuh.interventions (which works in pandas).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from tests.interventions.builders import DESA_1, DESA_2, PERIOD, World

from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.interventions import service
from tumbuh.interventions.synthetic import record_synthetic

S, E = PERIOD.start, PERIOD.end
WELFARE_CODES = ("jkn_pbi", "pkh", "bansos_pangan")
# The region every SQL count below is restricted to (a one-item list so a test can point it
# at the synthetic province's code; restored after each test by the fixture below).
REGION = ["99"]


def _years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years)


PARAMS: dict[str, Any] = {
    "s": S,
    "e": E,
    # months = floor(days / 30.4375): < 60 months is <= 1826 days, < 24 is <= 730, >= 6 is >= 183.
    "b60": E - dt.timedelta(days=1826),
    "b24": E - dt.timedelta(days=730),
    "b6": E - dt.timedelta(days=183),
    # completed years 12..18 at E.
    "a12": _years_before(E, 12),
    "a19": _years_before(E, 19),
}

PERSONS = (
    "SELECT p.id FROM persons p LEFT JOIN families f ON f.id = p.family_id "
    "WHERE COALESCE(p.desa_code, f.desa_code) LIKE :region AND "
)
OPEN_PREG = (
    "EXISTS (SELECT 1 FROM pregnancies g WHERE g.person_id = p.id "
    "AND g.lmp_date <= :e AND g.due_date > :e)"
)
LAST_ZWFL = (
    "(SELECT m.zwfl FROM measurements m WHERE m.person_id = p.id AND m.measured_on <= :e "
    "ORDER BY m.measured_on DESC LIMIT 1)"
)
LAST_MUAC = (
    "(SELECT s.muac_cm FROM screenings s JOIN pregnancies g ON g.person_id = s.person_id "
    "WHERE s.person_id = p.id AND s.kind = 'hamil' AND s.screened_on <= :e "
    "AND g.lmp_date <= :e AND g.due_date > :e AND s.screened_on >= g.lmp_date "
    "AND s.muac_cm IS NOT NULL ORDER BY s.screened_on DESC LIMIT 1)"
)
PERSON_SQL = {
    "child_0_59": "p.birth_date BETWEEN :b60 AND :e",
    "child_0_23": "p.birth_date BETWEEN :b24 AND :e",
    "child_6_23": "p.birth_date BETWEEN :b24 AND :b6",
    "infant_0_5": "p.birth_date > :b6 AND p.birth_date <= :e",
    "adolescent_girl": "p.sex = 'F' AND p.birth_date <= :a12 AND p.birth_date > :a19",
    "pregnant": OPEN_PREG,
    "pregnant_kek": f"{OPEN_PREG} AND {LAST_MUAC} < 23.5",
    "postpartum": "EXISTS (SELECT 1 FROM pregnancies g WHERE g.person_id = p.id "
    "AND g.due_date BETWEEN :s AND :e)",
    "catin": "EXISTS (SELECT 1 FROM screenings s WHERE s.person_id = p.id "
    "AND s.kind = 'catin' AND s.screened_on BETWEEN :s AND :e)",
    "wasted_child": f"p.birth_date BETWEEN :b60 AND :e AND {LAST_ZWFL} < -2",
    "severely_wasted_child": f"p.birth_date BETWEEN :b60 AND :e AND {LAST_ZWFL} < -3",
}
FAMILIES = "SELECT f.id FROM families f WHERE f.desa_code LIKE :region AND "
BAD_WATER = (
    "f.water_source NOT IN ('piped', 'bottled_refill', 'bored_well', 'protected_well')"
)
BAD_LATRINE = "f.latrine IN ('no_septic', 'none')"
FAMILY_SQL = {
    "family": "1 = 1",
    "family_unimproved_water": BAD_WATER,
    "family_no_latrine": BAD_LATRINE,
    "krs_family": "1 = 1",  # narrowed by _krs (the rule needs the member rows)
    # JKN PBI, PKH and food aid: families eligible by welfare decile (default setting 4).
    "welfare": "f.welfare_decile IS NOT NULL AND f.welfare_decile <= 4",
}
WELFARE_CODES = ("jkn_pbi", "pkh", "bansos_pangan")
GIVEN = (
    "EXISTS (SELECT 1 FROM interventions i WHERE i.{col} = {ref} AND i.kind_code = :code "
    "AND i.status IN ('given', 'verified') AND i.given_on BETWEEN :s AND :e)"
)


def _pattern() -> str:
    """LIKE pattern of the region: a desa code is itself, a larger region its prefix."""
    code = REGION[0]
    return code if code.count(".") == 3 else f"{code}.%"


def _ids(session: Session, sql: str, **extra: Any) -> set[int]:
    params = {**PARAMS, "region": _pattern(), **extra}
    return {int(r[0]) for r in session.execute(text(sql), params)}


def _as_date(value: object) -> dt.date | None:
    """SQLite hands text() dates back as ISO strings."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _krs(session: Session) -> set[int]:
    """BKKBN's base KRS rule written out over SQL rows (ages at the period end): a target
    family (wife 15-49, pregnant, or a child under five) with a risk factor on evidence."""
    region = {"region": _pattern()}
    fams = session.execute(
        text(
            "SELECT id, water_source, latrine, wife_pregnant FROM families "
            "WHERE desa_code LIKE :region"
        ),
        region,
    ).all()
    members: dict[int, list[tuple[str, str, dt.date | None]]] = {}
    for fid, role, sex, birth in session.execute(
        text(
            "SELECT family_id, family_role, sex, birth_date FROM persons "
            "WHERE family_id IS NOT NULL"
        )
    ):
        members.setdefault(int(fid), []).append(
            (str(role or "").strip().lower(), str(sex or "").upper(), _as_date(birth))
        )

    def years(birth: dt.date) -> int:
        return E.year - birth.year - ((E.month, E.day) < (birth.month, birth.day))

    def months(birth: dt.date) -> int:
        return math.floor((E - birth).days / 30.4375)

    out: set[int] = set()
    for fid, water, latrine, pregnant in fams:
        people = members.get(int(fid), [])
        wives = [b for r, _, b in people if r in ("istri", "wife") and b is not None]
        heads = [
            b
            for r, x, b in people
            if r in ("kepala", "head") and x in ("F", "P") and b is not None
        ]
        wife = max(wives) if wives else (max(heads) if heads else None)
        age = None if wife is None else years(wife)
        kids = [b for r, _, b in people if r in ("anak", "child")]
        births = sorted(b for b in kids if b is not None)
        ages = [months(b) for b in births]
        target = (
            (age is not None and 15 <= age <= 49)
            or pregnant is True
            or any(0 <= m < 60 for m in ages)
        )
        gaps = [
            (b - a).days / 30.4375 for a, b in zip(births, births[1:], strict=False)
        ]
        factors = (
            water in ("protected_spring", "unprotected_well", "unprotected_spring",
                      "surface_water", "rainwater", "other"),
            latrine in ("no_septic", "none"),
            age is not None and age < 20,
            age is not None and age > 35,
            bool(gaps) and min(gaps) < 24,
            len(kids) > 3,
        )  # fmt: skip
        if target and any(factors):
            out.add(int(fid))
    return out


def _group(session: Session, group: str) -> set[int]:
    if group == "krs_family":
        return _krs(session)
    if group in FAMILY_SQL:
        return _ids(session, FAMILIES + FAMILY_SQL[group])
    return _ids(session, PERSONS + PERSON_SQL[group])


def _given(session: Session, group: str, code: str) -> set[int]:
    if group in FAMILY_SQL:
        cond = GIVEN.format(col="family_id", ref="f.id")
        got = _ids(session, FAMILIES + "1 = 1 AND " + cond, code=code)
        return got & _group(session, group)
    cond = GIVEN.format(col="person_id", ref="p.id")
    return _ids(session, PERSONS + PERSON_SQL[group] + " AND " + cond, code=code)


def _catalogue(session: Session) -> list[tuple[str, str, list[str]]]:
    rows = session.execute(
        text(
            "SELECT code, target_group, in_package_for FROM intervention_kinds "
            "WHERE active = TRUE ORDER BY id"
        )
    )
    out = []
    for code, group, package in rows:
        groups = json.loads(package) if isinstance(package, str) else package
        out.append((str(code), str(group), list(groups or [])))
    return out


def assert_coverage_equals_sql(session: Session, region: str) -> int:
    """Every indicator's numerator and denominator against the SQL; returns the units counted."""
    result = service.coverage_report(session, region=region, period=PERIOD)
    checked = counted = 0
    for code, group, _ in _catalogue(session):
        group = "welfare" if code in WELFARE_CODES else group
        row = result.row(code)
        den = _group(session, group)
        num = _given(session, group, code)
        assert (row.numerator, row.denominator) == (len(num), len(den)), code
        checked += 1
        counted += len(num)
    assert checked == len(result.rows) >= 19
    return counted


class TestCoverage:
    def test_every_indicator_equals_the_sql_count(
        self, session: Session, world: World
    ) -> None:
        assert assert_coverage_equals_sql(session, "99") > 0

    def test_with_synthetic_records_every_indicator_equals_the_sql_count(
        self, session: Session, world: World
    ) -> None:
        assert record_synthetic(session, period=PERIOD, seed=11, region="99") > 0
        assert_coverage_equals_sql(session, "99")

    def test_the_small_register_has_the_groups_it_was_built_with(
        self, session: Session, world: World
    ) -> None:
        f = world.fams
        assert _group(session, "krs_family") == {f["a"], f["b"], f["d"]}
        result = service.coverage_report(session, region="99", period=PERIOD)
        assert (result.row("anc").numerator, result.row("anc").denominator) == (1, 1)
        assert result.row("ttd_hamil").numerator == 0  # planned does not count
        assert (
            result.row("imunisasi").numerator == 0
        )  # given in 2024, outside the period
        assert result.row("pmt_bumil_kek").coverage_pct == 100.0

    def test_a_desa_counts_only_its_own_units(
        self, session: Session, world: World
    ) -> None:
        one = service.coverage_report(session, region=DESA_1, period=PERIOD)
        two = service.coverage_report(session, region=DESA_2, period=PERIOD)
        whole = service.coverage_report(session, region="99", period=PERIOD)
        for a, b, c in zip(one.rows, two.rows, whole.rows, strict=True):
            assert a.denominator + b.denominator == c.denominator
            assert a.numerator + b.numerator == c.numerator

    def test_gap_to_target_and_the_sector_behind(
        self, session: Session, world: World
    ) -> None:
        result = service.coverage_report(session, region="99", period=PERIOD)
        for r in result.rows:
            if r.target_pct is None or r.coverage_pct is None:
                assert r.gap_pts is None
            else:
                assert r.gap_pts == round(r.target_pct - r.coverage_pct, 2)
        gaps = [s.mean_gap_pts for s in result.sectors if s.mean_gap_pts is not None]
        assert gaps == sorted(gaps, reverse=True)
        assert result.behind == result.sectors[0].sector

    def test_by_desa_adds_up_and_each_desa_equals_its_sql_count(
        self, session: Session, world: World
    ) -> None:
        areas = service.coverage_by_area_report(
            session, region="99", period=PERIOD, level="desa"
        )
        assert set(areas["area_code"]) == {DESA_1, DESA_2}
        whole = service.coverage_report(session, region="99", period=PERIOD)
        for row in whole.rows:
            mine = areas.loc[areas["code"] == row.code]
            assert int(mine["numerator"].sum()) == row.numerator
            assert int(mine["denominator"].sum()) == row.denominator
        try:
            REGION[0] = DESA_2
            for rec in areas.loc[areas["area_code"] == DESA_2].to_dict(
                orient="records"
            ):
                group = next(g for c, g, _ in _catalogue(session) if c == rec["code"])
                assert rec["denominator"] == len(_group(session, group))
                assert rec["numerator"] == len(_given(session, group, rec["code"]))
        finally:
            REGION[0] = "99"

    def test_by_area_needs_a_known_level(self, session: Session, world: World) -> None:
        from tumbuh.errors import InvalidInput

        with pytest.raises(InvalidInput, match="kecamatan"):
            service.coverage_by_area_report(
                session, region="99", period=PERIOD, level="rt"
            )

    def test_unknown_region_is_a_clear_error(
        self, session: Session, world: World
    ) -> None:
        import pytest

        from tumbuh.errors import NotFound

        with pytest.raises(NotFound, match="99.09"):
            service.coverage_report(session, region="99.09", period=PERIOD)


def _required_sql(session: Session) -> set[tuple[int, int | None, str]]:
    """(family, member or None, code) pairs a family at risk must receive."""
    all_krs = _group(session, "krs_family")
    member_family = {
        int(p): int(f)
        for p, f in session.execute(
            text("SELECT id, family_id FROM persons WHERE family_id IS NOT NULL")
        )
    }
    # JKN PBI, PKH and food aid: only families of welfare decile 1-4 (the default setting).
    poor = _ids(session, FAMILIES + "f.welfare_decile <= 4")
    out: set[tuple[int, int | None, str]] = set()
    for code, target, package in _catalogue(session):
        family_kind = target in FAMILY_SQL
        krs = all_krs & poor if code in WELFARE_CODES else all_krs
        for group in package:
            if group in FAMILY_SQL:
                if family_kind:
                    out |= {(f, None, code) for f in _group(session, group) & krs}
                continue
            for pid in _group(session, group):
                fam = member_family.get(pid)
                if fam in krs:
                    out.add((fam, None, code) if family_kind else (fam, pid, code))
    return out


def _received_sql(session: Session, pair: tuple[int, int | None, str]) -> bool:
    fam, pid, code = pair
    col, ref = ("person_id", pid) if pid is not None else ("family_id", fam)
    sql = (
        f"SELECT COUNT(*) FROM interventions WHERE {col} = :ref AND kind_code = :code "
        "AND status IN ('given', 'verified') AND given_on BETWEEN :s AND :e"
    )
    return bool(
        session.execute(text(sql), {**PARAMS, "ref": ref, "code": code}).scalar()
    )


def assert_convergence_equals_sql(session: Session, region: str) -> int:
    """Required and missing items, KRS and full-package counts per desa against the SQL."""
    result = service.convergence_report(session, region=region, period=PERIOD)
    required = _required_sql(session)
    missing = {p for p in required if not _received_sql(session, p)}
    got = {
        (
            int(r["family_id"]),
            None if pd.isna(r["person_id"]) else int(r["person_id"]),
            r["code"],
        )
        for r in result.missing.to_dict(orient="records")
    }
    assert got == missing
    assert len(result.required) == len(required)
    desa_of = dict(
        [tuple(r) for r in session.execute(text("SELECT id, desa_code FROM families"))]
    )
    krs = _group(session, "krs_family")
    assert int(result.by_desa["krs_families"].sum()) == len(krs)
    short = {f for f, _, _ in missing}
    for row in result.by_desa.to_dict(orient="records"):
        fams = {f for f in krs if desa_of[f] == row["desa_code"]}
        assert row["krs_families"] == len(fams)
        assert row["full_package"] == len(fams - short)
    return len(required)


class TestConvergence:
    def test_missing_items_and_full_package_shares_equal_the_sql_count(
        self, session: Session, world: World
    ) -> None:
        assert assert_convergence_equals_sql(session, "99") > 0

    def test_with_synthetic_records_convergence_equals_the_sql_count(
        self, session: Session, world: World
    ) -> None:
        record_synthetic(session, period=PERIOD, seed=11, region="99")
        assert assert_convergence_equals_sql(session, "99") > 0

    def test_a_family_with_everything_has_the_full_package(
        self, session: Session, world: World
    ) -> None:
        before = service.convergence_report(session, region=DESA_1, period=PERIOD)
        assert before.full_package == 0
        a = world.fams["a"]
        for rec in before.missing.to_dict(orient="records"):
            if rec["family_id"] != a:
                continue
            pid = rec["person_id"]
            session.execute(
                text(
                    "INSERT INTO interventions (kind_code, person_id, family_id, "
                    "desa_code, given_on, status, sector, record_key) VALUES "
                    "(:c, :p, :f, :d, :on, 'given', 'x', :k)"
                ),
                {
                    "c": rec["code"],
                    "p": None if pd.isna(pid) else int(pid),
                    "f": a if pd.isna(pid) else None,
                    "d": DESA_1,
                    "on": dt.date(2025, 12, 1),
                    "k": f"t{rec['code']}{pid}",
                },
            )
        after = service.convergence_report(session, region=DESA_1, period=PERIOD)
        assert after.full_package == 1
        assert a not in set(after.missing["family_id"])

    def test_the_gap_list_names_the_office_and_the_member(
        self, session: Session, world: World
    ) -> None:
        result = service.convergence_report(session, region="99", period=PERIOD)
        gaps = result.missing
        kinds = {k.code: k.sector for k in service.list_kinds(session)}
        assert (gaps["sector"] == gaps["code"].map(kinds)).all()
        ttd = gaps.loc[gaps["code"] == "ttd_hamil"]
        assert list(ttd["person_name"]) == ["Ani A"]
        assert list(ttd["no_kk"]) == ["9901019900000001"]

    def test_welfare_aid_is_missing_only_for_families_eligible_by_welfare_decile(
        self, session: Session, world: World
    ) -> None:
        # KRS families a, b, d: a poor (decile 2), b well off (decile 7), d unknown.
        for key, decile in (("a", 2), ("b", 7)):
            session.execute(
                text("UPDATE families SET welfare_decile = :d WHERE id = :f"),
                {"d": decile, "f": world.fams[key]},
            )
        session.flush()
        result = service.convergence_report(session, region="99", period=PERIOD)
        welfare = result.missing.loc[result.missing["code"].isin(WELFARE_CODES)]
        assert set(welfare["family_id"]) == {world.fams["a"]}
        assert assert_convergence_equals_sql(session, "99") > 0
        strict = service.convergence_report(
            session, region="99", period=PERIOD, welfare_max_decile=1
        )
        assert not strict.missing["code"].isin(WELFARE_CODES).any()


@pytest.fixture
def synthetic_province(tmp_path: Path) -> Iterator[Session]:
    """A small synthetic province (tumbuh synth, 300 children, 2025) with synthetic records."""
    from typer.testing import CliRunner

    from tumbuh.cli import app

    url = f"sqlite:///{tmp_path / 'synth.db'}"
    args = ["synth", "--children", "300", "--years", "2025-2025", "--seed", "3"]
    args += ["--out", str(tmp_path / "files"), "--db", url, "--workers", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    REGION[0] = "64"
    try:
        with unit_of_work(engine) as session:
            assert record_synthetic(session, period=PERIOD, seed=1) > 100
            yield session
    finally:
        REGION[0] = "99"
        engine.dispose()


@pytest.mark.slow
def test_on_the_synthetic_province_coverage_and_convergence_equal_the_sql_count(
    synthetic_province: Session,
) -> None:
    session = synthetic_province
    assert assert_coverage_equals_sql(session, "64") > 100
    assert assert_convergence_equals_sql(session, "64") > 100
