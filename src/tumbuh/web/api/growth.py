"""WHO growth-chart curves for clients that draw their own charts."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tumbuh.web.deps import ApiUser
from tumbuh.web.growth_charts import curves

router = APIRouter(tags=["growth"])


class Curves(BaseModel):
    indicator: str
    sex: str = Field(description="1 boys, 2 girls")
    x_unit: str = Field(description="month (age) or cm (length/height)")
    y_unit: str
    lines: dict[str, list[list[float]]] = Field(
        description="Per z-score (-3 … 3): [[x, y], ...] with x in x_unit and y in y_unit"
    )


@router.get(
    "/growth/curves",
    response_model=Curves,
    summary="WHO −3 … +3 SD lines of one growth chart (len, wei, wfl, wfh, bmi, hc)",
)
def growth_curves(
    user: ApiUser,
    indicator: Literal["len", "wei", "wfl", "wfh", "bmi", "hc"] = "len",
    sex: Literal["1", "2"] = "1",
) -> Curves:
    return Curves.model_validate(curves(indicator, sex))
