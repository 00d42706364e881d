"""Visit lists: ranking, reasons and actions in Bahasa Indonesia, Excel and PDF, CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.register.models import Family, Person, Region
from tumbuh.risk.models import RiskScore
from tumbuh.risk.visits import (
    COLUMNS,
    VisitList,
    suggested_action,
    visit_list,
    write_pdf,
    write_xlsx,
)

DESA = "64.72.03.1005"
OTHER = "64.72.03.1006"


def _populate(
    session: Session, year: int = 2026, created: list[str] | None = None
) -> dict[str, int]:
    """Regions (those added are appended to ``created``), four families with scores."""
    for code, level, parent, name in (
        ("64", 1, None, "Kalimantan Timur"),
        ("64.72", 2, "64", "Kota Samarinda"),
        ("64.72.03", 3, "64.72", "Samarinda Ulu"),
        (DESA, 4, "64.72.03", "Air Hitam"),
        (OTHER, 4, "64.72.03", "Dadi Mulya"),
    ):
        if session.get(Region, code) is None:
            session.add(Region(code=code, name=name, level=level, parent_code=parent))
            if created is not None:
                created.append(code)
    session.flush()
    ids: dict[str, int] = {}
    for key, desa, risk, keys, reasons in (
        ("low", DESA, 0.05, "water", "Sumber air minum tidak layak"),
        (
            "high",
            DESA,
            0.62,
            "kek;haz",
            "Ibu hamil KEK (LiLA 22,8 cm); Anak dengan TB/U -1,85 SD",
        ),
        (
            "mid",
            DESA,
            0.30,
            "faltering",
            "Berat badan anak tidak naik 2 bulan berturut-turut (2T)",
        ),
        ("elsewhere", OTHER, 0.90, "haz", "Anak dengan TB/U -1,95 SD"),
    ):
        fam = Family(
            no_kk=f"647203010{len(ids):07d}",
            desa_code=desa,
            address="Jl. Pramuka No. 3",
            rt="004",
            rw="002",
        )
        session.add(fam)
        session.flush()
        ids[key] = fam.id
        session.add_all(
            [
                Person(
                    name=f"Kepala {key}",
                    name_key=key,
                    family_id=fam.id,
                    family_role="kepala",
                ),
                Person(
                    name=f"Ibu {key}",
                    name_key=key + "i",
                    family_id=fam.id,
                    family_role="istri",
                ),
            ]
        )
        session.add(
            RiskScore(
                family_id=fam.id,
                year=year,
                desa_code=desa,
                risk=risk,
                krs=keys == "water",
                krs_factors="water" if keys == "water" else "",
                reason_keys=keys,
                reasons_id=reasons,
                reasons_en="",
                model_trained_at="2026-01-01",
            )
        )
    session.flush()
    return ids


def test_families_of_the_desa_ranked_by_risk(session: Session) -> None:
    ids = _populate(session)
    vl = visit_list(session, desa_code=DESA)
    assert vl.year == 2026
    assert vl.desa_name == "Air Hitam"
    assert vl.kecamatan_name == "Samarinda Ulu"
    assert vl.kabkota_name == "Kota Samarinda"
    assert list(vl.rows["rank"]) == [1, 2, 3]
    assert list(vl.rows["risk_pct"]) == [62.0, 30.0, 5.0]
    assert list(vl.rows["head_name"]) == ["Kepala high", "Kepala mid", "Kepala low"]
    assert vl.rows["mother_name"].iloc[0] == "Ibu high"
    assert "RT 004/RW 002" in vl.rows["address"].iloc[0]
    assert list(vl.rows["krs"]) == ["Tidak", "Tidak", "Ya"]
    elsewhere = session.get(Family, ids["elsewhere"])
    assert elsewhere is not None
    assert elsewhere.no_kk not in set(vl.rows["no_kk"])
    assert len(vl.rows) == 3


def test_next_action_follows_the_strongest_reasons(session: Session) -> None:
    _populate(session)
    vl = visit_list(session, desa_code=DESA)
    first = vl.rows["action"].iloc[0]
    assert first.startswith("Kunjungi: Periksa LiLA & Hb ibu hamil")
    assert "PMBA" in first
    assert "2T" in vl.rows["action"].iloc[1] or "rujuk" in vl.rows["action"].iloc[1]
    assert "air minum" in vl.rows["action"].iloc[2]


def test_limit_and_min_risk(session: Session) -> None:
    _populate(session)
    assert len(visit_list(session, desa_code=DESA, limit=2).rows) == 2
    assert len(visit_list(session, desa_code=DESA, min_risk=0.1).rows) == 2


def test_unknown_desa_or_year(session: Session) -> None:
    _populate(session)
    with pytest.raises(NotFound, match="tumbuh risk score"):
        visit_list(session, desa_code="64.72.03.9999")
    with pytest.raises(InvalidInput):
        visit_list(session, desa_code=" ")
    assert visit_list(session, desa_code=DESA, year=2030).rows.empty


def test_suggested_action_defaults() -> None:
    assert suggested_action("").startswith("Kunjungi keluarga")
    assert suggested_action("too_close;too_many").count("KB") == 2


def _list() -> VisitList:
    import pandas as pd

    rows = pd.DataFrame(
        {
            "rank": [1, 2],
            "no_kk": ["6472030100000001", "6472030100000002"],
            "head_name": ["Kepala Satu", "Kepala Dua"],
            "mother_name": ["Ibu Satu", "Ibu Dua"],
            "address": ["Jl. A", "Jl. B"],
            "risk_pct": [62.5, 12.0],
            "krs": ["Ya", "Tidak"],
            "signals": ["", "Ibu hamil KEK (LiLA 22,8 cm)"],
            "reasons": [
                "PB/U turun 0,60 SD (-1,20 → -1,80)",
                "Sumber air minum tidak layak",
            ],
            "action": [suggested_action("haz"), suggested_action("water")],
        }
    )
    return VisitList(
        DESA,
        "Air Hitam",
        "Samarinda Ulu",
        "Kota Samarinda",
        2026,
        dt.date(2026, 1, 5),
        rows,
    )


def test_excel_has_the_header_and_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "visits.xlsx"
    write_xlsx(_list(), path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert "Air Hitam" in str(values[0][0])
    header_row = next(i for i, r in enumerate(values) if r[0] == "No")
    assert list(values[header_row][: len(COLUMNS)]) == list(COLUMNS.values())
    assert values[header_row + 1][1] == "6472030100000001"
    assert values[header_row + 1][5] == 62.5
    assert "→" in str(values[header_row + 1][7])


def test_pdf_is_a4_with_pages(tmp_path: Path) -> None:
    import pandas as pd

    vl = _list()
    many = pd.concat([vl.rows] * 60, ignore_index=True)
    many["rank"] = range(1, len(many) + 1)
    vl.rows = many
    path = tmp_path / "visits.pdf"
    write_pdf(vl, path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    pages = (
        data.count(b"/Type /Page\n")
        + data.count(b"/Type /Page>>")
        + data.count(b"/Type /Page ")
    )
    assert pages >= 2
    assert b"/MediaBox [0 0 841.89 595.28]" in data  # A4 landscape, in points


def test_cli_visits_writes_pdf_and_excel(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tumbuh.cli._app import app
    from tumbuh.db.session import unit_of_work

    # Committed rows in the shared test database: removed again (regions only if added here).
    created: list[str] = []
    with unit_of_work(engine) as s:
        ids = list(_populate(s, year=2031, created=created).values())
    try:
        url = engine.url.render_as_string(hide_password=False)
        pdf, xlsx = tmp_path / "v.pdf", tmp_path / "v.xlsx"
        result = CliRunner().invoke(
            app,
            [
                "visits",
                "--desa",
                DESA,
                "--db",
                url,
                "--pdf",
                str(pdf),
                "--xlsx",
                str(xlsx),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "Air Hitam" in result.output
        assert "62.0 %" in result.output
        assert pdf.read_bytes().startswith(b"%PDF")
        assert xlsx.stat().st_size > 0
    finally:
        with unit_of_work(engine) as s:
            s.execute(delete(RiskScore).where(RiskScore.family_id.in_(ids)))
            s.execute(delete(Person).where(Person.family_id.in_(ids)))
            s.execute(delete(Family).where(Family.id.in_(ids)))
            s.execute(delete(Region).where(Region.code.in_(created)))


def test_actionable_signals_come_before_the_model_reasons(session: Session) -> None:
    ids = _populate(session)
    low = session.scalars(
        select(RiskScore).where(RiskScore.family_id == ids["low"])
    ).one()
    low.signal_keys = "kek"
    low.signals_id = "Ibu hamil KEK (LiLA 22,8 cm)"
    session.flush()
    row = visit_list(session, desa_code=DESA).rows.iloc[2]
    assert row["signals"] == "Ibu hamil KEK (LiLA 22,8 cm)"
    assert row["action"].startswith("Kunjungi: Periksa LiLA & Hb ibu hamil")
    assert "air minum" in row["action"]
