"""WHO growth reference charts (the curves cadres plot children on)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tumbuh.web.deps import LangDep, PageUser
from tumbuh.web.growth_charts import CHARTS, SEXES, chart_with_points, curves
from tumbuh.web.templating import render

router = APIRouter()


@router.get("/growth")
def growth_reference(
    request: Request,
    user: PageUser,
    lang: LangDep,
    indicator: str = "len",
    sex: str = "1",
) -> Response:
    curves(indicator, sex)  # validates both, naming the bad one
    spec = CHARTS[indicator]
    return render(
        request,
        "growth/reference.html",
        {
            "charts": CHARTS,
            "sexes": SEXES,
            "indicator": indicator,
            "sex": sex,
            "title": spec.title_id if lang == "id" else spec.title_en,
            "chart": chart_with_points(indicator, sex, [], lang),
        },
        lang=lang,
    )
