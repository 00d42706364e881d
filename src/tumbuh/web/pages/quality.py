"""Data-quality page: score, band, checks and reasons per desa or posyandu and period
(from `tumbuh.surveillance.routine.quality_report`, cached per database in web.insights),
with filters (kab/kota, kecamatan, band, check, a name search) and pages of 50 rows, all
GET parameters, so it works without JavaScript; the Excel download follows the filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import require_region
from tumbuh.analytics import quality as quality_mod
from tumbuh.errors import InvalidInput
from tumbuh.register.master import children_of, find_region, get_region, lineage
from tumbuh.register.regions import name_key
from tumbuh.web import insights
from tumbuh.web.cache import stale_as_of
from tumbuh.web.deps import DbDep, LangDep, PageNo, PageUser, SettingsDep
from tumbuh.web.export import xlsx_response
from tumbuh.web.templating import render

router = APIRouter()
PAGE_SIZE = 50
#: The scored checks, in the order the page explains them (analytics.quality.CRITERIA).
CHECKS = tuple(c.key for c in quality_mod.CRITERIA)
BANDS = tuple(insights.QUALITY_COLORS)


def _choice(values: tuple[str, ...]) -> str:
    return "^(" + "|".join(values) + ")?$"


# Empty values are what a form's "all" option sends: they mean "no filter".
KabkotaQuery = Annotated[str, Query(pattern=r"^(\d{2}\.\d{2})?$")]
KecamatanQuery = Annotated[str, Query(pattern=r"^(\d{2}\.\d{2}\.\d{2})?$")]
BandQuery = Annotated[str, Query(pattern=_choice(BANDS))]
CheckQuery = Annotated[str, Query(pattern=_choice(CHECKS))]
SearchQuery = Annotated[str, Query(max_length=60)]


@dataclass(frozen=True, slots=True)
class QualityFilters:
    """The page's GET parameters; `area` is the deepest region chosen (page region, or the
    kab/kota or kecamatan filter inside it)."""

    level: str
    period: str
    kabkota: str
    kecamatan: str
    band: str
    check: str
    q: str

    @property
    def filtered(self) -> bool:
        return any((self.kabkota, self.kecamatan, self.band, self.check, self.q))

    def url(self, *, page: int = 1, export: bool = False) -> str:
        params = {
            "level": self.level,
            "period": self.period,
            "kabkota": self.kabkota,
            "kecamatan": self.kecamatan,
            "band": self.band,
            "check": self.check,
            "q": self.q,
            "page": page if page > 1 else "",
            "format": "xlsx" if export else "",
        }
        return "?" + urlencode({k: v for k, v in params.items() if v})

    def keeps(self, row: dict[str, Any]) -> bool:
        """Does a quality row pass the band, check and name filters?"""
        if self.band and row.get("band") != self.band:
            return False
        if self.check and not (row.get("points") or {}).get(self.check):
            return False
        if self.q:
            wanted = name_key(self.q)
            names = (row.get("name"), row.get("desa_name"))
            return any(wanted in name_key(str(n)) for n in names if n)
        return True


def _area(code: str, kabkota: str, kecamatan: str) -> tuple[str, str, str]:
    """(area, kab/kota, kecamatan) once checked against the page's region: a filter outside
    it is invalid input (no form offers one); a kecamatan outside the chosen kab/kota is
    dropped (the form still held it after the kab/kota changed)."""
    for chosen in (kabkota, kecamatan):
        if chosen and not _nested(chosen, code):
            raise InvalidInput(f"{chosen} is not inside {code}")
    if kecamatan and kabkota and not kecamatan.startswith(kabkota + "."):
        kecamatan = ""
    deepest = max((code, kabkota, kecamatan), key=lambda c: c.count(".") if c else -1)
    return deepest, kabkota, kecamatan


def _nested(a: str, b: str) -> bool:
    """Is one of the two codes the other or inside it?"""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


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


def _name(code: str | None) -> str | None:
    found = find_region(code) if code else None
    return found.name if found is not None else code


def _placed(row: dict[str, Any], level: str) -> dict[str, Any]:
    """The row with its desa, kecamatan and kab/kota (codes and names from the master)."""
    desa = str(row.get("code") if level == "desa" else row.get("parent_code") or "")
    placed = dict(row)
    points = row.get("points") or {}
    placed["problems"] = [c for c in CHECKS if points.get(c)]
    placed["desa_code"] = desa or None
    if level == "desa":
        placed["desa_name"] = row.get("name") or _name(desa)
    else:  # a posyandu: its desa is its parent
        placed["desa_name"] = (row.get("parent_name") or _name(desa)) if desa else None
    for part, key in ((3, "kecamatan"), (2, "kabkota")):
        code = ".".join(desa.split(".")[:part]) if desa.count(".") >= part - 1 else ""
        placed[f"{key}_code"] = code or None
        placed[f"{key}_name"] = _name(code) if code else None
    return placed


def _area_options(region_code: str, kabkota: str) -> dict[str, Any]:
    """Choices of the kab/kota and kecamatan filters under the page's region."""
    level = region_code.count(".") + 1
    kabs = children_of(region_code) if level == 1 else []
    parent = kabkota or (region_code if level == 2 else "")
    if level > 2:
        kecs: list[tuple[str, list[Any]]] = []
    elif parent:
        kecs = [("", children_of(parent))]
    else:  # the province page before a kab/kota is chosen: every kecamatan, grouped
        kecs = [(k.name, children_of(k.code)) for k in kabs]
    return {"kabkota_options": kabs, "kecamatan_groups": kecs}


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
    kabkota: KabkotaQuery = "",
    kecamatan: KecamatanQuery = "",
    band: BandQuery = "",
    check: CheckQuery = "",
    q: SearchQuery = "",
    page: PageNo = 1,
) -> Response:
    clean = require_region(user, code)
    region = get_region(clean)
    area, kabkota, kecamatan = _area(clean, kabkota, kecamatan)
    filters = QualityFilters(level, period, kabkota, kecamatan, band, check, q.strip())
    found = [
        row
        for row in (
            _placed(r, level)
            for r in insights.quality_under(db, area, level=level, period=period)
        )
        if filters.keeps(row)
    ]
    found.sort(
        key=lambda r: (
            r.get("score") is None,
            float(r.get("score") or 0.0),
            str(r.get("code")),
        )
    )
    suppress = not policy(user.role).personal_data
    threshold = settings.small_cell_threshold
    if format == "xlsx":
        return _xlsx(
            clean,
            filters,
            _public(found, suppress=suppress, threshold=threshold),
            lang,
        )
    pages = max(1, -(-len(found) // PAGE_SIZE))
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render(
        request,
        "quality/quality.html",
        {
            "region": region,
            "lineage": lineage(clean),
            "rows": _public(shown, suppress=suppress, threshold=threshold),
            "found": len(found),
            "filters": filters,
            "level": level,
            "period": period,
            "periods": _periods(db, level),
            "colors": insights.QUALITY_COLORS,
            "checks": CHECKS,
            "page": page,
            "pages": pages,
            "stale_as_of": stale_as_of(db),
        }
        | _area_options(clean, kabkota),
        lang=lang,
    )


def _xlsx(
    code: str, filters: QualityFilters, rows: list[dict[str, Any]], lang: str
) -> Response:
    """The rows as a workbook: column names are identifiers, the band and the reasons are
    in the reader's language."""
    en = lang == "en"
    return xlsx_response(
        f"tumbuh_kualitas_{code}_{filters.level}_{filters.period}",
        f"{filters.level} {filters.period}",
        ["kode", "nama", "induk", "desa", "kecamatan", "kabupaten_kota", "periode",
         "anak", "cakupan_pct", "skor", "pita", "penalti", "alasan"],
        [
            (str(q["code"]), q.get("name"), q.get("parent_code"), q.get("desa_name"),
             q.get("kecamatan_name"), q.get("kabkota_name"), q["period"],
             q.get("n_children"), q.get("coverage"), q.get("score"), q.get("band_en" if en else "band_id"),
             q.get("penalty"), " | ".join(q.get("reasons_en" if en else "reasons_id") or []))
            for q in rows
        ],
    )  # fmt: skip
