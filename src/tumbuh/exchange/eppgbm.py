"""e-PPGBM upload out: measurements recorded in tumbuh in the layout of an e-PPGBM export,
so a village team's records reach the national system without retyping.

The columns are those tumbuh's own e-PPGBM importer reads (`tumbuh.imports.eppgbm`), plus
``Kode Desa`` (the Kemendagri code, so the desa is never guessed from its name); the file
imports back into tumbuh as the same measurements (tested). NIKs are written only for
roles that may see full NIKs, text cells never start with a formula character, and every
export is recorded in the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import require_personal_data
from tumbuh.register.models import Facility, Family, Measurement, Person, Region
from tumbuh.tabular.guard import neutralise

__all__ = ["HEADER", "EppgbmExport", "export_eppgbm"]

HEADER = (
    "No", "NIK", "Nama", "JK", "Tgl Lahir", "BB Lahir", "TB Lahir", "Nama Ortu",
    "NIK Ortu", "No KK", "Prov", "Kab/Kota", "Kec", "Pukesmas", "Desa/Kel", "Kode Desa",
    "Posyandu", "RT", "RW", "Alamat", "Usia Saat Ukur", "Tanggal Pengukuran", "Berat",
    "Tinggi", "Cara Ukur", "LiLA", "Lingkar Kepala", "BB/U", "ZS BB/U", "TB/U",
    "ZS TB/U", "BB/TB", "ZS BB/TB",
)  # fmt: skip
_MEASURE = {"l": "Terlentang", "h": "Berdiri"}
_SEX = {"M": "L", "F": "P"}


@dataclass(frozen=True)
class EppgbmExport:
    path: Path
    rows: int
    with_nik: bool


def _text(value: Any) -> str:
    """A cell as text that a spreadsheet never runs as a formula (tumbuh.tabular.guard)."""
    if value is None:
        return ""
    return str(neutralise(str(value)))


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _date(value: dt.date | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def _age(days: int | None) -> str:
    if days is None:
        return ""
    months = int(days / 30.4375)
    return f"{months // 12} Tahun - {months % 12} Bulan"


def export_eppgbm(
    session: Session,
    *,
    user: User,
    region: str,
    path: Path,
    since: dt.date | None = None,
) -> EppgbmExport:
    """Write the measurements of `region` (since `since`) to `path` (CSV) for `user`."""
    code = require_personal_data(user, region)
    with_nik = policy(user.role).full_nik
    mother = aliased(Person)
    pusk = aliased(Facility)
    posy = aliased(Facility)
    desa, kec, kab, prov = (aliased(Region) for _ in range(4))
    stmt = (
        select(
            Measurement,
            Person,
            mother.name,
            mother.nik,
            Family.no_kk,
            pusk.name,
            posy.name,
            desa.name,
            kec.name,
            kab.name,
            prov.name,
        )  # fmt: skip
        .join(Person, Person.id == Measurement.person_id)
        .outerjoin(mother, mother.id == Person.mother_id)
        .outerjoin(Family, Family.id == Person.family_id)
        .outerjoin(pusk, pusk.id == Measurement.puskesmas_id)
        .outerjoin(posy, posy.id == Measurement.posyandu_id)
        .outerjoin(desa, desa.code == Measurement.desa_code)
        .outerjoin(kec, kec.code == desa.parent_code)
        .outerjoin(kab, kab.code == kec.parent_code)
        .outerjoin(prov, prov.code == kab.parent_code)
        .where(
            or_(
                Measurement.desa_code == code,
                Measurement.desa_code.like(code + ".%"),
            )
        )
        .order_by(Measurement.desa_code, Person.id, Measurement.measured_on)
    )
    if since is not None:
        stmt = stmt.where(Measurement.measured_on >= since)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for r in session.execute(stmt):
            m, child = r[0], r[1]
            rows += 1
            cells = [
                rows,
                child.nik if with_nik else "",
                child.name,
                _SEX.get(child.sex or "", ""),
                _date(child.birth_date),
                _num(child.birth_weight_kg, 2),
                _num(child.birth_length_cm),
                r[2] or child.mother_name,
                r[3] if with_nik else "",
                r[4] if with_nik else "",
                r[10], r[9], r[8], r[5], r[7], m.desa_code, r[6],
                child.rt, child.rw, child.address,
                _age(m.age_days),
                _date(m.measured_on),
                _num(m.weight_kg, 2),
                _num(m.lenhei_cm),
                _MEASURE.get(m.measure or "", ""),
                _num(m.muac_cm),
                _num(m.headc_cm),
                m.cat_bbu, _num(m.zwei, 2), m.cat_tbu, _num(m.zlen, 2),
                m.cat_bbtb, _num(m.zwfl, 2),
            ]  # fmt: skip
            writer.writerow([_text(c) for c in cells])
    partial.replace(path)
    accounts.record(
        session,
        actor=user,
        action="export",
        object_type="eppgbm",
        region_code=code,
        detail=(
            f"e-PPGBM upload file: {rows} measurements"
            f"{', since ' + since.isoformat() if since else ''}; "
            f"NIK {'included' if with_nik else 'not included'}"
        ),
    )
    session.flush()
    return EppgbmExport(path, rows, with_nik)
