"""Commands typed without their options, as a new user would (the brief: "the command
without flags"): a region defaults to the register's province when it holds one; a command
that needs one desa or posyandu says how to choose and shows the likeliest choices; names
are never cut in tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from tests.web.conftest import FIGURES_CSV, add_register_sample
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.cli._app import echo_table
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.register.models import Facility, Family, Measurement, Person
from tumbuh.risk.models import RiskScore
from tumbuh.surveillance import service as surveillance

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)


def _database(
    path: Path, *, one_province: bool, empty: bool = False, figures: bool = True
) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    create_schema(engine, Base.metadata)
    if not empty:
        with unit_of_work(engine) as session:
            if figures:
                surveillance.import_file(session, path=FIGURES_CSV)
            add_register_sample(session)
            if one_province:  # the sample's families outside Kaltim move into it
                for model in (Person, Family, RiskScore):
                    session.execute(
                        update(model)
                        .where(model.desa_code.like("65.%"))
                        .values(desa_code="64.72.01.1001")
                    )
            posyandu = Facility(
                kind="posyandu",
                name="Posyandu Kenanga Panjang Sekali Namanya",
                name_key="kenanga",
                region_code="64.71.01.1001",
            )
            session.add(posyandu)
            session.flush()
            session.execute(
                update(Measurement)
                .where(Measurement.person_id == 602)
                .values(posyandu_id=posyandu.id)
            )
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def kaltim(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database(tmp_path_factory.mktemp("flags") / "t.db", one_province=True)


def run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--lang", "en", *args, "--db", url])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["indicators", "gaps"])
def test_a_region_defaults_to_the_registers_province(kaltim: str, command: str) -> None:
    code, out, err = run(kaltim, command)
    assert code == 0, err
    assert "region: 64 Kalimantan Timur" in err
    given, out_given, _ = run(kaltim, command, "--region", "64")
    assert given == 0
    assert out == out_given


def test_several_provinces_ask_for_one(tmp_path: Path) -> None:
    url = _database(tmp_path / "two.db", one_province=False)
    code, out, err = run(url, "gaps")
    assert code == 2
    assert "several provinces (64, 65)" in err
    assert "--region" in err
    assert out == ""


def test_an_empty_register_says_to_import_first(tmp_path: Path) -> None:
    url = _database(tmp_path / "empty.db", one_province=True, empty=True)
    code, _, err = run(url, "indicators")
    assert code == 2
    assert "the register is empty" in err
    assert "tumbuh import eppgbm" in err


def test_visits_without_a_desa_lists_desa_to_choose_from(kaltim: str) -> None:
    code, out, _ = run(kaltim, "visits")
    assert code == 2
    lines = out.splitlines()
    assert lines[0].startswith("choose a desa with --desa CODE")
    assert "(2025)" in lines[0]
    # the riskiest family's desa (risk 0.31 in Manggar) comes first
    assert lines[3].startswith("64.71.01.1001")
    assert "Manggar" in lines[3]


def test_faltering_without_a_posyandu_lists_posyandu_to_choose_from(
    kaltim: str,
) -> None:
    code, out, _ = run(kaltim, "faltering")
    assert code == 2
    assert out.splitlines()[0].startswith("choose a posyandu with --posyandu ID")
    row = out.splitlines()[3]
    assert "Posyandu Kenanga Panjang Sekali Namanya" in row
    assert "64.71.01.1001" in row
    assert row.split()[0].isdigit()


def test_a_table_never_cuts_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    echo_table(
        [("cli.col.code", -6), ("cli.col.name", -10), ("cli.col.n", 4)],
        [("64.09", "Kabupaten Penajam Paser Utara", 3), ("64.11", "Mahulu", 12)],
    )
    lines = capsys.readouterr().out.splitlines()
    assert "Kabupaten Penajam Paser Utara" in lines[2]
    # the columns stay aligned: the counts end in the same place
    assert len(lines[2]) == len(lines[3])


def test_the_rakor_pack_defaults_to_the_registers_province(
    kaltim: str, tmp_path: Path
) -> None:
    code, out, err = run(kaltim, "report", "rakor", "-o", str(tmp_path))
    assert code == 0, err
    assert "region: 64 Kalimantan Timur" in err
    made = sorted(p.name for p in tmp_path.iterdir())
    assert [p.rsplit("-", 1)[0] for p in made] == ["rakor-64"] * 3
    assert {p.rsplit(".", 1)[1] for p in made} == {"pdf", "pptx", "xlsx"}


def test_routine_vs_survey_defaults_to_the_latest_comparable_year(
    kaltim: str, tmp_path: Path
) -> None:
    code, out, err = run(kaltim, "routine-vs-survey")
    assert code == 0, err
    # the sample measures children in 2024; the packaged figures have a 2024 survey
    assert err.startswith("year: 2024 (the latest with a survey figure and data")
    given, out_given, _ = run(kaltim, "routine-vs-survey", "--year", "2024")
    assert given == 0
    assert out == out_given
    bare = _database(tmp_path / "nofig.db", one_province=True, figures=False)
    code, _, err = run(bare, "routine-vs-survey")
    assert code != 0
    assert "no year has both a survey figure and measurements: give --year" in err


def test_the_dhis2_export_defaults_to_the_province_year_and_file_name(
    kaltim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(kaltim, "export", "dhis2")
    assert code == 0, err
    assert "region: 64 Kalimantan Timur" in err
    period = err.split("period: ", 1)[1].split(" ", 1)[0]
    made = tmp_path / f"dhis2-64-{period}.json"
    assert made.exists()
    assert f"written to dhis2-64-{period}.json" in out
