"""End to end: `tumbuh import aggregates` then `tumbuh warning`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from tests.language_words import offending
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.register.models import Region
from tumbuh.surveillance import service
from tumbuh.surveillance.models import ProgrammeAggregate, PublishedFigure, Target

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples/programme_aggregates.csv"

# cli/synth.py (another command module) passes is_flag/flag_value to typer.Option, which
# Typer deprecates while building the whole app; that is not what these tests are about.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)


@pytest.fixture
def db_url(engine: Engine, settings: Settings) -> Iterator[str]:
    """The test database URL, with the surveillance tables emptied before and after."""

    def wipe() -> None:
        with engine.begin() as conn:
            conn.execute(delete(PublishedFigure))
            conn.execute(delete(Target))
            conn.execute(delete(ProgrammeAggregate))

    wipe()
    yield settings.database_url
    wipe()


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


class TestImportAggregates:
    def test_imports_then_reimports_without_changes(self, db_url: str) -> None:
        first = json.loads(
            invoke("import", "aggregates", "--json", "--db", db_url).stdout
        )
        assert (first["read"], first["inserted"], first["rejected"]) == (70, 70, 0)
        assert first["packaged_targets_loaded"] == 44
        again = json.loads(
            invoke("import", "aggregates", "--json", "--db", db_url).stdout
        )
        assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 70)
        assert again["packaged_targets_loaded"] == 0

    def test_reports_bad_rows_and_keeps_the_good_ones(
        self, db_url: str, tmp_path: Any
    ) -> None:
        path = tmp_path / "mixed.csv"
        path.write_text(
            "region_code,region_name,year,source,kind,indicator,value_pct,confidence,"
            "citation\n"
            "64.71,Kota Balikpapan,2024,SSGI,survey,stunting,24.6,primary,a\n"
            "64.71,Kota Balikpapan,2024,SSGI,survey,stunting,-3,primary,b\n",
            encoding="utf-8",
        )
        report = json.loads(
            invoke("import", "aggregates", str(path), "--json", "--db", db_url).stdout
        )
        assert (report["inserted"], report["rejected"]) == (1, 1)
        issue = report["issues"][0]
        assert (issue["file"], issue["row"], issue["column"], issue["code"]) == (
            "mixed.csv",
            3,
            "value_pct",
            "out_of_range",
        )

    def test_names_an_unreadable_file_imports_the_others_and_exits_1(
        self, db_url: str
    ) -> None:
        result = runner.invoke(
            app,
            [
                "import",
                "aggregates",
                "/nonexistent/figures.csv",
                str(service.PACKAGED_FIGURES),
                "--json",
                "--db",
                db_url,
            ],
        )
        assert result.exit_code == 1
        report = json.loads(result.stdout)
        assert report["inserted"] == 70
        issue = report["issues"][0]
        assert (issue["file"], issue["code"]) == ("figures.csv", "unreadable_file")
        assert "file not found" in issue["message_en"]

    def test_imports_a_targets_file_with_kind_targets(self, db_url: str) -> None:
        args = ["import", "aggregates", str(service.PACKAGED_TARGETS), "--json"]
        report = json.loads(invoke(*args, "--kind", "targets", "--db", db_url).stdout)
        assert (report["kind"], report["inserted"]) == ("aggregates:targets", 44)
        assert report["packaged_targets_loaded"] == 0
        wrong = runner.invoke(app, [*args, "--kind", "figures", "--db", db_url])
        assert wrong.exit_code == 1
        assert "missing column(s) region_name, year" in wrong.stdout

    def test_a_programme_aggregates_file_is_recognised_and_reimported_unchanged(
        self, db_url: str, tmp_path: Path
    ) -> None:
        args = ("import", "aggregates", str(EXAMPLE), "--json", "--db", db_url)
        first = json.loads(invoke(*args).stdout)
        assert (first["kind"], first["inserted"], first["rejected"]) == (
            "aggregates:programme",
            13,
            0,
        )
        again = json.loads(invoke(*args).stdout)
        assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 13)
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "kode,kode_wilayah,tahun,pembilang,penyebut,sumber\n"
            "kua_marriages,64.72,2025,7,9,KUA\n",
            encoding="utf-8",
        )
        out = invoke("--lang", "en", "import", "aggregates", str(bad), "--db", db_url)
        assert "bad.csv row 2 column pembilang: kua_marriages" in out.stdout
        figures = runner.invoke(
            app,
            ["import", "aggregates", str(EXAMPLE), "--kind", "figures", "--db", db_url],
        )
        assert figures.exit_code == 1


class TestWarning:
    def test_survey_2024_matches_the_published_record(self, db_url: str) -> None:
        invoke("import", "aggregates", "--db", db_url)
        out = invoke(
            "warning", "--source", "survey", "--year", "2024", "--json", "--db", db_url
        )
        items = {i["region_code"]: i for i in json.loads(out.stdout)}
        for key in (
            "region_code",
            "region_name",
            "status",
            "latest_value",
            "below_national",
            "reasons",
            "previous_values",
            "arr",
            "projected_target_year",
            "target",
        ):
            assert all(key in i for i in items.values()), key
        assert all(code.count(".") == 1 for code in items)

        assert items["64.71"]["status"] == "rising"
        assert items["64.09"]["status"] == "rising"
        assert items["64.71"]["region_name"] == "Kota Balikpapan"
        # No kab/kota whose figure fell in 2024 is rising.
        for item in items.values():
            previous = item["previous_values"]
            if item["latest_value"] is not None and previous:
                fell = item["latest_value"] < previous[0]["value_pct"]
                assert not (fell and item["status"] == "rising"), item["region_code"]
        # Kukar is the only kab/kota below the national 19.8 %.
        below = [c for c, i in items.items() if i["below_national"] is True]
        assert below == ["64.02"]
        assert items["64.02"]["latest_value"] == 14.2
        assert any("19,8 %" in r for r in items["64.02"]["reasons"])
        # Paser and Mahakam Ulu have no 2024 figure.
        for code in ("64.01", "64.11"):
            assert items[code]["status"] == "no_data"
            assert items[code]["below_national"] is None
            assert items[code]["reasons"]
        # The reasons cite the figures.
        assert items["64.71"]["reasons"][0] == (
            "SSGI 2024: 24,6 % (SKI 2023: 21,6 %, SSGI 2022: 19,6 %, SSGI 2021: 17,6 %): "
            "naik tiga putaran berturut-turut"
        )
        assert items["64.09"]["reasons_en"][0] == (
            "SSGI 2024: 32.0 % (SKI 2023: 24.6 %, SSGI 2022: 21.8 %): "
            "rose two rounds in a row"
        )
        assert items["64.71"]["target"] == 14.2

    def test_prints_a_readable_table(self, db_url: str) -> None:
        invoke("import", "aggregates", "--db", db_url)
        out = invoke("warning", "--year", "2024", "--lang", "en", "--db", db_url)
        assert "Kota Balikpapan" in out.stdout
        assert "rising" in out.stdout
        assert "rose three rounds in a row" in out.stdout

    @pytest.mark.parametrize("lang", ["en", "id"])
    def test_the_table_speaks_one_language(self, db_url: str, lang: str) -> None:
        """Headers, statuses, yes/no and reasons in the language asked for: no word of the
        other language, no raw code (the language test of issue 17, for the CLI)."""
        invoke("import", "aggregates", "--db", db_url)
        out = invoke("warning", "--year", "2024", "--lang", lang, "--db", db_url).stdout
        engine = make_engine(db_url)
        with unit_of_work(engine) as session:
            names = sorted(session.scalars(select(Region.name)), key=len, reverse=True)
        engine.dispose()
        assert "Kota Balikpapan" in out
        assert offending(out, lang, names) == []

    def test_province_level_compares_with_the_nation(self, db_url: str) -> None:
        invoke("import", "aggregates", "--db", db_url)
        out = invoke("warning", "--level", "province", "--json", "--db", db_url)
        (kaltim,) = json.loads(out.stdout)
        assert (kaltim["region_code"], kaltim["latest_value"]) == ("64", 22.2)
        assert kaltim["below_national"] is False
        assert kaltim["status"] != "rising"  # 22.9 -> 22.2

    def test_routine_per_desa_says_clearly_when_nothing_is_measured(
        self, tmp_path: Any
    ) -> None:
        empty = f"sqlite:///{tmp_path / 'empty.db'}"
        result = runner.invoke(
            app, ["warning", "--source", "routine", "--level", "desa", "--db", empty]
        )
        assert result.exit_code == 1
        assert "no scored measurements" in result.output

    def test_routine_per_desa_prints_shrunken_rates_from_measurements(
        self, tmp_path: Any
    ) -> None:
        import datetime as dt

        from sqlalchemy import insert

        from tumbuh.db.engine import make_engine
        from tumbuh.db.schema import create_schema
        from tumbuh.models import Base
        from tumbuh.register.models import Measurement, Person, Region

        url = f"sqlite:///{tmp_path / 'routine.db'}"
        eng = make_engine(url)
        create_schema(eng, Base.metadata)
        desas = [f"99.01.01.200{d}" for d in range(1, 5)]
        regions = [{"code": "99.01.01", "name": "Kec Uji", "level": 3}] + [
            {"code": c, "name": f"Desa {c[-1]}", "level": 4} for c in desas
        ]
        persons, rows = [], []
        for d, desa in enumerate(desas):
            for year in (2023, 2024):
                for i in range(10):
                    pid = len(persons) + 1
                    persons.append(
                        {"id": pid, "name": "x", "name_key": "x", "fingerprint": "x"}
                    )
                    rows.append(
                        {
                            "person_id": pid,
                            "measured_on": dt.date(year, 3, 1),
                            "age_days": 500,
                            "desa_code": desa,
                            "zlen": -2.4 if i < 2 + d % 2 else 0.1,
                            "flen": False,
                            "fingerprint": "x",
                        }
                    )
        with eng.begin() as conn:
            conn.execute(insert(Region), regions)
            conn.execute(insert(Person), persons)
            conn.execute(insert(Measurement), rows)
        eng.dispose()
        out = invoke(
            "warning", "--source", "routine", "--level", "desa", "--json", "--db", url
        )
        items = json.loads(out.stdout)
        assert [i["region_code"] for i in items] == desas
        assert [i["region_name"] for i in items] == [f"Desa {d}" for d in "1234"]
        assert all(i["status"] != "rising" for i in items)
        assert items[0]["n"] == 10
        assert items[0]["cases"] == 2
        assert items[0]["previous_values"][0]["period"] == "2023"
