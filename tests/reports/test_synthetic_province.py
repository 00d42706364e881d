"""Issue 12's check: a synthetic province (2024-2025) plus one measurement dated January
2026, imported the way a team would (`tumbuh synth --db`), on SQLite and PostgreSQL.

The default period stays 2025; routine early warning gives statuses at kab/kota and desa;
coverage is not 0 %; `gaps --json` works; both back-ends give the same coverage.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from tests.conftest import postgres_database, require_postgres
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.cli.synth import import_into_db
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.register.models import Measurement
from tumbuh.reports.periods import default_period
from tumbuh.synth import SynthConfig, SynthResult, synthesize

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)
CHILDREN = 300
AS_OF = dt.date(2026, 12, 6)  # any day in 2026: 2025 is over, 2026 is not


def _add_next_january(url: str) -> None:
    """One measurement dated 15 January 2026 (a copy of the latest row of one child)."""
    eng = make_engine(url)
    try:
        with eng.begin() as conn:
            row = (
                conn.execute(
                    select(Measurement)
                    .where(Measurement.desa_code.is_not(None))
                    .order_by(Measurement.measured_on.desc(), Measurement.id)
                    .limit(1)
                )
                .mappings()
                .one()
            )
            values = {k: v for k, v in row.items() if k != "id"}
            values.update(
                measured_on=dt.date(2026, 1, 15),
                age_days=(row["age_days"] or 0)
                + (dt.date(2026, 1, 15) - row["measured_on"]).days,
                fingerprint="next-january",
            )
            conn.execute(insert(Measurement), [values])
    finally:
        eng.dispose()


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synthesize(
        SynthConfig(children=CHILDREN, first_year=2024, last_year=2025, seed=12),
        tmp_path_factory.mktemp("synth12"),
        "csv",
    )


@pytest.fixture(scope="module")
def province(
    synth: SynthResult, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The province imported into a database of its own on this back-end."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('p12') / 'p.db'}"
        yield _import(synth, url)
    else:
        with postgres_database("tumbuh_p12_") as url:
            yield _import(synth, url)


def _import(synth: SynthResult, url: str) -> str:
    import_into_db(synth, url)
    _add_next_january(url)
    return url


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


class TestSyntheticProvincePlusNextJanuary:
    def test_the_default_period_stays_2025(self, province: str) -> None:
        eng = make_engine(province)
        try:
            with unit_of_work(eng) as session:
                choice = default_period(session, as_of=AS_OF)
        finally:
            eng.dispose()
        assert choice.label == "2025"
        assert choice.incomplete_rows == 1
        assert "1 row dated 2026" in str(choice.note("en"))

    @pytest.mark.parametrize("level", ["province", "kabkota", "kecamatan", "desa"])
    def test_routine_warning_judges_2025_with_statuses_at_every_level(
        self, province: str, level: str
    ) -> None:
        out = invoke(
            "warning",
            "--source",
            "routine",
            "--level",
            level,
            "--json",
            "--db",
            province,
        )
        items = json.loads(out.stdout)
        assert items
        assert {i["year"] for i in items} == {2025}
        judged = [i for i in items if i["status"] != "no_data"]
        # Most regions were measured in both years: a trend status, not "no data".
        assert len(judged) >= len(items) // 2
        assert all(i["period"] == "2025" for i in judged)
        assert not any("2026" in r for i in items for r in i["reasons_en"])

    def test_routine_warning_text_names_the_period_and_the_row_left_out(
        self, province: str
    ) -> None:
        out = invoke("warning", "--source", "routine", "--lang", "en", "--db", province)
        first, note = out.stdout.splitlines()[:2]
        assert first.startswith("routine kab/kota 2025"), first
        assert "1 row dated 2026" in note, note

    def test_published_routine_figures_stay_available_apart_from_the_register(
        self, province: str
    ) -> None:
        register = json.loads(
            invoke("warning", "--source", "routine", "--json", "--db", province).stdout
        )
        published = json.loads(
            invoke(
                "warning", "--source", "published_routine", "--json", "--db", province
            ).stdout
        )
        assert all("n" in i for i in register if i["status"] != "no_data")
        assert published
        assert not any("n" in i for i in published)

    def test_an_explicit_period_is_judged_as_given(self, province: str) -> None:
        out = invoke(
            "warning",
            "--source",
            "routine",
            "--period",
            "2024",
            "--json",
            "--db",
            province,
        )
        assert {i["year"] for i in json.loads(out.stdout)} == {2024}

    def test_coverage_defaults_to_2025_and_is_not_zero(self, province: str) -> None:
        out = json.loads(
            invoke("coverage", "--region", "64", "--json", "--db", province).stdout
        )
        assert out["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
        assert out["period_label"] == "2025"
        rows = {r["code"]: r for r in out["indicators"]}
        growth = rows["pantau_tumbuh"]
        assert growth["denominator"] > 0
        assert growth["coverage_pct"] > 0

    def test_a_meeting_action_gets_a_baseline_from_the_complete_year(
        self, province: str
    ) -> None:
        out = invoke(
            "actions", "add", "Sweeping posyandu", "--owner", "Dinkes",
            "--region", "64", "--due", "2027-06-30", "--indicator", "pantau_tumbuh",
            "--db", province,
        )  # fmt: skip
        assert "baseline -%" not in out.stdout
        listed = json.loads(
            invoke("actions", "list", "--json", "--db", province).stdout
        )
        mine = [a for a in listed if a["title"] == "Sweeping posyandu"]
        assert mine[0]["baseline_pct"] > 0
        assert mine[0]["current_pct"] == mine[0]["baseline_pct"]

    def test_gaps_json_of_a_kabkota_works(self, province: str) -> None:
        out = json.loads(
            invoke(
                "gaps",
                "--region",
                "64.71",
                "--year",
                "2025",
                "--json",
                "--db",
                province,
            ).stdout
        )
        assert out["period_label"] == "2025"
        assert out["gaps"]
        again = invoke(
            "gaps", "--region", "64.71", "--period", "2025", "--json", "--db", province
        )
        assert json.loads(again.stdout)["gaps"] == out["gaps"]
        family_gap = next(g for g in out["gaps"] if g["person_id"] is None)
        assert family_gap["family_id"] is not None


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_coverage_and_gaps(
    synth: SynthResult, tmp_path: Path
) -> None:
    require_postgres()
    sqlite_url = _import(synth, f"sqlite:///{tmp_path / 'same.db'}")
    with postgres_database("tumbuh_same_") as pg_url:
        _import(synth, pg_url)
        outs = {}
        for name, url in (("sqlite", sqlite_url), ("postgres", pg_url)):
            cov = json.loads(
                invoke(
                    "coverage",
                    "--region",
                    "64",
                    "--by",
                    "kabkota",
                    "--json",
                    "--db",
                    url,
                ).stdout
            )
            gaps = json.loads(
                invoke("gaps", "--region", "64.71", "--json", "--db", url).stdout
            )
            warn = json.loads(
                invoke(
                    "warning", "--source", "routine", "--level", "desa", "--json",
                    "--lang", "en", "--db", url,
                ).stdout
            )  # fmt: skip
            outs[name] = (cov["indicators"], cov["by_area"], gaps["gaps"], warn)
    assert outs["sqlite"][0] == outs["postgres"][0]
    assert outs["sqlite"][1] == outs["postgres"][1]
    assert outs["sqlite"][3] == outs["postgres"][3]
    key = ("family_id", "person_id", "code")
    assert sorted(tuple(str(g[k]) for k in key) for g in outs["sqlite"][2]) == sorted(
        tuple(str(g[k]) for k in key) for g in outs["postgres"][2]
    )
