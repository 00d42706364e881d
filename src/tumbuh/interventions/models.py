"""Interventions: the catalogue (data, editable), records given to persons or families, and
the actions agreed at coordination meetings. ORM only; portable column types."""

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
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tumbuh.db.base import Base


class InterventionKind(Base):
    """One catalogue row: what is given, to whom, by which sector, against which target.

    Kinds, target groups and sectors are data (strings), so an administrator adds a new kind
    without a code change; only the target groups the register can count are fixed
    (``tumbuh.interventions.groups.GROUPS``).
    """

    __tablename__ = "intervention_kinds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))  # specific | sensitive
    target_group: Mapped[str] = mapped_column(String(40))
    sector: Mapped[str] = mapped_column(String(40))  # Dinkes, DPPKB, PUPR/Perkim, ...
    indicator: Mapped[str] = mapped_column(Text, default="")
    # National target (%) and its year; None when no source gives one (target_source says so).
    target_pct: Mapped[float | None] = mapped_column(Float, default=None)
    target_year: Mapped[int | None] = mapped_column(Integer, default=None)
    target_source: Mapped[str] = mapped_column(Text, default="")
    # Target groups whose families at risk must receive this kind for the "full package".
    in_package_for: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Intervention(Base):
    """An intervention planned for, given to, or verified for a person or a family."""

    __tablename__ = "interventions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind_code: Mapped[str] = mapped_column(
        ForeignKey("intervention_kinds.code"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"), index=True)
    desa_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True
    )
    given_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10))  # planned | given | verified
    sector: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(160))  # posyandu, puskesmas, office
    note: Mapped[str | None] = mapped_column(Text)
    # How much was given in this record, in the kind's own unit (iron-folic-acid tablets for
    # ttd_hamil / ttd_remaja); None when the source did not say. The ">= 90 TTD tablets in
    # pregnancy" indicator sums it over the pregnancy.
    quantity: Mapped[int | None] = mapped_column(Integer)
    # Identity (kind, subject, date): a file imported twice does not double the records.
    record_key: Mapped[str] = mapped_column(String(32), unique=True)
    source_file: Mapped[str | None] = mapped_column(String(255))
    source_row: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Meeting(Base):
    """A coordination meeting (Rakor TPPS, rembuk stunting) held for a region."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class MeetingAction(Base):
    """An action agreed at a coordination meeting (rembuk stunting, TPPS meeting)."""

    __tablename__ = "meeting_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The meeting it was agreed at (None: an action recorded before meetings were records).
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id"), index=True, default=None
    )
    # An indicator of the reports catalogue (reports.catalogue code), its value in the
    # region over the latest complete period when agreed, and the target agreed.
    indicator: Mapped[str | None] = mapped_column(String(60), default=None)
    baseline_value: Mapped[float | None] = mapped_column(Float, default=None)
    baseline_period: Mapped[str | None] = mapped_column(String(10), default=None)
    target_value: Mapped[float | None] = mapped_column(Float, default=None)
    meeting_on: Mapped[dt.date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(40))  # the office (sector) that owns it
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
    indicator_code: Mapped[str | None] = mapped_column(
        ForeignKey("intervention_kinds.code"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="open")
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    # Coverage (%) of the linked indicator in the region on the meeting day, for "movement since".
    baseline_pct: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Visit(Base):
    """A home visit by the village team (TPK, cadre, midwife) to a family or a child, with
    its outcome. ``client_id`` is generated where the visit is recorded (the form, or the
    phone's offline queue), so the same visit sent twice is stored once."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    desa_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True
    )
    visited_on: Mapped[dt.date] = mapped_column(Date, index=True)
    # met | not_home | moved | refused | referred
    outcome: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer)  # users.id
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
