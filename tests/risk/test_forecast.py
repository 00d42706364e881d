"""Forecast of new cases per desa / kecamatan / kab/kota next to the current stock."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.register.models import Family, Measurement, Person, Region
from tumbuh.risk.forecast import forecast
from tumbuh.risk.models import RiskScore

D1, D2, D3 = "64.72.03.1005", "64.72.03.1006", "64.71.01.1001"
RISKS = {D1: [0.5, 0.2, 0.1], D2: [0.4], D3: [0.3, 0.3]}


def _populate(
    session: Session, year: int = 2026, created: list[str] | None = None
) -> list[int]:
    for code, level, parent, name in (
        ("64", 1, None, "Kalimantan Timur"),
        ("64.72", 2, "64", "Kota Samarinda"),
        ("64.71", 2, "64", "Kota Balikpapan"),
        ("64.72.03", 3, "64.72", "Samarinda Ulu"),
        ("64.71.01", 3, "64.71", "Balikpapan Selatan"),
        (D1, 4, "64.72.03", "Air Hitam"),
        (D2, 4, "64.72.03", "Dadi Mulya"),
        (D3, 4, "64.71.01", "Damai"),
    ):
        if session.get(Region, code) is None:
            session.add(Region(code=code, name=name, level=level, parent_code=parent))
            if created is not None:
                created.append(code)
    session.flush()
    ids = []
    for desa, risks in RISKS.items():
        for i, risk in enumerate(risks):
            fam = Family(no_kk=f"{desa.replace('.', '')}{i:03d}"[:16], desa_code=desa)
            session.add(fam)
            session.flush()
            ids.append(fam.id)
            session.add(
                RiskScore(
                    family_id=fam.id,
                    year=year,
                    desa_code=desa,
                    risk=risk,
                    krs=i == 0,
                    model_trained_at="2026-01-01",
                )
            )
    # Current stock: in D1 two children measured in the year before (one stunted at the
    # latest measurement, one recovered), a flagged value, and one measured too long ago.
    ref = dt.date(year, 1, 1)
    kids = [
        Person(
            name=f"Anak {i}", name_key=f"anak{i}", family_id=ids[0], family_role="anak"
        )
        for i in range(4)
    ]
    session.add_all(kids)
    session.flush()
    for i, (kid, days_before, z, flag) in enumerate(
        (
            (kids[0], 200, -1.5, False),
            (kids[0], 30, -2.4, False),
            (kids[1], 300, -2.5, False),
            (kids[1], 60, -1.9, False),
            (kids[2], 40, -6.5, True),
            (kids[3], 400, -3.0, False),
        )
    ):
        session.add(
            Measurement(
                person_id=kid.id,
                measured_on=ref - dt.timedelta(days=days_before),
                zlen=z,
                flen=flag,
                age_days=600,
                desa_code=D1,
                fingerprint=f"f{year}{i}",
            )
        )
    session.flush()
    return ids


def test_expected_new_cases_are_the_summed_risks(session: Session) -> None:
    _populate(session)
    t = forecast(session, level="desa").set_index("code")
    assert t.loc[D1, "expected_new_cases"] == pytest.approx(0.8)
    assert t.loc[D2, "expected_new_cases"] == pytest.approx(0.4)
    assert t.loc[D1, "families_scored"] == 3
    assert t.loc[D1, "krs_families"] == 1
    assert t.loc[D1, "name"] == "Air Hitam"
    sd = math.sqrt(0.5 * 0.5 + 0.2 * 0.8 + 0.1 * 0.9)
    assert t.loc[D1, "expected_high"] == pytest.approx(0.8 + 1.96 * sd, abs=0.05)
    assert t.loc[D1, "expected_low"] == 0.0
    assert list(t.index)[0] == D1  # sorted by expected new cases


def test_current_stock_uses_the_latest_valid_measurement_of_the_year(
    session: Session,
) -> None:
    _populate(session)
    t = forecast(session, level="desa").set_index("code")
    assert t.loc[D1, "current_stunted"] == 1
    assert t.loc[D1, "current_measured"] == 2
    assert t.loc[D1, "current_prevalence_pct"] == pytest.approx(50.0)
    assert t.loc[D2, "current_measured"] == 0
    assert math.isnan(t.loc[D2, "current_prevalence_pct"])


def test_levels_add_up(session: Session) -> None:
    _populate(session)
    kec = forecast(session, level="kecamatan").set_index("code")
    kab = forecast(session, level="kabkota").set_index("code")
    assert kec.loc["64.72.03", "expected_new_cases"] == pytest.approx(1.2)
    assert kec.loc["64.72.03", "name"] == "Samarinda Ulu"
    assert kab.loc["64.71", "expected_new_cases"] == pytest.approx(0.6)
    assert kab.loc["64.72", "current_stunted"] == 1
    within = forecast(session, level="desa", within="64.71")
    assert list(within["code"]) == [D3]


def test_bad_level_and_no_scores(session: Session) -> None:
    with pytest.raises(InvalidInput, match="--level"):
        forecast(session, level="province")
    with pytest.raises(NotFound, match="tumbuh risk score"):
        forecast(session, level="desa", year=1999)


def test_cli_forecast_json(engine: Engine) -> None:
    from tumbuh.cli._app import app
    from tumbuh.db.session import unit_of_work

    created: list[str] = []
    with unit_of_work(engine) as s:
        ids = _populate(s, year=2032, created=created)
    try:
        url = engine.url.render_as_string(hide_password=False)
        result = CliRunner().invoke(
            app,
            ["forecast", "--level", "kabkota", "--year", "2032", "--json", "--db", url],
        )
        assert result.exit_code == 0, result.output
        rows = {r["code"]: r for r in json.loads(result.output)}
        assert rows["64.72"]["expected_new_cases"] == pytest.approx(1.2)
        assert rows["64.71"]["families_scored"] == 2
        text = CliRunner().invoke(app, ["forecast", "--year", "2032", "--db", url])
        assert text.exit_code == 0, text.output
        assert "Kota Samarinda" in text.output
    finally:
        with unit_of_work(engine) as s:
            kids = [p for (p,) in s.query(Person.id).filter(Person.family_id.in_(ids))]
            s.execute(delete(Measurement).where(Measurement.person_id.in_(kids)))
            s.execute(delete(Person).where(Person.id.in_(kids)))
            s.execute(delete(RiskScore).where(RiskScore.family_id.in_(ids)))
            s.execute(delete(Family).where(Family.id.in_(ids)))
            s.execute(delete(Region).where(Region.code.in_(created)))
