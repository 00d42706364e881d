"""Indicators of a region for a period: the same items as `tumbuh indicators --json`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import require_region
from tumbuh.errors import InvalidInput
from tumbuh.reports import engine
from tumbuh.reports.service import region_indicators
from tumbuh.web.cache import cached
from tumbuh.web.deps import ApiUser, DbDep, RegionCodePath, SettingsDep
from tumbuh.web.insights import default_period_label, province_indicators

router = APIRouter(tags=["indicators"])


class IndicatorItem(BaseModel):
    indicator: str = Field(
        description="Code of docs/indicators.md, e.g. stunting_routine"
    )
    region_code: str = Field(description="Kemendagri code, or a posyandu's id")
    region_name: str
    level: str = Field(description="province, kabkota, kecamatan, desa or posyandu")
    period: str = Field(description="2025, 2025-Q3 or 2025-07")
    numerator: int | None
    denominator: int | None = Field(description="None for counts and published figures")
    value: float | None = Field(description="% for proportions, the count for counts")
    ci_low: float | None = Field(description="95 % Wilson interval, %")
    ci_high: float | None
    target: float | None = Field(
        description="Target for the period's year; None if NOT FOUND"
    )
    source: str = Field(description="survey, routine, published_routine or programme")
    suppressed: bool = Field(description="Small cell hidden for viewers")


class IndicatorsOut(BaseModel):
    period: str
    items: list[IndicatorItem]


@router.get(
    "/regions/{code}/indicators",
    response_model=IndicatorsOut,
    summary="Indicators of a region inside your area (or of its areas at `level`)",
)
def region_indicators_route(
    code: RegionCodePath,
    user: ApiUser,
    db: DbDep,
    settings: SettingsDep,
    period: Annotated[
        str | None,
        Query(description="2025, 2025-Q3 or 2025-07; default the latest ended year"),
    ] = None,
    level: Annotated[
        str | None,
        Query(description="province, kabkota, kecamatan, desa or posyandu"),
    ] = None,
) -> IndicatorsOut:
    clean = require_region(user, code)
    engine.level_of(clean)
    viewer = not policy(user.role).personal_data
    province = clean.split(".")[0]
    decile = settings.welfare_eligible_max_decile
    label = period or default_period_label(db, province)
    if label is None:
        raise InvalidInput(
            "no complete closed year of measurements to default to: pass period "
            "(e.g. 2025)"
        )
    # One computation per province, period and data generation serves every region in it.
    key, compute = province_indicators(province, label, decile)
    table = cached(db, key, compute)
    report = region_indicators(
        db,
        region=clean,
        period=label,
        level=level,
        suppress_below=settings.small_cell_threshold if viewer else None,
        welfare_max_decile=decile,
        computed=table,
    )
    return IndicatorsOut.model_validate(report.to_dict())
