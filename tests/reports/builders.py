"""A small register written row by row, for the indicator engine's tests.

Plain functions (no factories): each adds rows with explicit values and flushes.
"""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from tumbuh.interventions import service as interventions
from tumbuh.interventions.models import Intervention
from tumbuh.register.models import (
    Facility,
    Family,
    Measurement,
    Person,
    Pregnancy,
    Region,
    Screening,
)

REGIONS = [
    ("64", "Kalimantan Timur", 1), ("64.71", "Kota Balikpapan", 2),
    ("64.71.01", "Balikpapan Timur", 3), ("64.71.01.1001", "Manggar", 4),
    ("64.71.01.1002", "Lamaru", 4), ("64.71.02", "Balikpapan Barat", 3),
    ("64.71.02.1001", "Baru Ilir", 4), ("64.72", "Kota Samarinda", 2),
    ("64.72.01", "Palaran", 3), ("64.72.01.1001", "Rawa Makmur", 4),
]  # fmt: skip
MANGGAR, LAMARU, BARU_ILIR, RAWA = (
    "64.71.01.1001",
    "64.71.01.1002",
    "64.71.02.1001",
    "64.72.01.1001",
)

_ids = itertools.count(10_000)


def reset_ids() -> None:
    """Start ids again, so two databases built in one test get the same rows."""
    global _ids
    _ids = itertools.count(10_000)


def add_regions(session: Session) -> None:
    for code, name, level in REGIONS:
        session.add(
            Region(
                code=code,
                name=name,
                level=level,
                parent_code=code.rpartition(".")[0] or None,
            )
        )
    session.flush()
    interventions.ensure_catalogue(session)
    session.flush()


def posyandu(session: Session, desa: str, name: str) -> int:
    fid = next(_ids)
    session.add(
        Facility(
            id=fid, kind="posyandu", name=name, name_key=name.lower(), region_code=desa
        )
    )
    session.flush()
    return fid


def family(
    session: Session,
    desa: str,
    *,
    water: str | None = "piped",
    latrine: str | None = "own_septic",
    decile: int | None = None,
) -> int:
    fid = next(_ids)
    session.add(
        Family(
            id=fid,
            no_kk=f"{fid:016d}",
            desa_code=desa,
            water_source=water,
            latrine=latrine,
            welfare_decile=decile,
        )
    )
    session.flush()
    return fid


def person(
    session: Session,
    desa: str | None,
    born: dt.date,
    *,
    sex: str = "F",
    family_id: int | None = None,
    role: str | None = None,
) -> int:
    pid = next(_ids)
    session.add(
        Person(
            id=pid,
            name=f"P{pid}",
            name_key=f"p{pid}",
            sex=sex,
            birth_date=born,
            family_id=family_id,
            family_role=role,
            desa_code=desa,
        )
    )
    session.flush()
    return pid


def measure(
    session: Session,
    child: int,
    on: dt.date,
    born: dt.date,
    desa: str,
    *,
    zlen: float | None = 0.0,
    zwfl: float | None = 0.0,
    zwei: float | None = 0.0,
    flen: bool = False,
    posyandu_id: int | None = None,
) -> None:
    session.add(
        Measurement(
            person_id=child,
            measured_on=on,
            age_days=(on - born).days,
            zlen=zlen,
            zwfl=zwfl,
            zwei=zwei,
            flen=flen,
            fwfl=False,
            fwei=False,
            desa_code=desa,
            posyandu_id=posyandu_id,
            fingerprint=f"m{next(_ids)}",
        )
    )
    session.flush()


def pregnancy(session: Session, mother: int, lmp: dt.date) -> int:
    gid = next(_ids)
    session.add(
        Pregnancy(
            id=gid,
            person_id=mother,
            lmp_date=lmp,
            due_date=lmp + dt.timedelta(days=280),
        )
    )
    session.flush()
    return gid


def screening(
    session: Session,
    who: int,
    on: dt.date,
    desa: str,
    *,
    muac_cm: float,
    kind: str = "hamil",
) -> None:
    session.add(
        Screening(
            person_id=who,
            kind=kind,
            screened_on=on,
            desa_code=desa,
            muac_cm=muac_cm,
            fingerprint=f"s{next(_ids)}",
        )
    )
    session.flush()


def give(
    session: Session,
    kind: str,
    on: dt.date,
    desa: str,
    *,
    person_id: int | None = None,
    family_id: int | None = None,
    status: str = "given",
) -> None:
    session.add(
        Intervention(
            kind_code=kind,
            person_id=person_id,
            family_id=family_id,
            desa_code=desa,
            given_on=on,
            status=status,
            sector="Dinkes",
            record_key=f"r{next(_ids)}",
        )
    )
    session.flush()
