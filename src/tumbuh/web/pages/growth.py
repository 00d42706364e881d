"""WHO growth reference charts (the curves cadres plot children on)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tumbuh.web.deps import LangDep, PageUser
from tumbuh.web.growth_charts import CHARTS, SEXES, curves
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
    payload = curves(indicator, sex)
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
            "chart": payload | {"points": [], "labels": _labels(lang, spec.x_unit)},
        },
        lang=lang,
    )


def _labels(lang: str, x_unit: str) -> dict[str, str]:
    if x_unit == "month":
        x = "Umur (bulan)" if lang == "id" else "Age (months)"
    else:
        x = "Panjang/tinggi (cm)" if lang == "id" else "Length/height (cm)"
    return {"x": x, "child": "Anak" if lang == "id" else "Child"}
