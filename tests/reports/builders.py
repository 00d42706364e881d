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
    quantity: int | None = None,
) -> None:
    session.add(
        Intervention(
            kind_code=kind,
            quantity=quantity,
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


def sample(session: Session) -> dict[str, int]:
    """Manggar: two measured children, a pregnancy across the new year, three families."""
    add_regions(session)
    pos = posyandu(session, MANGGAR, "Posyandu Melati")
    ids: dict[str, int] = {"posyandu": pos}
    # Family at risk: unprotected well, a child under two, poor (decile 2).
    krs = family(session, MANGGAR, water="unprotected_well", latrine="none", decile=2)
    mother = person(session, MANGGAR, dt.date(1998, 3, 1), family_id=krs, role="istri")
    born_a = dt.date(2024, 1, 15)
    a = person(session, MANGGAR, born_a, sex="M", family_id=krs, role="anak")
    # Family not at risk: piped water, septic tank, wife 26, rich (decile 7).
    ok = family(session, MANGGAR, decile=7)
    person(session, MANGGAR, dt.date(1999, 5, 5), family_id=ok, role="istri")
    born_b = dt.date(2023, 6, 1)
    child_b = person(session, MANGGAR, born_b, family_id=ok, role="anak")
    # A family with no welfare decile and no members (not a target family).
    family(session, MANGGAR, decile=None)
    ids.update(krs=krs, ok=ok, mother=mother, a=a, b=child_b)
    # Samarinda: one child measured in August, in no family.
    born_c = dt.date(2022, 2, 2)
    c = person(session, RAWA, born_c, sex="M")
    measure(session, c, dt.date(2025, 8, 20), born_c, RAWA, zlen=-2.1)
    ids["c"] = c

    # Child A: wasted and stunted in February, recovered by August; in the weighing months.
    measure(
        session,
        a,
        dt.date(2025, 2, 10),
        born_a,
        MANGGAR,
        zlen=-2.5,
        zwfl=-2.5,
        posyandu_id=pos,
    )
    measure(
        session,
        a,
        dt.date(2025, 8, 10),
        born_a,
        MANGGAR,
        zlen=-1.0,
        zwfl=0.0,
        posyandu_id=pos,
    )
    # Child B: stunted in October only (outside the weighing months).
    measure(
        session,
        child_b,
        dt.date(2025, 10, 3),
        born_b,
        MANGGAR,
        zlen=-2.4,
        zwfl=-1.0,
        posyandu_id=pos,
    )
    # An implausible HAZ (flagged) does not count for stunting.
    measure(
        session, child_b, dt.date(2024, 10, 3), born_b, MANGGAR, zlen=-7.0, flen=True
    )

    # Pregnancy from October 2024 (due July 2025): pregnant in both years; KEK in 2025.
    pregnancy(session, mother, dt.date(2024, 10, 1))
    screening(session, mother, dt.date(2025, 1, 20), MANGGAR, muac_cm=22.0)
    give(session, "anc", dt.date(2025, 2, 1), MANGGAR, person_id=mother)
    give(
        session,
        "pmt_bumil_kek",
        dt.date(2025, 3, 1),
        MANGGAR,
        person_id=mother,
        status="planned",
    )
    give(session, "pmt_balita_wasting", dt.date(2025, 9, 1), MANGGAR, person_id=a)
    # JKN PBI for both the poor and the rich family: only the poor one is eligible.
    give(session, "jkn_pbi", dt.date(2025, 4, 1), MANGGAR, family_id=krs)
    give(session, "jkn_pbi", dt.date(2025, 4, 1), MANGGAR, family_id=ok)
    return ids
