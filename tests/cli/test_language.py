"""Every command's output in one language: in English no Indonesian-only word and no raw
code; in Indonesian no English-only word and no raw code (issue 17, the CLI's half of
tests/web/test_language.py; the word lists are tests/language_words.py).

The commands run with the root option `tumbuh --lang en|id` against a small private
database (the web tests' register sample, the published figures, one user), as a user
would type them. Names of people, places and users are data, taken out before the look.
JSON output (codes, field names) and `--help` are not read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.language_words import finished_import_job, offending
from tests.web.conftest import FIGURES_CSV, PASSWORD, add_register_sample
from typer.testing import CliRunner

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.cli import app, error_line
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.errors import TumbuhError
from tumbuh.interventions import service as interventions
from tumbuh.interventions.schemas import ActionCreate
from tumbuh.models import Base
from tumbuh.register.models import Facility, Family, Person, Region
from tumbuh.reports.rakor import meetings
from tumbuh.surveillance import service as surveillance

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ZSCORE_COLUMNS = ("JK", "Tgl Lahir", "Tanggal Pengukuran", "Berat", "Tinggi")
KRS_COLUMNS = (
    "family_id", "wife_age", "pregnant", "children_count", "min_birth_interval_months",
    "has_child_0_23", "has_child_24_59", "water_source", "latrine",
    "modern_contraception", "welfare_decile",
)  # fmt: skip

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli_lang') / 'tumbuh.db'}"
    engine = make_engine(url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        surveillance.import_file(session, path=FIGURES_CSV)
        surveillance.ensure_targets(session)
        add_register_sample(session)
        admin = accounts.create_user(
            session,
            username="cli_admin",
            password=PASSWORD,
            role="province_admin",
            region_code="64",
        )
        session.flush()
        session.add(finished_import_job(admin.id))
        interventions.create_action(
            session,
            ActionCreate(
                meeting_on=dt.date(2025, 1, 10),
                title="Rapat",
                owner="DPPKB",
                region_code="64.71",
                due_on=dt.date(2025, 2, 1),
                indicator_code="pantau_tumbuh",
            ),
            year=2024,
        )
        meeting = meetings.create_meeting(
            session, region="64.71", held_on=dt.date(2025, 2, 3), title="Rakor TPPS"
        )
        session.flush()
        meetings.add_action(
            session, meeting_id=meeting.id, title="Rapat", owner="Dinkes",
            region="64.71", due_on=dt.date(2025, 6, 30), indicator="stunting_routine",
            target=14.0, period="2024",
        )  # fmt: skip
    yield url
    engine.dispose()


@pytest.fixture(scope="module")
def names(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    with unit_of_work(engine) as s:
        found = [
            *s.scalars(select(Person.name)),
            *s.scalars(select(Region.name)),
            *s.scalars(select(Facility.name)),
            *s.scalars(select(Family.address)),
            *s.scalars(select(User.username)),
        ]
    engine.dispose()
    # The files' own names and the column names of the user's table are data too.
    found += [
        *(p.name for p in EXAMPLES.iterdir()), *KRS_COLUMNS, *ZSCORE_COLUMNS,
        # The fields zscore found in the user's file, as it names them (sex='JK', ...).
        "lenhei", "sex", "weight", "measure_date", "birth_date",
    ]  # fmt: skip
    return sorted({str(n) for n in found if n}, key=len, reverse=True)


def krs_input(tmp: Path) -> Path:
    """A family table for `tumbuh krs`: a KRS family, a clean one, a bad water code."""
    path = tmp / "krs.csv"
    path.write_text(
        ",".join(KRS_COLUMNS) + "\n"
        "0001,20,n,3,24,n,n,piped,shared_septic,y,2\n"
        "0002,35,y,4,23,y,n,rainwater,none,n,1\n"
        "0004,28,n,2,30,y,n,xyz,,y,3\n",
        encoding="utf-8",
    )
    return path


def zscore_input(tmp: Path) -> Path:
    """Two children for `tumbuh zscore`: one measured, one with an unusable weight."""
    path = tmp / "z.csv"
    path.write_text(
        ",".join(ZSCORE_COLUMNS) + "\n"
        "L,2023-01-05,2024-01-05,9.8,75\n"
        "P,2023-01-05,2024-01-05,xx,74\n",
        encoding="utf-8",
    )
    return path


def commands(tmp: Path) -> dict[str, list[str]]:
    """Every command a person reads the output of (JSON and help aside), with arguments
    that give it something to say."""
    return {
        "coverage": ["coverage", "--region", "64.71", "--year", "2025", "--by", "desa"],
        "gaps": ["gaps", "--region", "64.71.01.1001", "--year", "2025"],
        "visits": ["visits", "--desa", "64.71.01.1001"],
        "visits without scores": ["visits", "--desa", "64.71.02.1009"],
        "forecast": ["forecast", "--level", "desa", "--year", "2025"],
        "indicators": ["indicators", "--region", "64.71", "--period", "2024"],
        "quality": ["quality", "--level", "desa"],
        "routine-prevalence": ["routine-prevalence", "--level", "desa", "--period", "2024"],
        "routine-incidence": ["routine-incidence", "--level", "desa", "--period", "2024"],
        "routine-vs-survey": ["routine-vs-survey", "--year", "2024"],
        "warning": ["warning", "--year", "2024"],
        "krs": ["krs", str(krs_input(tmp)), "-o", str(tmp / "krs-out.csv")],
        "zscore": ["zscore", str(zscore_input(tmp)), "-o", str(tmp / "z-out.csv")],
        "import families": ["import", "families", str(EXAMPLES / "families.csv")],
        "import screenings": ["import", "screenings", str(EXAMPLES / "screenings.csv")],
        "jobs show": ["jobs", "show", "1"],
        "doctor": ["doctor"],
        "export dhis2": ["export", "dhis2", "--region", "64", "--period", "2024",
                         "-o", str(tmp / "d.json")],
        "export fhir": ["export", "fhir", "--region", "64", "--user", "cli_admin",
                        "-o", str(tmp / "fhir")],
        "export eppgbm": ["export", "eppgbm", "--region", "64", "--user", "cli_admin",
                          "-o", str(tmp / "e.csv")],
        "actions list": ["actions", "list"],
        "interventions catalogue": ["interventions", "catalogue"],
        "interventions outcomes": ["interventions", "outcomes", "--region", "64.71"],
        "jobs list": ["jobs", "list"],
        "users list": ["users", "list"],
        "meeting list": ["meeting", "list"],
        "import aggregates": ["import", "aggregates", str(EXAMPLES / "programme_aggregates.csv")],
        "import interventions": ["import", "interventions", str(EXAMPLES / "interventions_example.csv")],
    }  # fmt: skip


def run(args: list[str], lang: str, db_url: str) -> str:
    """The output (stdout and stderr) of `tumbuh --lang LANG ARGS --db URL`."""
    db = [] if args[0] in ("krs", "zscore") else ["--db", db_url]
    result = CliRunner().invoke(app, ["--lang", lang, *args, *db])
    if isinstance(result.exception, TumbuhError):  # as `main` prints it
        return result.output + error_line(result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception
    )
    return result.output


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_command_speaks_one_language(
    db_url: str, names: list[str], lang: str, tmp_path: Path
) -> None:
    problems: dict[str, list[str]] = {}
    silent: list[str] = []
    outputs: list[str] = []
    for name, args in commands(tmp_path).items():
        out = run(args, lang, db_url)
        if len(out.strip()) < 20:
            silent.append(f"{name}: {out!r}")
        bad = offending(out, lang, names)
        if bad:
            problems[name] = bad
            outputs.append(f"=== {name}\n{out}")
    listing = "\n".join(f"{cmd}: {', '.join(words)}" for cmd, words in problems.items())
    listing += "\n\n" + "\n".join(outputs)
    assert problems == {}, listing
    assert silent == [], "commands with nothing to say"


def test_the_root_option_and_the_setting_choose_the_language(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["routine-vs-survey", "--year", "2024", "--db", db_url]
    english = CliRunner().invoke(app, ["--lang", "en", *args]).output
    indonesian = CliRunner().invoke(app, ["--lang", "id", *args]).output
    assert english != indonesian
    monkeypatch.setenv("TUMBUH_LANGUAGE", "en")
    from tumbuh.config import get_settings

    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(app, args).output == english
    finally:
        get_settings.cache_clear()
    bad = CliRunner().invoke(app, ["--lang", "fr", *args])
    assert bad.exit_code != 0
