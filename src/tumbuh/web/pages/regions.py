"""Region pages: the province page (map, kab/kota table, early warning) and lower levels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.responses import Response

from tumbuh.accounts import personal as personal_data
from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import mask_nik, require_region
from tumbuh.errors import NotFound
from tumbuh.register import read as register_read
from tumbuh.register.master import children_of, get_region, lineage
from tumbuh.web import figures, insights
from tumbuh.web.cache import stale_as_of
from tumbuh.web.deps import (
    DbDep,
    LangDep,
    PageNo,
    PageUser,
    SettingsDep,
    YearQuery,
    client_ip,
)
from tumbuh.web.export import xlsx_response
from tumbuh.web.pages.region_panels import (
    desa_context,
    panel_context,
    panel_xlsx,
    within_geojson,
)
from tumbuh.web.templating import render

router = APIRouter()
GEO_DIR = figures.GEO_DIR
GEO_LEVELS = {"kabkota", "kecamatan", "desa"}
CHILDREN_PAGE_SIZE = 100


@router.get("/geo/{province}/{level}.geojson")
def geojson(
    province: str, level: str, user: PageUser, within: str | None = None
) -> Response:
    """Boundaries for the map (packaged, no tile server); cached by the browser for a day.
    `within` keeps the features under one region code (a kecamatan's desa)."""
    path = GEO_DIR / f"{province}_{level}.geojson"
    if level not in GEO_LEVELS or not province.isdigit() or not path.exists():
        raise NotFound(f"no boundaries for {province}/{level}")
    if within is not None:
        return within_geojson(path, require_region(user, within))
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
    settings: SettingsDep,
    kind: str | None = None,
    year: YearQuery = None,
    page: PageNo = 1,
    format: Annotated[str | None, Query(pattern="^(html|xlsx)$")] = None,
    table: Annotated[str | None, Query(pattern="^(forecast|coverage)$")] = None,
) -> Response:
    clean = require_region(user, code)
    region = get_region(clean)
    if format == "xlsx" and table is not None:
        return panel_xlsx(db, user, clean, table, year=year, settings=settings)
    panels = panel_context(db, user, clean, lang=lang, settings=settings, year=year)
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
            {"region": region, "lineage": lineage(clean), "overview": overview}
            | panels
            | {"stale_as_of": stale_as_of(db)},
            lang=lang,
        )
    warnings = figures.region_warnings(db, clean, lang=lang)
    routine_year, routine = figures.routine_rows(db, clean, lang=lang)
    children = children_of(clean)
    # Aggregates over the region's register: reused per data generation (web.cache).
    # "Anak diukur" and stunting: the engine's `measured` / `stunting_routine` of the period.
    counts = insights.region_headline(
        db,
        clean,
        period=None if year is None else str(year),
        welfare_max_decile=settings.welfare_eligible_max_decile,
    )
    personal = policy(user.role).personal_data
    rows: list[register_read.ChildRow] = []
    total = 0
    if personal:
        known = insights.child_total(db, clean)
        xlsx = format == "xlsx"
        # Through the personal-data gate: scoped, audited (view / export), NIK masked.
        rows, total = personal_data.children(
            db, user=user, region_code=clean,
            limit=max(known, 1) if xlsx else CHILDREN_PAGE_SIZE,
            offset=0 if xlsx else (page - 1) * CHILDREN_PAGE_SIZE,
            total=known, ip=client_ip(request), action="export" if xlsx else "view",
        )  # fmt: skip
    if format == "xlsx":
        if personal:
            return xlsx_response(
                f"tumbuh_anak_{clean}",
                clean,
                ["id", "nama", "nik", "jk", "tgl_lahir", "kode_desa", "ukur_terakhir", "zlen", "stunting"],
                [
                    (r.id, r.name, mask_nik(r.nik, role=user.role), r.sex, r.birth_date,
                     r.desa_code, r.last_measured_on, r.last_zlen, r.stunted)
                    for r in rows
                ],
            )  # fmt: skip
        return xlsx_response(
            f"tumbuh_{clean}",
            clean,
            ["kode", "nama"],
            [(c.code, c.name) for c in children],
        )
    threshold = settings.small_cell_threshold
    suppressed = not personal and 0 < counts.children_measured < threshold
    if region.level == 4:
        panels |= desa_context(request, db, user, clean, lang=lang)
    elif region.level in (2, 3):
        values: dict[str, float | None] = {r.code: r.value for r in routine}
        panels["child_map"] = insights.child_map(
            clean, values, lang=lang, province=clean[:2]
        )
    return render(
        request,
        "regions/region.html",
        {
            "region": region,
            "lineage": lineage(clean),
            "warnings": warnings,
            "routine_year": routine_year,
            "routine": routine,
            "children": children,
            "counts": counts,
            "suppressed": suppressed,
            "threshold": threshold,
            "child_rows": [(r, mask_nik(r.nik, role=user.role)) for r in rows],
            "child_total": total,
            "page": page,
            "has_next": page * CHILDREN_PAGE_SIZE < total,
        }
        | panels
        | {"stale_as_of": stale_as_of(db)},
        lang=lang,
    )
