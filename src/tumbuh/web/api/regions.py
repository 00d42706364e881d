"""Region summaries: what is known about a region inside the caller's area."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tumbuh.accounts.scope import require_region
from tumbuh.register.master import children_of, get_region
from tumbuh.web import figures
from tumbuh.web.deps import ApiUser, DbDep, LangDep

router = APIRouter(tags=["regions"])


class RegionRef(BaseModel):
    code: str = Field(description="Kemendagri code, e.g. 64.71")
    name: str
    level: int = Field(
        description="1 province, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan"
    )


class SeriesPointOut(BaseModel):
    label: str = Field(description="Source and year, e.g. 'SSGI 2022'")
    year: int
    value: float = Field(description="Prevalence, %")


class WarningOut(BaseModel):
    kind: str = Field(description="survey or routine (never mixed in one series)")
    year: int
    status: str = Field(
        description="rising, stalled, falling, on_track, insufficient or no_data"
    )
    latest_value: float | None
    latest_source: str | None
    below_national: bool | None
    national_value: float | None
    target: float | None
    target_year: int | None
    projected_target_year: int | None
    arr: float | None = Field(description="Annual rate of reduction, % per year")
    reasons: list[str] = Field(description="Reasons in the requested language (?lang=)")
    series: list[SeriesPointOut]


class RegionSummary(BaseModel):
    region: RegionRef
    parent_code: str | None
    children: list[RegionRef]
    warnings: dict[str, WarningOut] = Field(
        description="Early-warning status per kind of published series (survey, routine); "
        "province and kab/kota only"
    )


@router.get(
    "/regions/{code}/summary",
    response_model=RegionSummary,
    summary="Summary of a region inside your area (403 outside it, 404 for an unknown code)",
)
def region_summary(code: str, user: ApiUser, db: DbDep, lang: LangDep) -> RegionSummary:
    clean = require_region(user, code)
    region = get_region(clean)
    warnings = figures.region_warnings(db, clean, lang=lang)
    return RegionSummary(
        region=RegionRef(code=region.code, name=region.name, level=region.level),
        parent_code=region.parent_code,
        children=[
            RegionRef(code=c.code, name=c.name, level=c.level)
            for c in children_of(clean)
        ],
        warnings={
            k: WarningOut.model_validate(w, from_attributes=True)
            for k, w in warnings.items()
        },
    )
