"""Data-quality page: score, band, criteria and reasons per desa or posyandu and period
(from `tumbuh.surveillance.routine.quality_report`, cached per database in web.insights)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import require_region
from tumbuh.analytics import quality as quality_mod
from tumbuh.register.master import get_region, lineage
from tumbuh.web import insights
from tumbuh.web.cache import stale_as_of
from tumbuh.web.deps import DbDep, LangDep, PageUser, SettingsDep
from tumbuh.web.export import xlsx_response
from tumbuh.web.templating import render

router = APIRouter()


def _periods(db: Any, level: str) -> list[str]:
    return sorted(
        {str(i["period"]) for i in insights.quality_items(db, level)} - {"all"},
        reverse=True,
    )


def _public(
    rows: list[dict[str, Any]], *, suppress: bool, threshold: int
) -> list[dict[str, Any]]:
    """For roles without personal data: children counts under the threshold shown as
    "<threshold", the coverage beside such a count hidden, and counts in the reasons too."""
    if not suppress:
        return rows
    out = []
    for q in rows:
        q = dict(q)
        n = q.get("n_children")
        if isinstance(n, int) and 0 < n < threshold:
            q["n_children"] = f"<{threshold}"
            q["coverage"] = None
        for key in ("reasons_id", "reasons_en"):
            q[key] = [
                quality_mod.suppress_small_counts(r, threshold)
                for r in q.get(key) or []
            ]
        out.append(q)
    return out


@router.get("/quality")
def quality_home(user: PageUser) -> Response:
    return RedirectResponse(f"/quality/{user.region_code}", status_code=303)


@router.get("/quality/{code}")
def quality_page(
    request: Request,
    code: str,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    settings: SettingsDep,
    level: Annotated[str, Query(pattern="^(desa|posyandu)$")] = "desa",
    period: Annotated[str, Query(max_length=8)] = "all",
    format: Annotated[str | None, Query(pattern="^(html|xlsx)$")] = None,
) -> Response:
    clean = require_region(user, code)
    region = get_region(clean)
    rows = _public(
        sorted(
            insights.quality_under(db, clean, level=level, period=period),
            key=lambda q: (
                q.get("score") is None,
                float(q.get("score") or 0.0),
                str(q.get("code")),
            ),
        ),
        suppress=not policy(user.role).personal_data,
        threshold=settings.small_cell_threshold,
    )
    if format == "xlsx":
        return xlsx_response(
            f"tumbuh_kualitas_{clean}_{level}_{period}",
            f"{level} {period}",
            ["kode", "nama", "induk", "periode", "anak", "cakupan_pct", "skor", "pita",
             "penalti", "alasan"],
            [
                (str(q["code"]), q.get("name"), q.get("parent_code"), q["period"],
                 q.get("n_children"), q.get("coverage"), q.get("score"), q.get("band_id"),
                 q.get("penalty"), " | ".join(q.get("reasons_id") or []))
                for q in rows
            ],
        )  # fmt: skip
    return render(
        request,
        "quality/quality.html",
        {
            "region": region,
            "lineage": lineage(clean),
            "rows": rows,
            "level": level,
            "period": period,
            "periods": _periods(db, level),
            "colors": insights.QUALITY_COLORS,
            "stale_as_of": stale_as_of(db),
        },
        lang=lang,
    )
