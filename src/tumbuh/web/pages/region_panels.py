"""Panels of the region pages (forecast, coverage, best performers, quality badges, maps one
level down) and the desa's personal lists (visit list, intervention gaps) with downloads."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from tumbuh.accounts import personal
from tumbuh.accounts.models import User
from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import require_personal_data
from tumbuh.config import Settings
from tumbuh.errors import InvalidInput, NotFound
from tumbuh.interventions import visits
from tumbuh.interventions.export import write_gaps_xlsx
from tumbuh.register.master import children_of, get_region
from tumbuh.risk import visits as risk_visits
from tumbuh.web import insights
from tumbuh.web.deps import DbDep, PageUser, client_ip, get_lang, get_settings
from tumbuh.web.export import XLSX_MEDIA_TYPE, xlsx_response
from tumbuh.web.figures import band_legend
from tumbuh.web.i18n import Lang
from tumbuh.web.pages import village_data

router = APIRouter()
VISITS_ON_PAGE = 50


@cache
def _geo_features(path: Path) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))[
        "features"
    ]
    return features


def within_geojson(path: Path, code: str) -> Response:
    """The features of `path` under region `code` (the desa of one kecamatan: ~100 kB
    instead of the province's 4.6 MB)."""
    keep = [
        f
        for f in _geo_features(path)
        if str(f["properties"]["kode"]).startswith(code + ".")
    ]
    body = json.dumps({"type": "FeatureCollection", "features": keep})
    return Response(
        body,
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=86400"},
    )


def panel_context(
    db: Session,
    user: User,
    code: str,
    *,
    lang: Lang,
    settings: Settings,
    year: int | None,
) -> dict[str, Any]:
    """Forecast, coverage, best performers and quality badges for any region page."""
    names = {r.code: r.name for r in children_of(code)}
    return {
        "forecast": insights.region_forecast(db, code),
        "coverage": insights.region_coverage(
            db,
            code,
            year=None,
            welfare_max_decile=settings.welfare_eligible_max_decile,
        ),  # fmt: skip
        "badges": insights.quality_badges(db, code),
        "names": names,
        "bands": band_legend(lang),
        "child_map": None,
        "suppress_small": not policy(user.role).personal_data,
        "threshold": settings.small_cell_threshold,
    }


def _small(value: int, *, suppress: bool, threshold: int) -> int | str:
    return f"<{threshold}" if suppress and 0 < value < threshold else value


def panel_xlsx(
    db: Session,
    user: User,
    code: str,
    table: str,
    *,
    year: int | None,
    settings: Settings,
) -> Response:
    """?format=xlsx&table=forecast|coverage of a region page (aggregates; small counts
    suppressed for roles without personal data, as on the page)."""
    suppress = not policy(user.role).personal_data
    limit = settings.small_cell_threshold
    if table == "forecast":
        view = insights.region_forecast(db, code)
        rows = view.rows if view else []
        return xlsx_response(
            f"tumbuh_prakiraan_{code}",
            "prakiraan",
            ["kode", "nama", "tahun", "kasus_baru_diharapkan", "batas_bawah", "batas_atas",
             "stunting_saat_ini", "anak_diukur", "keluarga_krs"],
            [
                (r["code"], r["name"], r["year"], r["expected_new_cases"], r["expected_low"],
                 r["expected_high"],
                 _small(int(r["current_stunted"]), suppress=suppress, threshold=limit),
                 _small(int(r["current_measured"]), suppress=suppress, threshold=limit),
                 _small(int(r["krs_families"]), suppress=suppress, threshold=limit))
                for r in rows
            ],
        )  # fmt: skip
    cov = insights.region_coverage(
        db, code, year=year, welfare_max_decile=settings.welfare_eligible_max_decile
    )
    cov_rows = cov.rows if cov else []
    return xlsx_response(
        f"tumbuh_cakupan_{code}",
        "cakupan",
        ["kode", "intervensi", "sektor", "pembilang", "penyebut", "cakupan_pct",
         "target_pct", "selisih_poin"],
        [
            (r.code, r.name_id, r.sector,
             _small(r.numerator, suppress=suppress, threshold=limit),
             _small(r.denominator, suppress=suppress, threshold=limit),
             r.coverage_pct, r.target_pct, r.gap_pts)
            for r in cov_rows
        ],
    )  # fmt: skip


def _gaps(
    request: Request,
    db: Session,
    user: User,
    code: str,
    *,
    action: str = "view",
    lang: str = "id",
) -> tuple[Any, list[dict[str, Any]]]:
    """(the desa's intervention gaps, one row per family with missing items) through the
    personal-data gate: scoped, audited, No KK masked; (None, []) with no records."""
    decile = get_settings(request).welfare_eligible_max_decile
    got = personal.desa_list(
        db, user=user, kind="gaps", desa_code=code, ip=client_ip(request),
        action=action, size=lambda g: len(g[0].missing),
        load=lambda: _found(
            insights.desa_gaps(db, code, welfare_max_decile=decile, lang=lang)
        ),
    )  # fmt: skip
    return got or (None, [])


def _found(
    gaps: tuple[Any, list[dict[str, Any]]],
) -> tuple[Any, list[dict[str, Any]]] | None:
    return gaps if gaps[0] is not None else None


def desa_context(
    request: Request, db: Session, user: User, code: str, *, lang: Lang
) -> dict[str, Any]:
    """Posyandu quality for everyone; growth alerts, the visit list and the gaps for
    personal-data roles, each read through the personal-data gate (scoped, audited, masked)."""
    posyandu = insights.quality_under(db, code, level="posyandu")
    out: dict[str, Any] = {
        "posyandu": sorted(posyandu, key=lambda q: str(q.get("name"))),
        "quality_colors": insights.QUALITY_COLORS,
        "personal": policy(user.role).personal_data,
        "visits": None,
        "visit_rows": [],
        "visits_more": 0,
        "gaps": None,
        "gap_rows": [],
        "alerts": [],
    }
    if not out["personal"]:
        return out
    ip = client_ip(request)
    out["alerts"] = village_data.growth_alerts(db, user, code, ip=ip, lang=lang)
    vl = village_data.visit_list(db, user, code, ip=ip, lang=lang)
    if vl is not None:
        # Visits made change the list: visited families go last, moved ones leave it.
        shown, _ = visits.apply_visits(
            village_data.rows_of(vl, VISITS_ON_PAGE),
            visits.latest_visits(db, desa_code=code),
        )
        out |= {
            "visits": vl,
            "visit_rows": shown,
            "visits_more": max(0, len(vl.rows) - VISITS_ON_PAGE),
        }
    gaps, gap_rows = _gaps(request, db, user, code, lang=lang)
    out |= {"gaps": gaps, "gap_rows": gap_rows}
    return out


def _require_desa(user: User, code: str) -> str:
    clean = require_personal_data(user, code)
    region = get_region(clean)
    if region.level != 4:
        raise InvalidInput(f"{clean} is not a desa/kelurahan code")
    return clean


@router.get("/regions/{code}/visits.{ext}")
def visit_download(
    request: Request, code: str, ext: str, user: PageUser, db: DbDep
) -> Response:
    """The desa's visit list as PDF (printing) or Excel (personal data: audited), in the
    user's language."""
    if ext not in ("pdf", "xlsx"):
        raise NotFound(f"no visit list as .{ext}")
    clean = _require_desa(user, code)
    vl = village_data.visit_list(
        db, user, clean, ip=client_ip(request), action="export", lang=get_lang(request)
    )
    if vl is None:
        raise NotFound(
            f"no risk scores for desa {clean}",
            key="error.visits.no_scores",
            values={"desa": clean},
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"kunjungan.{ext}"
        if ext == "pdf":
            risk_visits.write_pdf(vl, path)
        else:
            risk_visits.write_xlsx(vl, path)
        body = path.read_bytes()
    media = "application/pdf" if ext == "pdf" else XLSX_MEDIA_TYPE
    name = f"kunjungan_{clean.replace('.', '_')}_{vl.year}.{ext}"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/regions/{code}/gaps.xlsx")
def gaps_download(request: Request, code: str, user: PageUser, db: DbDep) -> Response:
    """The desa's intervention gaps (families at risk, missing items) as Excel."""
    clean = _require_desa(user, code)
    gaps, _ = _gaps(request, db, user, clean, action="export")
    if gaps is None:
        raise NotFound(f"no intervention records for desa {clean}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gaps.xlsx"
        write_gaps_xlsx(gaps, path)
        body = path.read_bytes()
    return Response(
        body,
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="kesenjangan_{clean.replace(".", "_")}.xlsx"'
        },
    )


__all__ = ["desa_context", "panel_context", "panel_xlsx", "router", "within_geojson"]
