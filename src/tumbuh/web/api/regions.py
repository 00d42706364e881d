"""Region summaries: what is known about a region inside the caller's area."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tumbuh.accounts.scope import require_region
from tumbuh.web import figures
from tumbuh.web.deps import ApiUser, DbDep
from tumbuh.web.regions import children_of, get_region

router = APIRouter(tags=["regions"])


class RegionRef(BaseModel):
    code: str = Field(description="Kemendagri code, e.g. 64.71")
    name: str
    level: int = Field(
        description="1 province, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan"
    )


class FigureOut(BaseModel):
    year: int
    source: str
    kind: str = Field(description="survey or routine (never mixed in one series)")
    value_pct: float
    confidence: str
    citation: str


class WarningOut(BaseModel):
    status: str = Field(description="rising, stalled, falling, on_track or no_data")
    latest_value: float | None
    below_national: bool | None
    reasons: list[str]


class RegionSummary(BaseModel):
    region: RegionRef
    parent_code: str | None
    children: list[RegionRef]
    published_figures: list[FigureOut] = Field(
        description="Published stunting prevalence for this region (all sources, primary and alternative)"
    )
    warning: WarningOut | None = Field(
        description="Early-warning status from the survey series, when computed for this level"
    )


@router.get(
    "/regions/{code}/summary",
    response_model=RegionSummary,
    summary="Summary of a region inside your area (403 outside it, 404 for an unknown code)",
)
def region_summary(code: str, user: ApiUser, db: DbDep) -> RegionSummary:
    clean = require_region(user, code)
    region = get_region(clean)
    published = figures.region_figures(db, clean)
    warn = figures.region_warning(db, clean, lang="id")
    return RegionSummary(
        region=RegionRef(code=region.code, name=region.name, level=region.level),
        parent_code=region.parent_code,
        children=[
            RegionRef(code=c.code, name=c.name, level=c.level)
            for c in children_of(clean)
        ],
        published_figures=[
            FigureOut.model_validate(f, from_attributes=True) for f in published
        ],
        warning=WarningOut.model_validate(warn, from_attributes=True) if warn else None,
    )
