"""Routine surveillance service and CLI over a small register (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.errors import InvalidInput
from tumbuh.register.models import Facility, Measurement, Person, Region
from tumbuh.surveillance import routine
from tumbuh.surveillance.models import PublishedFigure

# Province 98 (unused by Kemendagri) and ids from ID0 keep these rows apart from other tests.
ID0 = 8_000_000
DESAS = ["98.01.01.2001", "98.01.01.2002", "98.02.01.2001", "98.02.01.2002"]
KABS = ["98.01", "98.02"]
# Per desa: children measured, of them stunted (all six months), new cases (stunted from May).
MEASURED = [20, 20, 12, 4]
STUNTED = [4, 2, 6, 1]
NEW = [3, 0, 1, 0]
UNMEASURED = 5  # registered children per desa never weighed


def populate(conn: Connection | Session) -> dict[str, int]:
    """Regions, one posyandu per desa, children weighed monthly January-June 2024.

    Stunted children come every other month (low attendance); posyandu of desa 2 typed
    three weights in grams.
    """
    regions = [{"code": "98", "name": "Provinsi Uji", "level": 1, "parent_code": None}]
    for k in KABS:
        regions.append({"code": k, "name": f"Kab {k}", "level": 2, "parent_code": "98"})
        regions.append(
            {"code": f"{k}.01", "name": f"Kec {k}", "level": 3, "parent_code": k}
        )
    facilities, persons, rows = [], [], []
    for d, desa in enumerate(DESAS):
        regions.append(
            {"code": desa, "name": f"Desa {d + 1}", "level": 4, "parent_code": desa[:8]}
        )
        fid = ID0 + d + 1
        facilities.append(
            {
                "id": fid,
                "kind": "posyandu",
                "name": f"Posyandu Mawar {d + 1}",
                "name_key": f"mawar {d + 1}",
                "region_code": desa,
            }
        )
        for i in range(MEASURED[d] + UNMEASURED):
            pid = ID0 + 1000 * (d + 1) + i
            persons.append(
                {
                    "id": pid,
                    "name": f"Anak {d}-{i}",
                    "name_key": f"anak {d}-{i}",
                    "sex": "M" if i % 2 else "F",
                    "birth_date": dt.date(2022, 3, 1),
                    "desa_code": desa,
                    "fingerprint": "x",
                }
            )
            if i >= MEASURED[d]:
                continue
            stunted = i < STUNTED[d]
            new = STUNTED[d] <= i < STUNTED[d] + NEW[d]
            for month in range(1, 7):
                if stunted and month % 2 == 0:
                    continue
                z = -2.6 if stunted or (new and month >= 5) else -1.2
                weight = 11.0 + 0.1 * month
                grams = d == 1 and i < 3 and month == 1
                rows.append(
                    {
                        "person_id": pid,
                        "measured_on": dt.date(2024, month, 10),
                        "age_days": (
                            dt.date(2024, month, 10) - dt.date(2022, 3, 1)
                        ).days,
                        "weight_kg": weight * 1000 if grams else weight,
                        "lenhei_cm": 85.0 + 0.3 * month,
                        "measure": "h",
                        "desa_code": desa,
                        "posyandu_id": fid,
                        "zlen": z,
                        "zwei": None if grams else -1.0,
                        "zwfl": None if grams else -0.5,
                        "flen": False,
                        "fwei": None,
                        "fwfl": None,
                        "fingerprint": "x",
                    }
                )
    conn.execute(insert(Region), regions)
    conn.execute(insert(Facility), facilities)
    conn.execute(insert(Person), persons)
    conn.execute(insert(Measurement), rows)
    return {"rows": len(rows)}


def by_code(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for i in items}


class TestRoutinePrevalence:
    def test_desa_prevalence_coverage_and_names(self, session: Session) -> None:
        populate(session)
        items = routine.routine_prevalence(session, level="desa", period="2024")
        got = by_code(items)
        for d, desa in enumerate(DESAS):
            it = got[desa]
            assert it["name"] == f"Desa {d + 1}"
            assert it["n"] == MEASURED[d]
            # Latest measurement (June): the stunted (seen in May) and the new cases.
            assert it["cases"] == STUNTED[d] + NEW[d]
            assert it["registered"] == MEASURED[d] + UNMEASURED
            assert it["coverage"] == pytest.approx(
                100 * MEASURED[d] / (MEASURED[d] + UNMEASURED), abs=0.01
            )
            assert it["ci_low"] <= it["prevalence"] <= it["ci_high"]

    def test_public_output_suppresses_small_desa(self, session: Session) -> None:
        populate(session)
        items = by_code(
            routine.routine_prevalence(
                session,
                level="desa",
                period="2024",
                public=True,
                small_cell_threshold=5,
            )
        )
        tiny = items[DESAS[3]]
        assert tiny["suppressed"] is True
        assert tiny["suppression"] == "primary"
        assert tiny["prevalence"] is None
        assert tiny["cases"] is None
        # Its only sibling in kecamatan 98.02.01 goes too (else: kecamatan minus sibling).
        assert items[DESAS[2]]["suppressed"] is True
        assert items[DESAS[2]]["suppression"] == "secondary"
        assert items[DESAS[2]]["cases"] is None
        assert items[DESAS[0]]["suppressed"] is False
        assert items[DESAS[0]]["suppression"] is None

    def test_posyandu_and_monthly_periods(self, session: Session) -> None:
        populate(session)
        items = routine.routine_prevalence(
            session, level="posyandu", freq="month", indicators=("stunting", "wasting")
        )
        first = [
            i
            for i in items
            if i["code"] == str(ID0 + 1) and i["indicator"] == "stunting"
        ]
        assert [i["period"] for i in first] == [f"2024-0{m}" for m in range(1, 7)]
        assert first[0]["name"] == "Posyandu Mawar 1"
        # February: only the non-stunted children came.
        assert first[1]["cases"] == 0

    def test_unknown_level_and_bad_period_are_named(self, session: Session) -> None:
        populate(session)
        with pytest.raises(InvalidInput, match="unknown level"):
            routine.routine_prevalence(session, level="rt")
        with pytest.raises(InvalidInput, match="2024-Q3"):
            routine.routine_prevalence(session, period="2024/3")

    def test_empty_register_says_what_to_do(self, session: Session) -> None:
        with pytest.raises(InvalidInput, match="import an e-PPGBM export"):
            routine.routine_prevalence(session, period="1990")


class TestNewCasesAndQuality:
    def test_new_cases_per_kabkota(self, session: Session) -> None:
        populate(session)
        got = by_code(
            routine.routine_new_cases(session, level="kabkota", period="2024")
        )
        assert got["98.01"]["at_risk"] == 40 - 6
        assert got["98.01"]["new_cases"] == 3
        assert got["98.02"]["new_cases"] == 1
        assert got["98.01"]["incidence"] == pytest.approx(100 * 3 / 34, abs=0.01)

    def test_quality_names_the_grams_typed_as_kilograms(self, session: Session) -> None:
        populate(session)
        items = routine.quality_report(session, level="posyandu", period="2024")
        got = {(i["code"], i["period"]): i for i in items}
        bad = got[(str(ID0 + 2), "2024")]
        assert bad["name"] == "Posyandu Mawar 2"
        assert bad["parent_name"] == "Desa 2"
        assert bad["n_grams_as_kg"] == 3
        assert any("gram" in r for r in bad["reasons_en"])
        assert bad["score"] < got[(str(ID0 + 1), "2024")]["score"]

    def test_quality_of_one_period_equals_the_full_report_filtered(
        self, session: Session
    ) -> None:
        """The meeting pack reads both levels for its period only: the same rows, scores
        and reasons as the all-period report (a small period borrows the all-period
        values, so nothing may be left out of the computation)."""
        populate(session)
        # A second, small year: its cells are below the minimum counts and borrow.
        later = [
            {
                "person_id": ID0 + 1000 + i, "measured_on": dt.date(2025, 3, 10),
                "age_days": (dt.date(2025, 3, 10) - dt.date(2022, 3, 1)).days,
                "weight_kg": 13.0, "lenhei_cm": 91.0 + 0.1 * i, "measure": "h",
                "desa_code": DESAS[0], "posyandu_id": ID0 + 1, "zlen": -1.5 - 0.1 * i,
                "zwei": -1.0, "zwfl": -0.4, "flen": False, "fwei": None, "fwfl": None,
                "fingerprint": "x",
            }
            for i in range(6)
        ]  # fmt: skip
        session.execute(insert(Measurement), later)
        for level in ("desa", "posyandu"):
            full = routine.quality_report(session, level=level)
            assert {i["period"] for i in full} == {"2024", "2025", "all"}
            got = routine.quality_reports(
                session, levels=("desa", "posyandu"), period="2025", only_period=True
            )
            expected = [i for i in full if i["period"] == "2025"]
            assert expected
            assert got[level] == expected
            assert routine.quality_reports(session, levels=(level,), period="2024")[
                level
            ] == [i for i in full if i["period"] in {"2024", "all"}]

    def test_quality_per_desa_reports_coverage(self, session: Session) -> None:
        populate(session)
        items = routine.quality_report(session, level="desa", period="2024")
        got = {(i["code"], i["period"]): i for i in items}
        first = got[(DESAS[0], "2024")]
        assert first["registered"] == MEASURED[0] + UNMEASURED
        assert first["coverage"] == pytest.approx(80.0)
        assert got[(DESAS[0], "all")]["coverage"] is None

    def test_faltering_input_has_the_posyandu_children(self, session: Session) -> None:
        populate(session)
        table = routine.faltering_input(session, posyandu_id=ID0 + 1)
        assert table["child_id"].nunique() == MEASURED[0]
        assert set(table.columns) >= {"child_id", "date", "weight_kg", "zwei", "zlen"}
        with pytest.raises(InvalidInput, match="posyandu 1"):
            routine.faltering_input(session, posyandu_id=1)


class TestRoutineVsSurvey:
    def test_survey_next_to_routine_with_a_labelled_adjustment(
        self, session: Session
    ) -> None:
        populate(session)
        session.add(
            PublishedFigure(
                natural_key="test-98.01-2024",
                region_code="98.01",
                region_name="Kab 98.01",
                year=2024,
                source="SSGI",
                kind="survey",
                indicator="stunting",
                value_pct=31.5,
                confidence="primary",
            )
        )
        session.flush()
        got = by_code(routine.routine_vs_survey(session, year=2024))
        kab = got["98.01"]
        assert kab["survey_pct"] == 31.5
        assert kab["survey_source"] == "SSGI"
        assert kab["routine_pct"] == pytest.approx(100 * 9 / 40, abs=0.01)
        assert kab["coverage_pct"] == pytest.approx(100 * 40 / 50, abs=0.01)
        # Low attenders (the stunted, every other month) are more often stunted, so the
        # adjusted estimate is above the raw routine figure.
        assert kab["adjusted_pct"] > kab["routine_pct"]
        assert "lowest attendance quintile" in kab["adjustment"]
        assert got["98.02"]["survey_pct"] is None


runner = CliRunner()
pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    from tumbuh.db.engine import make_engine
    from tumbuh.db.schema import create_schema
    from tumbuh.models import Base

    url = f"sqlite:///{tmp_path / 'routine.db'}"
    eng = make_engine(url)
    create_schema(eng, Base.metadata)
    with eng.begin() as conn:
        populate(conn)
    eng.dispose()
    return url


class TestCli:
    def test_quality_json_lists_scores_bands_and_reasons(self, db_file: str) -> None:
        result = runner.invoke(
            app,
            [
                "quality",
                "--level",
                "desa",
                "--period",
                "2024",
                "--json",
                "--db",
                db_file,
            ],
        )
        assert result.exit_code == 0, result.output
        items = json.loads(result.stdout)
        codes = {i["code"] for i in items}
        assert codes == set(DESAS)
        one = items[0]
        for key in (
            "name",
            "n_rows",
            "score",
            "band",
            "band_id",
            "criteria",
            "reasons_en",
        ):
            assert key in one

    def test_quality_shows_desa_with_too_few_rows_as_insufficient(
        self, db_file: str
    ) -> None:
        # March 2024 alone: desa 4 has 4 children, far below the 20 rows a score needs.
        args = ["quality", "--level", "desa", "--period", "2024-03", "--db", db_file]
        data = runner.invoke(app, [*args, "--json"])
        assert data.exit_code == 0, data.output
        got = {(i["code"], i["period"]): i for i in json.loads(data.stdout)}
        small = got[(DESAS[3], "2024-03")]
        assert small["band"] == "insufficient"
        assert small["score"] is None
        assert "minimal 20" in small["reasons_id"][0]
        assert got[(DESAS[0], "2024-03")]["band"] != "insufficient"
        table = runner.invoke(app, args)
        assert table.exit_code == 0, table.output
        line = next(
            x
            for x in table.stdout.splitlines()
            if x.startswith(DESAS[3]) and "2024-03" in x
        )
        assert line.split()[-1] in {"dinilai", "data"}  # the band label ends the line
        assert "Terlalu sedikit data" in line or "Insufficient data" in line
        # Scores first, the unscored last.
        rows = [x for x in table.stdout.splitlines() if x[:2] == "98"]
        assert rows[-1] == line

    def test_quality_table_and_bad_level(self, db_file: str) -> None:
        result = runner.invoke(app, ["quality", "--worst", "2", "--db", db_file])
        assert result.exit_code == 0, result.output
        assert "Posyandu Mawar 2" in result.stdout
        bad = runner.invoke(app, ["quality", "--level", "rt", "--db", db_file])
        assert bad.exit_code == 1
        assert "kabkota, kecamatan, desa, posyandu" in bad.output
        rolled = runner.invoke(
            app, ["quality", "--level", "kecamatan", "--json", "--db", db_file]
        )
        assert rolled.exit_code == 0, rolled.output
        items = json.loads(rolled.stdout)
        assert items
        assert all(len(i["code"]) == 8 for i in items)
        assert all(i["name"] != i["code"] for i in items)

    def test_routine_prevalence_public_json_and_xlsx(
        self, db_file: str, tmp_path: Path
    ) -> None:
        out = tmp_path / "prev.xlsx"
        result = runner.invoke(
            app,
            [
                "routine-prevalence",
                "--level",
                "desa",
                "--period",
                "2024",
                "--public",
                "--json",
                "--xlsx",
                str(out),
                "--db",
                db_file,
            ],
        )
        assert result.exit_code == 0, result.output
        items = by_code(json.loads(result.stdout))
        assert items[DESAS[3]]["suppressed"] is True
        assert items[DESAS[0]]["prevalence"] == pytest.approx(100 * 7 / 20)
        assert out.stat().st_size > 0

    def test_routine_prevalence_table(self, db_file: str) -> None:
        result = runner.invoke(
            app, ["routine-prevalence", "--level", "kabkota", "--db", db_file]
        )
        assert result.exit_code == 0, result.output
        assert "Kab 98.01" in result.stdout
        assert "stunting" in result.stdout

    def test_incidence_vs_survey_and_faltering(self, db_file: str) -> None:
        inc = runner.invoke(app, ["routine-incidence", "--json", "--db", db_file])
        assert inc.exit_code == 0, inc.output
        assert by_code(json.loads(inc.stdout))["98.01"]["new_cases"] == 3
        vs = runner.invoke(
            app,
            ["--lang", "en", "routine-vs-survey", "--year", "2024", "--db", db_file],
        )
        assert vs.exit_code == 0, vs.output
        assert "lowest attendance quintile" in vs.stdout
        fal = runner.invoke(
            app, ["faltering", "--posyandu", str(ID0 + 1), "--json", "--db", db_file]
        )
        assert fal.exit_code == 0, fal.output
        rows = json.loads(fal.stdout)
        # June (the latest month): the 4 stunted children skip even months; the other 16
        # gained 100 g in May and in June, under the KBM of 200 g from 11 months: 2T. The
        # 3 new cases also fell from HAZ -1.2 to -2.6 since January.
        assert len(rows) == MEASURED[0] - STUNTED[0]
        assert {r["nt"] for r in rows} == {"2T"}
        assert sum(r["haz_falling"] for r in rows) == NEW[0]
        assert all(r["date"] == "2024-06-10" for r in rows)
