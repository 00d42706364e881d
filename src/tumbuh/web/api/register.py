"""Children and families (personal data: scoped, NIK masked by role, every read audited)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from tumbuh.accounts import personal
from tumbuh.accounts.scope import mask_nik, parse_region_code
from tumbuh.register import read as register_read
from tumbuh.register.master import get_region
from tumbuh.web import insights
from tumbuh.web.deps import (
    ApiUser,
    DbDep,
    PageNo,
    RecordId,
    RegionCodeQuery,
    client_ip,
)

router = APIRouter(tags=["register"])


class ChildOut(BaseModel):
    id: int
    name: str
    sex: str | None = Field(description="M or F")
    birth_date: dt.date | None
    nik: str | None = Field(
        description="Masked (6471••••••••0012) unless the role needs it"
    )
    desa_code: str | None = Field(description="Kemendagri desa/kelurahan code")
    family_id: int | None
    last_measured_on: dt.date | None
    last_zlen: float | None = Field(
        description="Length/height-for-age z at the last visit"
    )
    stunted: bool | None = Field(
        description="last_zlen < -2 (None when not measurable)"
    )


class ChildPage(BaseModel):
    items: list[ChildOut]
    total: int
    page: int
    size: int


class MeasurementOut(BaseModel):
    measured_on: dt.date
    age_days: int | None
    weight_kg: float | None
    lenhei_cm: float | None
    measure: str | None = Field(description="l lying (length), h standing (height)")
    zlen: float | None
    zwei: float | None
    zwfl: float | None
    flen: bool | None = Field(description="zlen flagged implausible (WHO flag bounds)")
    cat_tbu: str | None
    desa_code: str | None


class ChildDetailOut(ChildOut):
    mother_name: str | None
    measurements: list[MeasurementOut]


class MemberOut(BaseModel):
    id: int
    name: str
    nik: str | None
    sex: str | None
    birth_date: dt.date | None
    family_role: str | None


class FamilyOut(BaseModel):
    id: int
    no_kk: str | None = Field(description="Masked like a NIK unless the role needs it")
    desa_code: str | None
    rt: str | None
    rw: str | None
    water_source: str | None
    latrine: str | None
    welfare_decile: int | None
    surveyed_on: dt.date | None
    members: list[MemberOut]


def child_out(row: register_read.ChildRow, role: str) -> ChildOut:
    data = ChildOut.model_validate(row, from_attributes=True)
    data.nik = mask_nik(row.nik, role=role)
    return data


@router.get(
    "/children",
    response_model=ChildPage,
    summary="Children measured in a region (paged; personal data, audited)",
)
def list_children(
    request: Request,
    user: ApiUser,
    db: DbDep,
    region: RegionCodeQuery,
    page: PageNo = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ChildPage:
    code = parse_region_code(region)

    def known_total() -> int:
        get_region(code)  # 404 for an unknown code inside the area
        return insights.child_total(db, code)  # per data generation

    rows, total = personal.children(
        db, user=user, region_code=code, limit=size, offset=(page - 1) * size,
        ip=client_ip(request), total=known_total,
    )  # fmt: skip
    return ChildPage(
        items=[child_out(r, user.role) for r in rows], total=total, page=page, size=size
    )


@router.get(
    "/children/{child_id}",
    response_model=ChildDetailOut,
    summary="One child with all measurements (personal data, audited)",
)
def get_child(
    request: Request, child_id: RecordId, user: ApiUser, db: DbDep
) -> ChildDetailOut:
    detail = personal.child(db, user=user, child_id=child_id, ip=client_ip(request))
    base = child_out(detail.child, user.role)
    return ChildDetailOut(
        **base.model_dump(),
        mother_name=detail.mother_name,
        measurements=[
            MeasurementOut.model_validate(m, from_attributes=True)
            for m in detail.measurements
        ],
    )


@router.get(
    "/families/{family_id}",
    response_model=FamilyOut,
    summary="One family (Kartu Keluarga) with its members (personal data, audited)",
)
def get_family(
    request: Request, family_id: RecordId, user: ApiUser, db: DbDep
) -> FamilyOut:
    family = personal.family(db, user=user, family_id=family_id, ip=client_ip(request))
    return FamilyOut(
        id=family.id,
        no_kk=mask_nik(family.no_kk, role=user.role),
        desa_code=family.desa_code,
        rt=family.rt,
        rw=family.rw,
        water_source=family.water_source,
        latrine=family.latrine,
        welfare_decile=family.welfare_decile,
        surveyed_on=family.surveyed_on,
        members=[
            MemberOut(
                id=m.id,
                name=m.name,
                nik=mask_nik(m.nik, role=user.role),
                sex=m.sex,
                birth_date=m.birth_date,
                family_role=m.family_role,
            )  # fmt: skip
            for m in family.members
        ],
    )
