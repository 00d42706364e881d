"""The gap list as an Excel workbook: the list each office takes away from the meeting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tumbuh.errors import InvalidInput
from tumbuh.interventions.coverage import ConvergenceResult

# Sheet "gaps": one row per family at risk and missing intervention (and member, for person
# kinds). Headers in Bahasa Indonesia with the English in brackets.
GAP_HEADERS: tuple[tuple[str, str], ...] = (
    ("sector", "Dinas/Sektor (office)"),
    ("desa_code", "Kode Desa"),
    ("desa_name", "Desa"),
    ("no_kk", "No KK"),
    ("head_name", "Kepala Keluarga (head)"),
    ("code", "Kode Intervensi"),
    ("name_id", "Intervensi yang belum diterima (missing)"),
    ("person_name", "Sasaran (member)"),
    ("nik", "NIK Sasaran"),
    ("target_group", "Kelompok sasaran (group)"),
)
FAMILY_HEADERS: tuple[str, ...] = (
    "Kode Desa",
    "Desa",
    "No KK",
    "Kepala Keluarga (head)",
    "Jumlah intervensi wajib (required)",
    "Jumlah belum diterima (missing)",
    "Paket lengkap (full package)",
    "Intervensi yang belum diterima (missing)",
    "Dinas/Sektor (offices)",
)


def family_rows(result: ConvergenceResult) -> list[list[object]]:
    """One row per family at risk: its missing interventions and the offices responsible."""
    items: dict[int, list[str]] = {}
    offices: dict[int, set[str]] = {}
    for rec in result.missing.to_dict(orient="records"):
        fid = int(rec["family_id"])
        who = f" ({rec['person_name']})" if rec["person_name"] else ""
        items.setdefault(fid, []).append(f"{rec['name_id']}{who}")
        offices.setdefault(fid, set()).add(str(rec["sector"]))
    fams = result.families.sort_values(["desa_code", "no_kk"], na_position="last")
    out: list[list[object]] = []
    for fam in fams.to_dict(orient="records"):
        fid = int(fam["family_id"])
        out.append(
            [
                fam["desa_code"] or "",
                fam["desa_name"],
                fam["no_kk"] or "",
                fam["head_name"],
                int(fam["required"]),
                int(fam["missing"]),
                "ya" if fam["full_package"] else "tidak",
                "; ".join(items.get(fid, [])),
                "; ".join(sorted(offices.get(fid, set()))),
            ]
        )
    return out


def sheet_name(sector: str, taken: set[str]) -> str:
    """An Excel-safe sheet name for a sector (no []:*?/\\, at most 31 characters, unique)."""
    base = re.sub(r"[\[\]:*?/\\]", "-", sector).strip("'") or "sektor"
    name = base[:31]
    n = 2
    while name.lower() in taken:
        suffix = f" {n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def _sector_sheets(book: Any, result: ConvergenceResult, bold: Any) -> None:
    """One sheet per responsible office: its missing items, family by family."""
    taken = {"keluarga", "gaps", "desa"}
    keys = [k for k, _ in GAP_HEADERS if k != "sector"]
    heads = [h for k, h in GAP_HEADERS if k != "sector"]
    for sector, part in result.missing.groupby("sector", sort=True):
        sheet = book.add_worksheet(sheet_name(str(sector), taken))
        for c, name in enumerate(heads):
            sheet.write(0, c, name, bold)
        for r, rec in enumerate(part.to_dict(orient="records"), start=1):
            for c, key in enumerate(keys):
                value = rec.get(key)
                text = "" if value is None or value != value else str(value)
                sheet.write_string(r, c, text)
        sheet.set_column(0, len(keys) - 1, 20)
        sheet.freeze_panes(1, 0)


def write_gaps_xlsx(result: ConvergenceResult, path: Path) -> None:
    """Write sheets `keluarga` (per family), `gaps` (per missing item), one per office, and
    `desa` (full-package shares)."""
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput(f"--xlsx must end in .xlsx, not {path.name}")
    from tumbuh.tabular.guard import guarded_workbook

    try:
        book = guarded_workbook(path)
    except OSError as exc:  # pragma: no cover - xlsxwriter opens on close
        raise InvalidInput(f"{path}: cannot write ({exc})") from None
    try:
        bold = book.add_format({"bold": True, "text_wrap": True})
        text = book.add_format({"num_format": "@"})
        sheet = book.add_worksheet("keluarga")
        for c, name in enumerate(FAMILY_HEADERS):
            sheet.write(0, c, name, bold)
        for r, row in enumerate(family_rows(result), start=1):
            for c, value in enumerate(row):
                if c in (0, 2):
                    sheet.write_string(r, c, str(value), text)
                elif isinstance(value, int):
                    sheet.write_number(r, c, value)
                else:
                    # Names come from imported files: never let "=..." become a formula.
                    sheet.write_string(r, c, str(value))
        sheet.set_column(0, 3, 18)
        sheet.set_column(7, 8, 60)
        sheet.freeze_panes(1, 0)

        gaps = book.add_worksheet("gaps")
        for c, (_, name) in enumerate(GAP_HEADERS):
            gaps.write(0, c, name, bold)
        for r, rec in enumerate(result.missing.to_dict(orient="records"), start=1):
            for c, (key, _) in enumerate(GAP_HEADERS):
                value = rec.get(key)
                gaps.write_string(
                    r, c, "" if value is None or value != value else str(value)
                )
        gaps.set_column(0, len(GAP_HEADERS) - 1, 20)
        gaps.freeze_panes(1, 0)
        if len(result.missing):
            gaps.autofilter(0, 0, len(result.missing), len(GAP_HEADERS) - 1)

        _sector_sheets(book, result, bold)

        desa = book.add_worksheet("desa")
        heads = [
            "Kode Desa",
            "Desa",
            "Keluarga berisiko (KRS)",
            "Paket lengkap",
            "% paket lengkap",
        ]
        for c, name in enumerate(heads):
            desa.write(0, c, name, bold)
        for r, d in enumerate(result.by_desa.to_dict(orient="records"), start=1):
            desa.write_string(r, 0, str(d["desa_code"]))
            desa.write_string(r, 1, str(d["desa_name"]))
            desa.write_number(r, 2, int(d["krs_families"]))
            desa.write_number(r, 3, int(d["full_package"]))
            desa.write_number(r, 4, float(d["full_package_pct"]))
        desa.set_column(0, 4, 20)
    finally:
        book.close()
