"""Pydantic schemas of the interventions package (input validation for the web and CLI)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tumbuh.interventions.groups import GROUPS


class InterventionKindType(StrEnum):
    specific = "specific"
    sensitive = "sensitive"


class RecordStatus(StrEnum):
    planned = "planned"
    given = "given"
    verified = "verified"


class ActionStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


def _check_group(value: str) -> str:
    if value not in GROUPS:
        raise ValueError(
            f"unknown target group {value!r}; expected one of {', '.join(GROUPS)}"
        )
    return value


class KindCreate(BaseModel):
    """A new catalogue row (an administrator adds kinds without code changes)."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    name_id: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    kind: InterventionKindType
    target_group: str = Field(description="A register target group (groups.GROUPS).")
    sector: str = Field(min_length=1, max_length=40, description="Responsible office.")
    indicator: str = ""
    target_pct: float | None = Field(default=None, ge=0, le=100)
    target_year: int | None = Field(default=None, ge=2000, le=2100)
    target_source: str = ""
    in_package_for: list[str] = Field(default_factory=list)
    active: bool = True

    _group = field_validator("target_group")(_check_group)

    @field_validator("in_package_for")
    @classmethod
    def _groups(cls, values: list[str]) -> list[str]:
        return [_check_group(v) for v in values]


class KindUpdate(BaseModel):
    """Fields an administrator may change; None leaves a field as it is."""

    name_id: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    kind: InterventionKindType | None = None
    target_group: str | None = None
    sector: str | None = Field(default=None, min_length=1, max_length=40)
    indicator: str | None = None
    target_pct: float | None = Field(default=None, ge=0, le=100)
    target_year: int | None = Field(default=None, ge=2000, le=2100)
    target_source: str | None = None
    in_package_for: list[str] | None = None
    active: bool | None = None
    clear_target: bool = Field(default=False, description="Set the target to none.")

    @field_validator("target_group")
    @classmethod
    def _group(cls, value: str | None) -> str | None:
        return None if value is None else _check_group(value)

    @field_validator("in_package_for")
    @classmethod
    def _groups(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [_check_group(v) for v in values]


class KindRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_id: str
    name_en: str
    kind: str
    target_group: str
    sector: str
    indicator: str
    target_pct: float | None
    target_year: int | None
    target_source: str
    in_package_for: list[str]
    active: bool


class InterventionCreate(BaseModel):
    """One intervention for a person (NIK) or a family (No KK)."""

    kind_code: str
    nik: str | None = Field(default=None, pattern=r"^\d{16}$")
    no_kk: str | None = Field(default=None, pattern=r"^\d{16}$")
    given_on: dt.date
    status: RecordStatus = RecordStatus.given
    sector: str | None = Field(default=None, max_length=40)
    unit: str | None = Field(default=None, max_length=160)
    note: str | None = None
    # How much was given (iron-folic-acid tablets for ttd_hamil): ">= 90 TTD" sums it.
    quantity: int | None = Field(default=None, ge=0, le=1000)


class InterventionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind_code: str
    person_id: int | None
    family_id: int | None
    desa_code: str | None
    given_on: dt.date
    status: str
    sector: str
    unit: str | None
    note: str | None
    quantity: int | None = None


class ActionCreate(BaseModel):
    """An action agreed at a coordination meeting."""

    meeting_on: dt.date
    title: str = Field(min_length=1)
    owner: str = Field(min_length=1, max_length=40, description="Owner office.")
    region_code: str
    due_on: dt.date
    indicator_code: str | None = None
    note: str | None = None


class ActionUpdate(BaseModel):
    status: ActionStatus | None = None
    due_on: dt.date | None = None
    done_on: dt.date | None = None
    note: str | None = None


class ActionRead(BaseModel):
    id: int
    meeting_on: dt.date
    title: str
    owner: str
    region_code: str
    due_on: dt.date
    indicator_code: str | None
    status: str
    done_on: dt.date | None
    overdue: bool
    baseline_pct: float | None
    current_pct: float | None
    movement_pts: float | None
    note: str | None


class MeetingCreate(BaseModel):
    """A coordination meeting held for a region."""

    region_code: str = Field(min_length=2, max_length=13)
    held_on: dt.date
    title: str = Field(min_length=1, max_length=500)
    note: str | None = None


class MeetingActionCreate(BaseModel):
    """An action agreed at a meeting, measured by a catalogue indicator (reports.catalogue)
    with the baseline the caller read over the latest complete period."""

    meeting_id: int
    title: str = Field(min_length=1)
    owner: str = Field(
        min_length=1, max_length=40, description="Responsible office (OPD)."
    )
    region_code: str
    due_on: dt.date
    indicator: str | None = Field(default=None, max_length=60)
    baseline_value: float | None = None
    baseline_period: str | None = Field(default=None, max_length=10)
    target_value: float | None = None
    note: str | None = None
