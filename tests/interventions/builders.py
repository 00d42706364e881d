"""A small register (test province 99) with intervention records (helpers for the tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tumbuh.interventions import service
from tumbuh.interventions.groups import Period
from tumbuh.interventions.models import Intervention
from tumbuh.register.models import (
    Family,
    Measurement,
    Person,
    Pregnancy,
    Region,
    Screening,
)

# Province 99 does not exist in the Kemendagri master, so no other test's rows fall in it.
PROV, KAB, KEC = "99", "99.01", "99.01.01"
DESA_1, DESA_2 = "99.01.01.2001", "99.01.01.2002"
PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def nik(n: int) -> str:
    return f"99010100000{n:05d}"


def kk(n: int) -> str:
    return f"99010199000{n:05d}"


@dataclass
class World:
    ids: dict[str, int]  # person key -> id
    fams: dict[str, int]  # family key -> id


def _region(
    session: Session, code: str, name: str, level: int, parent: str | None
) -> None:
    if session.get(Region, code) is None:
        session.add(Region(code=code, name=name, level=level, parent_code=parent))


def _measure(session: Session, p: Person, on: dt.date, zwfl: float) -> None:
    session.add(
        Measurement(
            person_id=p.id, measured_on=on, zwfl=zwfl, fwfl=False, fingerprint="x"
        )
    )


def build_register(session: Session) -> World:
    """Five families in two desa; see the comments for who is in which group at 2025-12-31."""
    _region(session, PROV, "PROVINSI UJI", 1, None)
    _region(session, KAB, "KAB UJI", 2, PROV)
    _region(session, KEC, "KEC UJI", 3, KAB)
    _region(session, DESA_1, "DESA SATU", 4, KEC)
    _region(session, DESA_2, "DESA DUA", 4, KEC)
    session.flush()

    def family(n: int, desa: str, water: str, latrine: str) -> Family:
        f = Family(no_kk=kk(n), desa_code=desa, water_source=water, latrine=latrine)
        session.add(f)
        session.flush()
        return f

    ids: dict[str, int] = {}

    def person(
        key: str, n: int, name: str, sex: str, birth: dt.date, fam: Family, role: str
    ) -> Person:
        """Person `n` of family `fam`, flushed; its id is kept in `ids` under `key`."""
        p = Person(
            nik=nik(n),
            name=name,
            name_key=name.lower(),
            sex=sex,
            birth_date=birth,
            family_id=fam.id,
            family_role=role,
            desa_code=fam.desa_code,
        )
        session.add(p)
        session.flush()
        ids[key] = p.id
        return p

    # A: KRS (unprotected water). Pregnant wife with KEK, a child of 18 months.
    fa = family(1, DESA_1, "surface_water", "own_septic")
    person("a_head", 1, "Budi A", "M", dt.date(1994, 2, 1), fa, "kepala")
    wa = person("a_wife", 2, "Ani A", "F", dt.date(1997, 3, 1), fa, "istri")
    person("a_child", 3, "Adi A", "M", dt.date(2024, 6, 15), fa, "anak")
    preg = Pregnancy(
        person_id=wa.id, lmp_date=dt.date(2025, 8, 1), due_date=dt.date(2026, 5, 8)
    )
    session.add(preg)
    session.add(
        Screening(
            person_id=wa.id,
            kind="hamil",
            screened_on=dt.date(2025, 9, 1),
            muac_cm=22.0,
            desa_code=DESA_1,
            fingerprint="a",
        )
    )
    # B: KRS (no latrine). Infant of 3 months; a wasted child of 47 months.
    fb = family(2, DESA_1, "piped", "none")
    person("b_head", 4, "Badu B", "M", dt.date(1990, 1, 1), fb, "kepala")
    person("b_wife", 5, "Bina B", "F", dt.date(1995, 5, 5), fb, "istri")
    person("b_infant", 6, "Bayi B", "F", dt.date(2025, 9, 1), fb, "anak")
    older = person("b_child", 7, "Bowo B", "M", dt.date(2022, 1, 10), fb, "anak")
    _measure(session, older, dt.date(2025, 3, 1), -1.0)
    _measure(session, older, dt.date(2025, 11, 1), -2.5)
    # C: target family, no risk factor: not KRS. A child of 31 months.
    fc = family(3, DESA_2, "piped", "own_septic")
    person("c_head", 8, "Candra C", "M", dt.date(1996, 1, 1), fc, "kepala")
    person("c_wife", 9, "Citra C", "F", dt.date(1999, 1, 1), fc, "istri")
    person("c_child", 10, "Cici C", "F", dt.date(2023, 5, 1), fc, "anak")
    # D: KRS (unprotected well). Severely wasted child, newborn, postpartum wife, adolescent niece.
    fd = family(4, DESA_2, "unprotected_well", "own_septic")
    person("d_head", 11, "Dodi D", "M", dt.date(1992, 1, 1), fd, "kepala")
    wd = person("d_wife", 12, "Dewi D", "F", dt.date(1998, 8, 8), fd, "istri")
    sev = person("d_child", 13, "Dimas D", "M", dt.date(2021, 3, 1), fd, "anak")
    _measure(session, sev, dt.date(2025, 6, 1), -3.4)
    person("d_newborn", 14, "Dara D", "F", dt.date(2025, 9, 7), fd, "anak")
    person("d_niece", 15, "Dina D", "F", dt.date(2011, 5, 5), fd, "lainnya")
    session.add(
        Pregnancy(
            person_id=wd.id, lmp_date=dt.date(2024, 12, 1), due_date=dt.date(2025, 9, 7)
        )
    )
    # E: a single head (no wife, no child): not a target family. A catin lodger.
    fe = family(5, DESA_2, "surface_water", "none")
    person("e_head", 16, "Eko E", "M", dt.date(1960, 1, 1), fe, "kepala")
    catin = person("e_catin", 17, "Eka E", "F", dt.date(2003, 4, 4), fe, "lainnya")
    session.add(
        Screening(
            person_id=catin.id,
            kind="catin",
            screened_on=dt.date(2025, 3, 1),
            desa_code=DESA_2,
            fingerprint="e",
        )
    )
    session.flush()
    fams = {"a": fa.id, "b": fb.id, "c": fc.id, "d": fd.id, "e": fe.id}
    return World(ids=ids, fams=fams)


def give(
    session: Session,
    world: World,
    code: str,
    on: str,
    *,
    person: str | None = None,
    family: str | None = None,
    status: str = "given",
) -> None:
    pid = world.ids[person] if person else None
    fid = world.fams[family] if family else None
    p = session.get(Person, pid) if pid else None
    f = session.get(Family, fid) if fid else None
    desa = p.desa_code if p is not None else (f.desa_code if f is not None else None)
    day = dt.date.fromisoformat(on)
    session.add(
        Intervention(
            kind_code=code,
            person_id=pid,
            family_id=fid,
            desa_code=desa,
            given_on=day,
            status=status,
            sector=service.get_kind(session, code).sector,
            record_key=service.record_key(code, pid, fid, day),
        )
    )


def record_world(session: Session, world: World) -> None:
    """Records of 2025 (and two that must not count: planned, and dated 2024)."""
    service.ensure_catalogue(session)
    give(session, world, "anc", "2025-09-01", person="a_wife")
    give(session, world, "ttd_hamil", "2025-09-01", person="a_wife", status="planned")
    give(
        session,
        world,
        "pmt_bumil_kek",
        "2025-10-01",
        person="a_wife",
        status="verified",
    )
    give(session, world, "pantau_tumbuh", "2025-03-01", person="a_child")
    give(session, world, "imunisasi", "2024-12-01", person="a_child")
    give(session, world, "mpasi", "2025-05-01", person="a_child")
    give(session, world, "pendampingan_krs", "2025-04-01", family="a")
    give(session, world, "asi_eksklusif", "2025-11-01", person="b_infant")
    give(session, world, "pantau_tumbuh", "2025-11-01", person="b_infant")
    give(session, world, "pantau_tumbuh", "2025-11-01", person="b_child")
    give(session, world, "pmt_balita_wasting", "2025-11-05", person="b_child")
    give(session, world, "sanitasi", "2025-07-01", family="b")
    give(session, world, "pendampingan_krs", "2025-02-01", family="b")
    give(session, world, "jkn_pbi", "2025-02-01", family="b")
    give(session, world, "pantau_tumbuh", "2025-05-01", person="c_child")
    give(session, world, "tata_laksana_gizi_buruk", "2025-06-10", person="d_child")
    give(session, world, "ttd_remaja", "2025-08-01", person="d_niece")
    give(session, world, "kb_pascapersalinan", "2025-10-01", person="d_wife")
    give(session, world, "catin_skrining", "2025-03-02", person="e_catin")
    session.flush()
