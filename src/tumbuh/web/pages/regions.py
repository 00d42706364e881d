"""Region pages: the province page (map, kab/kota table, early warning) and lower levels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.responses import Response

from tumbuh.accounts.scope import require_region
from tumbuh.errors import NotFound
from tumbuh.web import figures
from tumbuh.web.deps import DbDep, LangDep, PageUser
from tumbuh.web.export import xlsx_response
from tumbuh.web.regions import children_of, get_region, lineage
from tumbuh.web.templating import render

router = APIRouter()
GEO_DIR = figures.GEO_DIR
GEO_LEVELS = {"kabkota", "kecamatan", "desa"}


@router.get("/geo/{province}/{level}.geojson")
def geojson(province: str, level: str, user: PageUser) -> Response:
    """Boundaries for the map (packaged, no tile server); cached by the browser for a day."""
    path = GEO_DIR / f"{province}_{level}.geojson"
    if level not in GEO_LEVELS or not province.isdigit() or not path.exists():
        raise NotFound(f"no boundaries for {province}/{level}")
    return FileResponse(
        path,
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=86400"},
    )


@router.get("/regions/{code}")
def region_page(
    request: Request,
    code: str,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    kind: str | None = None,
    year: int | None = None,
    format: Annotated[str | None, Query(pattern="^(html|xlsx)$")] = None,
) -> Response:
    clean = require_region(user, code)
    region = get_region(clean)
    if region.level == 1:
        overview = figures.province_overview(db, clean, kind=kind, year=year, lang=lang)
        if format == "xlsx":
            return xlsx_response(
                f"tumbuh_{clean}_{overview.kind}_{overview.year}",
                f"{overview.kind} {overview.year}",
                ["kode", "kabupaten_kota", "jenis", "tahun", "prevalensi_pct", "status", "alasan"],
                [
                    (r.code, r.name, overview.kind, overview.year, r.value, r.status,
                     " | ".join(r.reasons))
                    for r in overview.rows
                ],
            )  # fmt: skip
        return render(
            request,
            "regions/province.html",
            {"region": region, "lineage": lineage(clean), "overview": overview},
            lang=lang,
        )
    warnings = figures.region_warnings(db, clean, lang=lang)
    children = children_of(clean)
    if format == "xlsx":
        return xlsx_response(
            f"tumbuh_{clean}",
            clean,
            ["kode", "nama"],
            [(c.code, c.name) for c in children],
        )
    return render(
        request,
        "regions/region.html",
        {
            "region": region,
            "lineage": lineage(clean),
            "warnings": warnings,
            "children": children,
        },
        lang=lang,
    )
