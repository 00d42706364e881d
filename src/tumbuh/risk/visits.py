"""Visit lists: per desa, the families ranked by risk of a new stunting case, with their
reasons and the next suggested action, in Bahasa Indonesia; printable PDF and Excel.

:func:`visit_list` returns personal data (names, addresses): the web layer calls it only
after checking that the user may see the desa; the CLI is an admin tool.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.register.models import Family, Person, Region
from tumbuh.risk.models import RiskScore

__all__ = [
    "COLUMNS",
    "VisitList",
    "suggested_action",
    "visit_list",
    "write_pdf",
    "write_xlsx",
]

# Next action per reason key, in the order they are tried (the family's strongest reasons
# first, then this order); at most three actions are joined.
_ACTIONS: dict[str, str] = {
    "kek": "Periksa LiLA & Hb ibu hamil, beri PMT ibu hamil, rujuk ke puskesmas",
    "anaemia": "Periksa Hb ibu hamil, pastikan minum TTD setiap hari",
    "pregnant": "Pastikan ANC minimal 6 kali dan kelas ibu hamil",
    "haz": "Ukur panjang/tinggi anak di posyandu, konseling PMBA",
    "haz_slope": "Ukur ulang anak, rujuk ke puskesmas bila TB/U terus turun",
    "faltering": "Timbang ulang anak; bila 2T rujuk ke puskesmas",
    "bgm": "Rujuk anak BGM ke puskesmas, beri PMT anak",
    "waz": "Konseling PMBA dan PMT anak",
    "window": "Pantau tumbuh kembang setiap bulan di posyandu, konseling ASI & MP-ASI",
    "lbw": "Pantau tumbuh kejar anak BBLR setiap bulan",
    "water": "Edukasi air minum aman (rebus/olah), hubungkan ke program air bersih",
    "latrine": "Edukasi jamban sehat, hubungkan ke program sanitasi (STBM)",
    "too_young": "Konseling pendewasaan usia perkawinan dan KB",
    "too_old": "Konseling KB dan risiko kehamilan usia lanjut",
    "too_close": "Konseling KB pascapersalinan (jarak kelahiran)",
    "too_many": "Konseling KB",
    "poor": "Hubungkan ke bantuan sosial (PKH, BPNT)",
    "desa_prev": "Kunjungan rutin TPK",
    "unmeasured": "Ajak anak ke posyandu untuk diukur panjang badannya",
}

COLUMNS: dict[str, str] = {
    "rank": "No",
    "no_kk": "No KK",
    "head_name": "Kepala Keluarga",
    "mother_name": "Ibu",
    "address": "Alamat",
    "risk_pct": "Risiko (%)",
    "krs": "KRS",
    "reasons": "Alasan (faktor yang menaikkan risiko)",
    "signals": "Tanda risiko",
    "action": "Tindakan berikutnya",
}


def suggested_action(reason_keys: str, *, most: int = 2) -> str:
    """The next actions for a family, from its reason keys (strongest first)."""
    keys = [k for k in reason_keys.split(";") if k in _ACTIONS]
    actions: list[str] = []
    for key in keys:
        text = _ACTIONS[key]
        if text not in actions:
            actions.append(text)
        if len(actions) >= most:
            break
    if not actions:
        return "Kunjungi keluarga, perbarui data KRS dan ajak anak ke posyandu"
    return "Kunjungi: " + "; ".join(actions)


@dataclass
class VisitList:
    """One desa's ranked families (``rows`` has the keys of :data:`COLUMNS`)."""

    desa_code: str
    desa_name: str
    kecamatan_name: str
    kabkota_name: str
    year: int
    generated_on: dt.date
    rows: pd.DataFrame

    @property
    def title(self) -> str:
        return (
            f"Daftar Kunjungan Keluarga Berisiko Stunting - Desa/Kel. {self.desa_name}"
        )


def _region_name(session: Session, code: str) -> str:
    name = session.scalar(select(Region.name).where(Region.code == code))
    return name or code


def visit_list(
    session: Session,
    *,
    desa_code: str,
    year: int | None = None,
    limit: int | None = None,
    min_risk: float = 0.0,
) -> VisitList:
    """Families of ``desa_code`` with a stored risk score for ``year`` (default: the latest
    scored year), highest risk first. Personal data: check the user's scope before calling."""
    code = desa_code.strip()
    if not code:
        raise InvalidInput("--desa: give a desa/kelurahan code such as 64.72.03.1005")
    if year is None:
        year = session.scalar(
            select(func.max(RiskScore.year)).where(RiskScore.desa_code == code)
        )
        if year is None:
            raise NotFound(
                f"no risk scores for desa {code}: run `tumbuh risk score` first "
                "(or check the code)"
            )
    stmt = (
        select(
            RiskScore.family_id,
            RiskScore.risk,
            RiskScore.krs,
            RiskScore.reason_keys,
            RiskScore.reasons_id,
            RiskScore.signal_keys,
            RiskScore.signals_id,
            Family.no_kk,
            Family.address,
            Family.rt,
            Family.rw,
        )
        .join(Family, Family.id == RiskScore.family_id)
        .where(RiskScore.desa_code == code, RiskScore.year == year)
        .where(RiskScore.risk >= min_risk)
        .order_by(RiskScore.risk.desc(), RiskScore.family_id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    result = session.execute(stmt)
    scores = pd.DataFrame(result.all(), columns=list(result.keys()))
    ids = [int(i) for i in scores["family_id"]] if len(scores) else []
    people = session.execute(
        select(Person.family_id, Person.family_role, Person.name).where(
            Person.family_id.in_(ids), Person.family_role.in_(["kepala", "istri"])
        )
    ).all()
    head = {f: n for f, role, n in people if role == "kepala"}
    mother = {f: n for f, role, n in people if role == "istri"}

    def address(r: pd.Series) -> str:
        parts = [str(r["address"] or "").strip()]
        if r["rt"] or r["rw"]:
            parts.append(f"RT {r['rt'] or '-'}/RW {r['rw'] or '-'}")
        return ", ".join(p for p in parts if p)

    rows = pd.DataFrame(
        {
            "rank": range(1, len(scores) + 1),
            "no_kk": scores["no_kk"] if len(scores) else [],
            "head_name": [head.get(int(f), "") for f in ids],
            "mother_name": [mother.get(int(f), "") for f in ids],
            "address": [address(r) for _, r in scores.iterrows()],
            "risk_pct": [round(100 * float(x), 1) for x in scores.get("risk", [])],
            "krs": ["Ya" if k else "Tidak" for k in scores.get("krs", [])],
            "reasons": list(scores.get("reasons_id", [])),
            "signals": list(scores.get("signals_id", [])),
            # Actionable signals first (KEK, anaemia, 2T ...), then the model's reasons.
            "action": [
                suggested_action(f"{sk};{rk}")
                for sk, rk in zip(
                    scores.get("signal_keys", []),
                    scores.get("reason_keys", []),
                    strict=True,
                )
            ],
        }
    )
    parts = code.split(".")
    return VisitList(
        desa_code=code,
        desa_name=_region_name(session, code),
        kecamatan_name=_region_name(session, ".".join(parts[:3])),
        kabkota_name=_region_name(session, ".".join(parts[:2])),
        year=int(year),
        generated_on=dt.date.today(),
        rows=rows,
    )


def _header_lines(vl: VisitList) -> list[str]:
    return [
        f"Kecamatan {vl.kecamatan_name}, {vl.kabkota_name} (kode desa {vl.desa_code})",
        f"Risiko kasus stunting baru tahun {vl.year}; dicetak {vl.generated_on:%d-%m-%Y}; "
        f"{len(vl.rows)} keluarga",
        "RAHASIA: berisi data pribadi, hanya untuk Tim Pendamping Keluarga (TPK).",
    ]


def write_xlsx(vl: VisitList, path: Path) -> None:
    """The visit list as an Excel workbook (one sheet, Indonesian headers)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    try:
        sheet = book.add_worksheet("Daftar Kunjungan")
        bold = book.add_format({"bold": True})
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        sheet.write(0, 0, vl.title, bold)
        for i, line in enumerate(_header_lines(vl), start=1):
            sheet.write(i, 0, line)
        top = len(_header_lines(vl)) + 2
        widths = [5, 18, 22, 22, 30, 10, 7, 55, 40, 55]
        for j, (key, label) in enumerate(COLUMNS.items()):
            sheet.write(top, j, label, head)
            sheet.set_column(j, j, widths[j])
            for i, value in enumerate(vl.rows[key].tolist(), start=top + 1):
                if key in ("rank", "risk_pct"):
                    sheet.write_number(i, j, float(value))
                else:
                    sheet.write_string(i, j, str(value), wrap)
        sheet.freeze_panes(top + 1, 0)
        if len(vl.rows):
            sheet.autofilter(top, 0, top + len(vl.rows), len(COLUMNS) - 1)
    finally:
        book.close()


_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)


def _latin1(text: str) -> str:
    return text.replace("\u2192", "->").encode("latin-1", "replace").decode("latin-1")


def write_pdf(vl: VisitList, path: Path) -> None:
    """The visit list as an A4 landscape PDF: header with the desa and date, page numbers.

    Uses DejaVu Sans when the system has it (all characters), else the core Helvetica font
    with text reduced to Latin-1."""
    from fpdf import FPDF

    regular = next(
        (d / "DejaVuSans.ttf" for d in _FONT_DIRS if (d / "DejaVuSans.ttf").exists()),
        None,
    )
    bold = regular.with_name("DejaVuSans-Bold.ttf") if regular else None
    title = vl.title
    lines = _header_lines(vl)

    class _Pdf(FPDF):
        def header(self) -> None:
            self.set_font(family, "B", 11)
            self.cell(0, 6, clean(title), new_x="LMARGIN", new_y="NEXT")
            self.set_font(family, "", 8)
            for line in lines:
                self.cell(0, 4.5, clean(line), new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(family, "", 8)
            self.cell(0, 8, f"Halaman {self.page_no()}/{{nb}}", align="C")

    pdf = _Pdf(orientation="L", unit="mm", format="A4")
    if regular is not None and bold is not None and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        family = "DejaVu"

        def clean(text: str) -> str:
            return text

    else:
        family = "Helvetica"
        clean = _latin1
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(family, "", 7)
    widths = (8, 25, 26, 26, 32, 12, 9, 50, 40, 49)
    with pdf.table(
        col_widths=widths,
        text_align=(
            "RIGHT",
            "LEFT",
            "LEFT",
            "LEFT",
            "LEFT",
            "RIGHT",
            "CENTER",
            "LEFT",
            "LEFT",
            "LEFT",
        ),
        line_height=3.6,
        repeat_headings=1,
    ) as table:
        table.row([clean(label) for label in COLUMNS.values()])
        for rec in vl.rows.to_dict("records"):
            table.row(
                [
                    clean(
                        f"{rec[k]:.1f}".replace(".", ",")
                        if k == "risk_pct"
                        else str(rec[k])
                    )
                    for k in COLUMNS
                ]
            )
    if vl.rows.empty:
        pdf.cell(0, 8, clean("Tidak ada keluarga dengan skor risiko di desa ini."))
    pdf.output(str(path))
