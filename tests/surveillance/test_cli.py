"""End to end: `tumbuh import aggregates` then `tumbuh warning`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.config import Settings
from tumbuh.surveillance.models import PublishedFigure, Target

runner = CliRunner()

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

    def test_names_an_unreadable_file_and_exits_1(self, db_url: str) -> None:
        result = runner.invoke(
            app, ["import", "aggregates", "/nonexistent/figures.csv", "--db", db_url]
        )
        assert result.exit_code == 1
        assert "figures.csv" in result.output


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

    def test_province_level_compares_with_the_nation(self, db_url: str) -> None:
        invoke("import", "aggregates", "--db", db_url)
        out = invoke("warning", "--level", "province", "--json", "--db", db_url)
        (kaltim,) = json.loads(out.stdout)
        assert (kaltim["region_code"], kaltim["latest_value"]) == ("64", 22.2)
        assert kaltim["below_national"] is False
        assert kaltim["status"] != "rising"  # 22.9 -> 22.2

    def test_routine_per_desa_says_clearly_it_is_not_available(
        self, db_url: str
    ) -> None:
        result = runner.invoke(
            app, ["warning", "--source", "routine", "--level", "desa", "--db", db_url]
        )
        assert result.exit_code == 1
        assert "not built yet" in result.output
