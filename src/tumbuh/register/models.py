"""The register's tables: regions, facilities, families, persons, measurements, screenings.

ORM models only (portable column types). Bulk writers use Core `insert(Model)` with lists of
dicts, so column names here are the wire names of the importers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tumbuh.db.base import Base


class Region(Base):
    """Kemendagri administrative region: 1 province, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(String(13), index=True)
    # BPS code of a kab/kota where it is known (crosswalk, see register/regions.py).
    bps_code: Mapped[str | None] = mapped_column(String(10), index=True)


class Facility(Base):
    """A puskesmas or a posyandu. Posyandu belong to a desa; both are created from names on import."""

    __tablename__ = "facilities"
    __table_args__ = (UniqueConstraint("kind", "region_code", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # "puskesmas" | "posyandu"
    name: Mapped[str] = mapped_column(String(160))
    name_key: Mapped[str] = mapped_column(String(160))  # normalised name for matching
    # Posyandu: the desa code; puskesmas: the kecamatan code (or kab/kota when unknown).
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id"), index=True
    )


class Family(Base):
    """A family (Kartu Keluarga) with its BKKBN risk attributes."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    no_kk: Mapped[str] = mapped_column(String(16), unique=True)
    desa_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True
    )
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))
    address: Mapped[str | None] = mapped_column(String(250))
    # Risk attributes (Pendataan Keluarga / Verval KRS), codes as in docs/templates.md §2.
    water_source: Mapped[str | None] = mapped_column(String(24))
    latrine: Mapped[str | None] = mapped_column(String(16))
    wife_modern_contraception: Mapped[bool | None] = mapped_column(Boolean)
    wife_pregnant: Mapped[bool | None] = mapped_column(Boolean)
    welfare_decile: Mapped[int | None] = mapped_column(SmallInteger)
    surveyed_on: Mapped[dt.date | None] = mapped_column(Date)
    fingerprint: Mapped[str | None] = mapped_column(String(32))


class Person(Base):
    """A child, mother or any family member. NIK is the key when valid; else name + birth + mother."""

    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_birth_name", "birth_date", "name_key"),
        # The children table sorted by name (register.read): read in index order.
        Index("ix_persons_name_key_id", "name_key", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nik: Mapped[str | None] = mapped_column(String(16), unique=True)
    # A NIK that looked wrong (too short, Excel-truncated ...0000): kept, never used as a key.
    nik_suspect: Mapped[str | None] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(160))
    name_key: Mapped[str] = mapped_column(String(160))
    sex: Mapped[str | None] = mapped_column(String(1))  # "M" | "F"
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    mother_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    mother_name: Mapped[str | None] = mapped_column(String(160))  # as reported
    mother_name_key: Mapped[str | None] = mapped_column(String(160))
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"), index=True)
    family_role: Mapped[str | None] = mapped_column(
        String(10)
    )  # kepala/istri/anak/lainnya
    desa_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True
    )
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))
    address: Mapped[str | None] = mapped_column(String(250))
    birth_weight_kg: Mapped[float | None] = mapped_column(Float)
    birth_length_cm: Mapped[float | None] = mapped_column(Float)
    # Digest of the last family-file row for this person (re-import change detection).
    fingerprint: Mapped[str | None] = mapped_column(String(32))


class Measurement(Base):
    """One child measurement; z-scores, flags and categories computed by tumbuh.growth on write."""

    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint("person_id", "measured_on"),
        # Desa x period counts (reports.periods) read this index alone.
        Index("ix_measurements_desa_code_measured_on", "desa_code", "measured_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    measured_on: Mapped[dt.date] = mapped_column(Date, index=True)
    age_days: Mapped[int | None] = mapped_column(Integer)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    lenhei_cm: Mapped[float | None] = mapped_column(Float)
    measure: Mapped[str | None] = mapped_column(String(1))  # "l" lying, "h" standing
    muac_cm: Mapped[float | None] = mapped_column(Float)
    headc_cm: Mapped[float | None] = mapped_column(Float)
    posyandu_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id"), index=True
    )
    puskesmas_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id"), index=True
    )
    desa_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True
    )
    # Computed by tumbuh.growth (anthro vocabulary).
    clenhei: Mapped[float | None] = mapped_column(Float)
    zlen: Mapped[float | None] = mapped_column(Float)
    zwei: Mapped[float | None] = mapped_column(Float)
    zwfl: Mapped[float | None] = mapped_column(Float)
    zbmi: Mapped[float | None] = mapped_column(Float)
    flen: Mapped[bool | None] = mapped_column(Boolean)
    fwei: Mapped[bool | None] = mapped_column(Boolean)
    fwfl: Mapped[bool | None] = mapped_column(Boolean)
    fbmi: Mapped[bool | None] = mapped_column(Boolean)
    cat_tbu: Mapped[str | None] = mapped_column(String(32))
    cat_bbu: Mapped[str | None] = mapped_column(String(32))
    cat_bbtb: Mapped[str | None] = mapped_column(String(32))
    # The export's own values, kept for comparison only.
    src_age: Mapped[str | None] = mapped_column(String(40))
    src_zwei: Mapped[float | None] = mapped_column(Float)
    src_zlen: Mapped[float | None] = mapped_column(Float)
    src_zwfl: Mapped[float | None] = mapped_column(Float)
    src_cat_bbu: Mapped[str | None] = mapped_column(String(40))
    src_cat_tbu: Mapped[str | None] = mapped_column(String(40))
    src_cat_bbtb: Mapped[str | None] = mapped_column(String(40))
    src_weight_gain: Mapped[str | None] = mapped_column(String(20))
    source_file: Mapped[str | None] = mapped_column(String(255))
    source_row: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(32))


class Pregnancy(Base):
    """A pregnancy, identified by the mother and HPHT (first day of the last period)."""

    __tablename__ = "pregnancies"
    __table_args__ = (UniqueConstraint("person_id", "lmp_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    lmp_date: Mapped[dt.date] = mapped_column(Date)
    # Naegele's rule: HPHT + 280 days.
    due_date: Mapped[dt.date | None] = mapped_column(Date)


class Screening(Base):
    """A screening of a pregnant woman (hamil), bride/groom-to-be (catin) or adolescent (remaja)."""

    __tablename__ = "screenings"
    __table_args__ = (UniqueConstraint("person_id", "kind", "screened_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # hamil | catin | remaja
    screened_on: Mapped[dt.date] = mapped_column(Date, index=True)
    desa_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True
    )
    muac_cm: Mapped[float | None] = mapped_column(Float)
    hb_g_dl: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    height_cm: Mapped[float | None] = mapped_column(Float)
    pregnancy_id: Mapped[int | None] = mapped_column(
        ForeignKey("pregnancies.id"), index=True
    )
    gestational_weeks: Mapped[int | None] = mapped_column(SmallInteger)
    anc_visits: Mapped[int | None] = mapped_column(SmallInteger)
    wedding_planned_on: Mapped[dt.date | None] = mapped_column(Date)
    source_file: Mapped[str | None] = mapped_column(String(255))
    source_row: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(32))


class QuarantinedRow(Base):
    """A rejected row, kept with its raw values so it can be fixed and re-imported."""

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_kind_key", "kind", "row_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # eppgbm | families | screenings
    file: Mapped[str] = mapped_column(String(255))
    row: Mapped[int] = mapped_column(Integer)
    # Identity of the row (hash of its normalised identity cells), to clear it once it imports.
    row_key: Mapped[str] = mapped_column(String(32))
    # A second identity (e.g. with the measurement date instead of the birth date), so a
    # fix of either date still finds the entry.
    alt_key: Mapped[str] = mapped_column(String(32), index=True)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class LinkReview(Base):
    """An uncertain match (fuzzy name/birth/mother) for a person to confirm or split."""

    __tablename__ = "link_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    file: Mapped[str | None] = mapped_column(String(255))
    row: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
