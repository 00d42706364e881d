"""DHIS2 out and back: dataValueSets JSON and ADX written from the register's figures, read
back as published routine figures with the same values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.errors import InvalidInput
from tumbuh.exchange.periods import parse_period
from tumbuh.surveillance.models import PublishedFigure

runner = CliRunner()


def _invoke(*args: str) -> str:
    result = runner.invoke(app, ["--lang", "en", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def _figures(url: str) -> dict[tuple[str, str, str], tuple[float, int | None]]:
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as s:
            rows = s.scalars(
                select(PublishedFigure).where(PublishedFigure.source == "DHIS2")
            ).all()
            return {
                (r.region_code, r.citation.rsplit(" ", 1)[-1], r.indicator): (
                    r.value_pct,
                    r.n,
                )
                for r in rows
            }
    finally:
        engine.dispose()


def _exported(payload: dict[str, object]) -> dict[tuple[str, str, str], float]:
    out = {}
    for v in payload["dataValues"]:  # type: ignore[attr-defined]
        element = v["dataElement"]
        if element.endswith("_PCT"):
            indicator = element.removeprefix("TUMBUH_").removesuffix("_PCT").lower()
            out[(v["orgUnit"], v["period"], indicator)] = float(v["value"])
    return out


def test_a_province_month_goes_out_as_data_values_and_comes_back_the_same(
    register_url: str, export_dir: Path
) -> None:
    out = export_dir / "kaltim-202508.json"
    said = _invoke(
        "export", "dhis2", "--region", "64", "--period", "202508", "-o", str(out),
        "--db", register_url,
    )  # fmt: skip
    assert "2 kab/kota" in said
    payload = json.loads(out.read_text())
    assert payload["idScheme"] == "CODE"
    assert {v["orgUnit"] for v in payload["dataValues"]} == {"64.72", "64.02"}
    assert {v["period"] for v in payload["dataValues"]} == {"202508"}
    values = _exported(payload)
    # Every third child of 24 is short: 8 of 24 stunted in each kab/kota.
    assert values[("64.72", "202508", "stunting")] == pytest.approx(
        100 * 8 / 24, abs=0.01
    )
    assert ("64.02", "202508", "coverage") in values

    said = _invoke("import", "dhis2", str(out), "--db", register_url)
    assert f"inserted {len(values)}" in said
    back = _figures(register_url)
    assert {k: v[0] for k, v in back.items() if k[1] == "202508"} == values
    assert back[("64.72", "202508", "stunting")][1] == 24

    again = _invoke("import", "dhis2", str(out), "--db", register_url)
    assert "inserted 0, updated 0" in again  # a re-run changes nothing


def test_adx_with_an_instance_mapping_round_trips_through_uids(
    register_url: str, export_dir: Path
) -> None:
    mapping = export_dir / "uids.csv"
    mapping.write_text(
        "type,code,uid\norgUnit,64.72,aBcDeFgHi01\norgUnit,64.02,aBcDeFgHi02\n"
        "dataElement,TUMBUH_STUNTING_PCT,dEstunting1\ndataSet,TUMBUH_GIZI,dSgizi00001\n",
        encoding="utf-8",
    )
    out = export_dir / "kaltim-2025.xml"
    _invoke(
        "export", "dhis2", "--region", "64", "--period", "2025", "-o", str(out),
        "--mapping", str(mapping), "--db", register_url,
    )  # fmt: skip
    xml = out.read_text()
    assert 'orgUnit="aBcDeFgHi01"' in xml
    assert 'period="2025-01-01/P1Y"' in xml
    assert 'dataElement="dEstunting1"' in xml
    assert "64.72" not in xml
    _invoke(
        "import", "dhis2", str(out), "--mapping", str(mapping), "--db", register_url
    )
    back = _figures(register_url)
    # The latest measurement of the year (August) counts: same share as the month.
    assert back[("64.72", "2025", "stunting")][0] == pytest.approx(33.33, abs=0.01)
    assert back[("64.02", "2025", "stunting")][1] == 24


def test_bad_data_values_are_reported_by_row_and_the_good_ones_kept(
    register_url: str, export_dir: Path
) -> None:
    bad = export_dir / "mixed.json"
    bad.write_text(
        json.dumps(
            {
                "dataValues": [
                    {
                        "dataElement": "TUMBUH_WASTING_PCT",
                        "period": "202507",
                        "orgUnit": "64.72",
                        "value": "4.5",
                    },
                    {
                        "dataElement": "TUMBUH_WASTING_PCT",
                        "period": "2025-07",
                        "orgUnit": "64.72",
                        "value": "4.5",
                    },
                    {
                        "dataElement": "XYZ",
                        "period": "202507",
                        "orgUnit": "64.72",
                        "value": "1",
                    },
                    {
                        "dataElement": "TUMBUH_WASTING_PCT",
                        "period": "202507",
                        "orgUnit": "Samarinda",
                        "value": "1",
                    },
                    {
                        "dataElement": "TUMBUH_STUNTING_PCT",
                        "period": "202507",
                        "orgUnit": "64.72",
                        "value": "140",
                    },
                ]
            }  # fmt: skip
        )
    )
    said = _invoke("import", "dhis2", str(bad), "--db", register_url)
    assert "inserted 1" in said
    assert "mixed.json row 2 column period: period '2025-07' is not a DHIS2" in said
    assert "mixed.json row 3 column dataElement: data element" in said
    assert "mixed.json row 4 column orgUnit: org unit" in said
    assert "mixed.json row 5 column value: value '140' is outside 0-100 %" in said
    assert _figures(register_url)[("64.72", "202507", "wasting")] == (4.5, None)


@pytest.mark.parametrize(
    ("text", "dhis2", "adx"),
    [
        ("2025", "2025", "2025-01-01/P1Y"),
        ("202508", "202508", "2025-08-01/P1M"),
        ("2025Q3", "2025Q3", "2025-07-01/P3M"),
        ("2025-07-01/P3M", "2025Q3", "2025-07-01/P3M"),
    ],
)
def test_periods_read_in_dhis2_and_adx_syntax(text: str, dhis2: str, adx: str) -> None:
    p = parse_period(text)
    assert (p.dhis2, p.adx) == (dhis2, adx)


def test_a_region_that_is_not_a_kemendagri_code_is_refused(register_url: str) -> None:
    result = runner.invoke(
        app,
        ["export", "dhis2", "--region", "Kaltim", "--period", "2025", "-o", "x.json",
         "--db", register_url],
    )  # fmt: skip
    assert isinstance(result.exception, InvalidInput)
    assert "Kemendagri" in result.exception.message


@pytest.mark.parametrize("text", ["2025-08", "202513", "25", "2025W3"])
def test_other_period_forms_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="DHIS2 period syntax"):
        parse_period(text)


def test_the_exported_figures_are_the_indicator_engines(register_url: str) -> None:
    """One number everywhere: what DHIS2 receives for a kab/kota is what `tumbuh
    indicators` and the pages show (the engine's routine prevalence and coverage of any
    measurement in the period), value and N alike."""
    from tumbuh.exchange.values import routine_figures
    from tumbuh.reports.engine import compute

    same = {
        "stunting": "stunting_routine",
        "severe_stunting": "severe_stunting_routine",
        "wasting": "wasting_routine",
        "underweight": "underweight_routine",
        "overweight": "overweight_routine",
        "coverage": "measured_coverage_any",
    }
    engine = make_engine(register_url)
    try:
        with unit_of_work(engine) as s:
            figures, _ = routine_figures(s, region="64", period=parse_period("2025"))
            items = compute(s, period="2025", region="64").items
    finally:
        engine.dispose()
    compared = 0
    for f in figures:
        row = items.loc[
            (items["indicator"] == same[f.indicator])
            & (items["region_code"] == f.region_code)
        ].iloc[0]
        assert f.value_pct == pytest.approx(float(row["value"]), abs=0.005), f
        n = row["denominator"] if f.indicator != "coverage" else row["numerator"]
        assert f.n == int(n), f
        compared += 1
    assert compared == 2 * len(same)
    # Severe stunting (HAZ < -3), new in the catalogue, is the routine kernel's figure.
    from tumbuh.surveillance.routine import routine_prevalence

    engine = make_engine(register_url)
    try:
        with unit_of_work(engine) as s:
            kernel = routine_prevalence(
                s, level="kabkota", period="2025", indicators=("severe_stunting",)
            )
    finally:
        engine.dispose()
    severe = {f.region_code: f for f in figures if f.indicator == "severe_stunting"}
    stunting = {f.region_code: f for f in figures if f.indicator == "stunting"}
    assert {str(row["code"]) for row in kernel} == set(severe)
    for row in kernel:
        f = severe[str(row["code"])]
        assert f.value_pct == pytest.approx(float(row["prevalence"]), abs=0.005)
        assert f.n == int(row["n"])
        assert f.value_pct <= stunting[f.region_code].value_pct
