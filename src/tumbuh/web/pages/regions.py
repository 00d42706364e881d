"""Region pages: the province page (map, kab/kota table, early warning) and lower levels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.responses import Response

from tumbuh.accounts import personal as personal_data
from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import mask_nik, require_region
from tumbuh.errors import NotFound
from tumbuh.register import read as register_read
from tumbuh.register.master import children_of, find_region, get_region, lineage
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
from tumbuh.web.i18n import WITA
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
# A sort key of the children table ("" = register order); anything else is a 422.
SortQuery = Annotated[
    str, Query(pattern="^(" + "|".join(register_read.CHILD_SORTS) + ")?$")
]


@dataclass(frozen=True, slots=True)
class ChildListing:
    """The children table's GET parameters, kept by its pager, sort links and export."""

    sort: str
    order: str
    q: str
    under5: bool

    @property
    def filtered(self) -> bool:
        """True when the rows are not all of the region's (the cached total is not theirs)."""
        return bool(self.q or self.under5)

    def url(
        self,
        *,
        year: int | None,
        page: int = 1,
        sort: str | None = None,
        order: str | None = None,
        export: bool = False,
    ) -> str:
        """This listing's link with some parameters changed (page 1 unless given)."""
        params: dict[str, object] = {
            "year": year,
            "sort": self.sort if sort is None else sort,
            "order": self.order if order is None else order,
            "q": self.q,
            "under5": 1 if self.under5 else None,
            "page": page if page > 1 else None,
            "format": "xlsx" if export else None,
        }
        if params["order"] == "asc":
            params["order"] = None
        kept = {k: v for k, v in params.items() if v not in (None, "")}
        return "?" + urlencode(kept) + ("" if export else "#register-title")

    def sort_url(self, key: str, *, year: int | None) -> str:
        """The column header's link: by `key` ascending, or the other way when already."""
        flip = "desc" if self.sort == key and self.order == "asc" else "asc"
        return self.url(year=year, sort=key, order=flip)

    def aria_sort(self, key: str) -> str:
        if self.sort != key:
            return "none"
        return "descending" if self.order == "desc" else "ascending"


def region_name(code: str | None) -> str | None:
    """The master's name of a region code (the code itself when the master lacks it)."""
    if not code:
        return None
    found = find_region(code)
    return found.name if found is not None else code


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
    sort: SortQuery = "",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    q: Annotated[str, Query(max_length=60)] = "",
    under5: Annotated[bool, Query()] = False,
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
    today = dt.datetime.now(WITA).date()
    listing = ChildListing(sort=sort, order=order, q=q.strip(), under5=under5)
    if personal:
        known = insights.child_total(db, clean)
        xlsx = format == "xlsx"
        # Through the personal-data gate: scoped, audited (view / export), NIK masked;
        # the gate decides whether a search may match NIKs.
        query = personal_data.child_query(
            user, search=listing.q, under_five_on=today if under5 else None,
            sort=sort or None, descending=order == "desc",
        )  # fmt: skip
        rows, total = personal_data.children(
            db, user=user, region_code=clean,
            limit=max(known, 1) if xlsx else CHILDREN_PAGE_SIZE,
            offset=0 if xlsx else (page - 1) * CHILDREN_PAGE_SIZE,
            total=None if listing.filtered else known, ip=client_ip(request),
            action="export" if xlsx else "view", query=query,
        )  # fmt: skip
    if format == "xlsx":
        if personal:
            return xlsx_response(
                f"tumbuh_anak_{clean}",
                clean,
                ["id", "nama", "nik", "jk", "tgl_lahir", "umur_bulan", "kode_desa", "desa",
                 "ukur_terakhir", "zlen", "stunting"],
                [
                    (r.id, r.name, mask_nik(r.nik, role=user.role), r.sex, r.birth_date,
                     register_read.age_months(r.birth_date, today), r.desa_code,
                     region_name(r.desa_code), r.last_measured_on, r.last_zlen, r.stunted)
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
            "child_rows": [
                (
                    r,
                    mask_nik(r.nik, role=user.role),
                    region_name(r.desa_code),
                    register_read.age_months(r.birth_date, today),
                )
                for r in rows
            ],
            "child_total": total,
            "listing": listing,
            "nik_search": policy(user.role).full_nik,
            "page": page,
            "has_next": page * CHILDREN_PAGE_SIZE < total,
            "child_pages": max(1, -(-total // CHILDREN_PAGE_SIZE)),
            "year": year,
        }
        | panels
        | {"stale_as_of": stale_as_of(db)},
        lang=lang,
    )
