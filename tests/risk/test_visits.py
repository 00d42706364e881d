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
from tumbuh.i18n import Message, dumps, translate
from tumbuh.register.models import Facility, Family, Measurement, Person, Region
from tumbuh.risk.models import RiskScore
from tumbuh.risk.visits import (
    COLUMNS,
    TPK_GROUPINGS,
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
        # Only "low" is at risk by BKKBN's rule at the end of the year before the scored
        # year (a wife of 25 and surface water); the others have no known ages.
        fam = Family(
            no_kk=f"647203010{len(ids):07d}",
            desa_code=desa,
            address="Jl. Pramuka No. 3",
            rt="004",
            rw="002",
            water_source="surface_water" if key == "low" else "piped",
            latrine="own_septic",
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
                    sex="F",
                    desa_code=desa,
                    birth_date=dt.date(year - 26, 1, 1) if key == "low" else None,
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
    assert list(values[header_row][: len(COLUMNS)]) == [
        translate(key, "id") for key in COLUMNS.values()
    ]
    assert values[header_row][2] == "Kepala Keluarga"
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
        assert "62,0 %" in result.output  # Indonesian decimals by default
        assert pdf.read_bytes().startswith(b"%PDF")
        assert xlsx.stat().st_size > 0
        by_rw = CliRunner().invoke(
            app,
            ["visits", "--desa", DESA, "--db", url, "--tpk", "rw", "--xlsx", str(xlsx)],
        )
        assert by_rw.exit_code == 0, by_rw.output
        assert "== TPK RW 002: 3 keluarga" in by_rw.output
        assert openpyxl.load_workbook(xlsx).sheetnames == [
            "Ringkasan TPK",
            "TPK RW 002",
        ]
        # In English: the list, its teams and the workbook's sheets and headings.
        english = CliRunner().invoke(
            app,
            ["--lang", "en", "visits", "--desa", DESA, "--db", url, "--tpk", "rw",
             "--xlsx", str(xlsx)],
        )  # fmt: skip
        assert english.exit_code == 0, english.output
        assert "== TPK of RW 002: 3 families" in english.output
        assert "62.0 %" in english.output
        book = openpyxl.load_workbook(xlsx)
        assert book.sheetnames == ["TPK summary", "TPK of RW 002"]
        cells = {
            c for row in book["TPK of RW 002"].iter_rows(values_only=True) for c in row
        }
        assert {"Head of family", "Next action", "Risk (%)"} <= cells
        assert "Kepala Keluarga" not in cells
        bad = CliRunner().invoke(
            app, ["visits", "--desa", DESA, "--db", url, "--tpk", "x"]
        )
        assert bad.exit_code == 1
        assert isinstance(bad.exception, InvalidInput)
        assert "--tpk" in str(bad.exception)
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


def _weigh(
    session: Session, family_id: int, posyandu: str, when: str, key: str
) -> None:
    """A child of the family weighed at ``posyandu`` (created in DESA if new)."""
    pos = session.scalars(
        select(Facility).where(Facility.kind == "posyandu", Facility.name == posyandu)
    ).first()
    if pos is None:
        pos = Facility(
            kind="posyandu",
            name=posyandu,
            name_key=posyandu.lower(),
            region_code=DESA,
        )
        session.add(pos)
        session.flush()
    child = session.scalars(
        select(Person).where(
            Person.family_id == family_id, Person.family_role == "anak"
        )
    ).first()
    if child is None:
        child = Person(
            name=f"Anak {key}",
            name_key=f"anak{key}",
            family_id=family_id,
            family_role="anak",
        )
        session.add(child)
        session.flush()
    session.add(
        Measurement(
            person_id=child.id,
            measured_on=dt.date.fromisoformat(when),
            posyandu_id=pos.id,
            desa_code=DESA,
            fingerprint=f"{key}{when}",
        )
    )
    session.flush()


class TestPerTpk:
    def test_posyandu_teams_from_the_latest_weighing_and_families_without_one_last(
        self, session: Session
    ) -> None:
        ids = _populate(session)
        _weigh(session, ids["high"], "Posyandu Mawar", "2025-03-01", "h")
        _weigh(session, ids["high"], "Posyandu Melati", "2025-09-01", "h")  # latest
        _weigh(session, ids["mid"], "Mawar", "2025-08-01", "m")
        vl = visit_list(session, desa_code=DESA, tpk="posyandu")
        teams = [(team, list(rows["risk_pct"])) for team, rows in vl.teams()]
        assert teams == [
            ("TPK Posyandu Mawar", [30.0]),
            ("TPK Posyandu Melati", [62.0]),
            ("TPK desa: keluarga tanpa posyandu tercatat", [5.0]),
        ]
        assert all(list(rows["rank"]) == [1] for _, rows in vl.teams())

    def test_rw_teams_rank_within_the_team_and_limit_each_team(
        self, session: Session
    ) -> None:
        ids = _populate(session)
        low = session.get(Family, ids["low"])
        assert low is not None
        low.rw = "005"
        session.flush()
        vl = visit_list(session, desa_code=DESA, tpk="rw")
        got = {team: list(rows["risk_pct"]) for team, rows in vl.teams()}
        assert got == {"TPK RW 002": [62.0, 30.0], "TPK RW 005": [5.0]}
        assert list(vl.rows["rank"]) == [1, 2, 1]
        limited = visit_list(session, desa_code=DESA, tpk="rw", limit=1)
        assert list(limited.rows["risk_pct"]) == [62.0, 5.0]

    def test_the_default_is_one_team_for_the_desa(self, session: Session) -> None:
        _populate(session)
        vl = visit_list(session, desa_code=DESA)
        assert vl.tpk_by == "desa"
        [(team, rows)] = vl.teams()
        assert team == "TPK Desa/Kel. Air Hitam"
        assert len(rows) == 3
        with pytest.raises(InvalidInput, match="--tpk"):
            visit_list(session, desa_code=DESA, tpk="kecamatan")
        assert TPK_GROUPINGS == ("desa", "posyandu", "rw")

    def test_excel_has_a_summary_and_one_sheet_per_team(
        self, session: Session, tmp_path: Path
    ) -> None:
        ids = _populate(session)
        _weigh(session, ids["high"], "Posyandu Melati", "2025-09-01", "h")
        _weigh(session, ids["mid"], "Posyandu Melati", "2025-08-01", "m")
        path = tmp_path / "tpk.xlsx"
        write_xlsx(visit_list(session, desa_code=DESA, tpk="posyandu"), path)
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == [
            "Ringkasan TPK",
            "TPK Posyandu Melati",
            "TPK desa keluarga tanpa posyand",
        ]
        summary = [list(r) for r in book["Ringkasan TPK"].iter_rows(values_only=True)]
        head = next(
            i for i, r in enumerate(summary) if r[0] == "Tim Pendamping Keluarga"
        )
        assert summary[head + 1][:4] == ["TPK Posyandu Melati", 2, 0, 0.9]
        assert summary[head + 2][:4] == [
            "TPK desa: keluarga tanpa posyandu tercatat",
            1,
            1,
            0.1,
        ]
        melati = [
            list(r) for r in book["TPK Posyandu Melati"].iter_rows(values_only=True)
        ]
        assert any(
            "Tim Pendamping Keluarga: TPK Posyandu Melati" == r[0] for r in melati
        )
        first = next(i for i, r in enumerate(melati) if r[0] == "No") + 1
        assert [melati[first][5], melati[first + 1][5]] == [62.0, 30.0]

    def test_pdf_starts_each_team_on_its_own_page(
        self, session: Session, tmp_path: Path
    ) -> None:
        ids = _populate(session)
        _weigh(session, ids["high"], "Posyandu Melati", "2025-09-01", "h")
        _weigh(session, ids["mid"], "Posyandu Mawar", "2025-08-01", "m")
        one, split = tmp_path / "one.pdf", tmp_path / "split.pdf"
        write_pdf(visit_list(session, desa_code=DESA), one)
        write_pdf(visit_list(session, desa_code=DESA, tpk="posyandu"), split)
        assert _pages(one.read_bytes()) == 1
        assert _pages(split.read_bytes()) == 3


def _pages(data: bytes) -> int:
    return (
        data.count(b"/Type /Page\n")
        + data.count(b"/Type /Page>>")
        + data.count(b"/Type /Page ")
    )


def test_the_list_is_said_in_the_reader_language(session: Session) -> None:
    """Reasons stored as messages are said in English; sentences stored by an earlier
    version (Indonesian only) are shown as they are; KRS and actions follow the language."""
    ids = _populate(session)
    low = session.scalars(
        select(RiskScore).where(RiskScore.family_id == ids["low"])
    ).one()
    low.signal_keys = "kek"
    low.signals_id = dumps([Message.of("risk.signal.kek", muac="22.8")])
    session.flush()
    en = visit_list(session, desa_code=DESA, lang="en").rows
    assert en["signals"].iloc[2] == "Pregnant woman with MUAC 22.8 cm (< 23.5)"
    assert list(en["krs"]) == ["No", "No", "Yes"]
    assert (
        en["action"].iloc[2].startswith("Visit: Check the pregnant mother's MUAC & Hb")
    )
    assert "drinking water" in en["action"].iloc[2]
    old = visit_list(session, desa_code=DESA, lang="en").rows["reasons"].iloc[2]
    id_rows = visit_list(session, desa_code=DESA).rows
    assert old == id_rows["reasons"].iloc[2]  # a stored sentence, as it is
    assert id_rows["signals"].iloc[2] == "Ibu hamil KEK (LiLA 22,8 cm)"
