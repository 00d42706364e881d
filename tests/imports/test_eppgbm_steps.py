"""The e-PPGBM chunk's steps one by one: parse, plausibility, identity, places, link,
write and quarantine (the whole import is tests/imports/test_eppgbm.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.imports.builders import EPPGBM_HEADER, NIK_SITI, eppgbm_row, write_csv

from tumbuh.imports.context import Chunk, FileImport
from tumbuh.imports.eppgbm import EppgbmImport
from tumbuh.register.models import Measurement, Person
from tumbuh.register.regions import RegionResolver
from tumbuh.tabular.issues import ImportReport, RowIssue
from tumbuh.tabular.readers import open_table


def first_chunk(
    session: Session, tmp_path: Path, rows: list[dict[str, str]]
) -> tuple[EppgbmImport, Chunk]:
    path = write_csv(tmp_path / "steps.csv", EPPGBM_HEADER, rows)
    ctx = FileImport(
        session=session,
        kind="eppgbm",
        file=path.name,
        report=ImportReport(kind="eppgbm"),
        regions=RegionResolver.from_session(session),
    )
    imp = EppgbmImport(ctx, open_table(path))
    return imp, Chunk(next(iter(imp.source.chunks())), imp.columns)


def codes(per_row: dict[int, list[RowIssue]], i: int) -> list[str]:
    return [item.code for item in per_row.get(i, [])]


def test_parse_reads_dates_and_numbers_and_rejects_a_row_without_sex(
    session: Session, tmp_path: Path
) -> None:
    imp, chunk = first_chunk(
        session,
        tmp_path,
        [
            eppgbm_row(Berat="9,8", LiLA="-14"),
            eppgbm_row(No="2", JK="", **{"Tgl Lahir": "31/02/2023"}),
        ],
    )
    per_row: dict[int, list[RowIssue]] = {}
    child = imp.parse(chunk, per_row)
    assert child.weight[0] == pytest.approx(9.8)
    assert np.isnan(child.muac[0])  # negative: reported and dropped
    assert codes(per_row, 0) == ["negative_value"]
    # 05/07/2023 → 10/10/2024 is 463 days
    assert child.age[0] == 463
    assert chunk.bad.tolist() == [False, True]
    assert codes(per_row, 1) == ["required", "invalid_date"]
    assert np.isnan(child.age[1])


def test_plausibility_repairs_units_and_scores_only_accepted_rows(
    session: Session, tmp_path: Path
) -> None:
    imp, chunk = first_chunk(
        session,
        tmp_path,
        [
            eppgbm_row(Berat="9855", LiLA="140"),
            eppgbm_row(No="2", Berat="", Tinggi=""),
        ],
    )
    per_row: dict[int, list[RowIssue]] = {}
    child = imp.parse(chunk, per_row)
    imp.plausibility(chunk, per_row, child)
    assert child.weight[0] == pytest.approx(9.855)
    assert child.muac[0] == pytest.approx(14.0)
    assert codes(per_row, 0) == ["muac_mm", "weight_grams"]
    assert codes(per_row, 1) == ["no_measurement"]
    assert chunk.bad.tolist() == [False, True]
    assert not np.isnan(child.z.zwei[0])
    assert np.isnan(child.z.zlen[1])
    assert child.src_z["src_zlen"][0] == pytest.approx(-1.2)
    assert child.measure.tolist() == ["l", "l"]


def test_identity_normalises_nik_kk_and_rt_rw_with_warnings(
    session: Session, tmp_path: Path
) -> None:
    imp, chunk = first_chunk(
        session, tmp_path, [eppgbm_row(NIK=NIK_SITI + ".0", RT="O4", RW="IV")]
    )
    per_row: dict[int, list[RowIssue]] = {}
    who = imp.identity(chunk, per_row)
    assert who.niks == [NIK_SITI]
    assert (who.rts, who.rws) == (["004"], ["004"])
    assert "nik_float_suffix" in codes(per_row, 0)
    assert not chunk.bad.any()


def test_places_resolves_the_desa_and_reports_a_place_not_found(
    db: Session, tmp_path: Path
) -> None:
    imp, chunk = first_chunk(
        db,
        tmp_path,
        [
            eppgbm_row(),
            eppgbm_row(No="2", Kec="ENTAH DIMANA"),
        ],
    )
    imp.begin()
    per_row: dict[int, list[RowIssue]] = {}
    where = imp.places(chunk, per_row)
    desa = where.desa_codes[0]
    assert desa is not None
    assert desa.startswith("64.72.")
    assert where.posyandu_ids[0] is not None
    assert codes(per_row, 1) == ["region_not_found"]
    assert per_row[1][0].column == "Kec"
    assert not chunk.bad.any()  # a place not found is a warning


def test_link_write_and_quarantine_store_accepted_rows_and_keep_rejected_ones(
    db: Session, tmp_path: Path
) -> None:
    imp, chunk = first_chunk(
        db,
        tmp_path,
        [eppgbm_row(), eppgbm_row(No="2", Nama="Budi", JK="X")],
    )
    imp.ctx.start()
    imp.begin()
    per_row: dict[int, list[RowIssue]] = {}
    child = imp.parse(chunk, per_row)
    imp.plausibility(chunk, per_row, child)
    who = imp.identity(chunk, per_row)
    where = imp.places(chunk, per_row)
    person_of = imp.link(chunk, per_row, child, who, where)
    assert list(person_of) == [0]  # the rejected row links to no one
    persons = db.scalar(select(func.count()).select_from(Person))
    assert persons == 2  # Siti and her mother
    imp._measurements(chunk, per_row, child, where, person_of)
    imp.quarantine(chunk, per_row, child, who)
    assert db.scalar(select(func.count()).select_from(Measurement)) == 1
    assert imp.ctx.report.inserted == 1
    assert imp.ctx.report.rejected == 1
    assert [q["row"] for q in imp.ctx.quarantine] == [3]
    assert [i["code"] for i in imp.ctx.quarantine[0]["issues"]] == ["invalid_sex"]
