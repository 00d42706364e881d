"""Panels of the region pages (forecast, coverage, best performers, quality badges, maps one
level down) and the desa's personal lists (visit list, intervention gaps) with downloads."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import mask_nik, require_personal_data
from tumbuh.config import Settings
from tumbuh.errors import InvalidInput, NotFound
from tumbuh.interventions import visits
from tumbuh.interventions.export import write_gaps_xlsx
from tumbuh.register import read as register_read
from tumbuh.register.master import children_of, get_region
from tumbuh.risk import visits as risk_visits
from tumbuh.web import insights
from tumbuh.web.cache import cached
from tumbuh.web.deps import DbDep, PageUser, client_ip, get_settings
from tumbuh.web.export import XLSX_MEDIA_TYPE, xlsx_response
from tumbuh.web.figures import band_legend
from tumbuh.web.i18n import Lang

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


def _visit_list(db: Session, code: str) -> risk_visits.VisitList | None:
    try:
        return risk_visits.visit_list(db, desa_code=code)
    except NotFound:
        return None


def _gap_rows(
    db: Session, code: str, role: str, *, decile: int
) -> tuple[Any, list[dict[str, Any]]]:
    gaps, rows = insights.desa_gaps(db, code, welfare_max_decile=decile)
    return gaps, [r | {"no_kk": mask_nik(r["no_kk"], role=role)} for r in rows]


def desa_context(
    request: Request, db: Session, user: User, code: str, *, lang: Lang
) -> dict[str, Any]:
    """Posyandu quality for everyone; the visit list and the gaps for personal-data roles
    (each view audited)."""
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
    out["alerts"] = insights.desa_alerts(db, code, lang=lang)
    # The list itself is reused per data generation; the page copies the rows it shows.
    # Named families: in memory only, never stored.
    vl = cached(
        db, ("visit_list", code), lambda s: _visit_list(s, code), persist=False,
        heavy=False,
    )  # fmt: skip
    if vl is not None:
        rows = vl.rows.head(VISITS_ON_PAGE).to_dict("records")
        ids = register_read.family_ids_by_kk(
            db, desa_code=code, no_kks=[str(r["no_kk"]) for r in rows]
        )
        for r in rows:
            r["family_id"] = ids.get(str(r["no_kk"]))
            r["no_kk"] = mask_nik(str(r["no_kk"]), role=user.role)
        # Visits made change the list: visited families go last, moved ones leave it.
        shown, _ = visits.apply_visits(
            ({str(k): v for k, v in r.items()} for r in rows),
            visits.latest_visits(db, desa_code=code),
        )
        out |= {
            "visits": vl,
            "visit_rows": shown,
            "visits_more": max(0, len(vl.rows) - VISITS_ON_PAGE),
        }
    decile = get_settings(request).welfare_eligible_max_decile
    gaps, gap_rows = _gap_rows(db, code, user.role, decile=decile)
    out |= {"gaps": gaps, "gap_rows": gap_rows}
    if vl is not None or gap_rows:
        accounts.record(
            db, actor=user, action="view", object_type="visit_list", region_code=code,
            ip=client_ip(request),
            detail=f"{len(out['visit_rows'])} families, {len(gap_rows)} with gaps, "
            f"{len(out['alerts'])} growth alerts",
        )  # fmt: skip
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
    """The desa's visit list as PDF (printing) or Excel (personal data: audited)."""
    if ext not in ("pdf", "xlsx"):
        raise NotFound(f"no visit list as .{ext}")
    clean = _require_desa(user, code)
    vl = _visit_list(db, clean)
    if vl is None:
        raise NotFound(f"no risk scores for desa {clean}")
    accounts.record(
        db, actor=user, action="export", object_type="visit_list", region_code=clean,
        ip=client_ip(request), detail=f"{ext}: {len(vl.rows)} families",
    )  # fmt: skip
    if not policy(user.role).full_nik:
        vl.rows["no_kk"] = [mask_nik(str(k), role=user.role) for k in vl.rows["no_kk"]]
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


def _masked(frame: Any, role: str) -> Any:
    """A copy of `frame` with its NIK and No KK columns masked for `role`."""
    out = frame.copy()
    for col in ("nik", "no_kk"):
        if col in out:
            out[col] = [
                mask_nik(v, role=role) if isinstance(v, str) else v for v in out[col]
            ]
    return out


@router.get("/regions/{code}/gaps.xlsx")
def gaps_download(request: Request, code: str, user: PageUser, db: DbDep) -> Response:
    """The desa's intervention gaps (families at risk, missing items) as Excel."""
    clean = _require_desa(user, code)
    gaps = insights.desa_convergence(
        db, clean, year=None,
        welfare_max_decile=get_settings(request).welfare_eligible_max_decile,
    )  # fmt: skip
    if gaps is None:
        raise NotFound(f"no intervention records for desa {clean}")
    accounts.record(
        db, actor=user, action="export", object_type="gaps", region_code=clean,
        ip=client_ip(request), detail=f"{len(gaps.missing)} missing items",
    )  # fmt: skip
    if not policy(user.role).full_nik:
        gaps = dataclasses.replace(
            gaps,
            missing=_masked(gaps.missing, user.role),
            families=_masked(gaps.families, user.role),
        )
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
