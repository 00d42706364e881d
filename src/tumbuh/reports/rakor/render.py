"""The pack's three files: A4 PDF (fpdf2), editable slides (python-pptx), workbook (xlsxwriter).

All three show the same sections; the workbook also holds the indicator items exactly as
``tumbuh indicators --json`` gives them (same engine call, same suppression). Text cells are
written as strings, never as formulas.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from tumbuh.reports import engine
from tumbuh.reports.rakor.content import Cell, Pack, Section, Table
from tumbuh.reports.rakor.geo import font_path
from tumbuh.reports.rakor.words import number, word

__all__ = ["cell_text", "write_pack", "write_pdf", "write_pptx", "write_xlsx"]


def cell_text(value: Cell, lang: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return word("yes" if value else "no", "en" if lang == "en" else "id")
    if isinstance(value, int):
        return number(float(value), "en" if lang == "en" else "id", 0)
    if isinstance(value, float):
        return number(value, "en" if lang == "en" else "id", 1)
    return str(value)


def _subtitle(pack: Pack) -> str:
    w = pack.lang
    return (
        f"{pack.region_name} ({pack.region}) · {word('pack.period', w)} {pack.period} · "
        f"{word('pack.made_on', w)} {pack.made_on.isoformat()}"
    )


# ---------------------------------------------------------------------------- PDF


def write_pdf(pack: Pack, path: Path) -> None:
    """A4 portrait; every page carries the region, period, date and 'page n of N'."""
    from fpdf import FPDF
    from fpdf.enums import TableCellFillMode

    regular, bold = font_path(), font_path(bold=True)
    if regular is None or bold is None:
        raise RuntimeError("DejaVu Sans not found (install Debian's fonts-dejavu-core)")
    lang = pack.lang
    header = f"{word('pack.title', lang)} · {_subtitle(pack)}"
    audience = word(f"pack.audience.{pack.audience}", lang)

    class _Pdf(FPDF):
        def header(self) -> None:
            self.set_font("DejaVu", "", 7.5)
            self.set_text_color(90, 90, 90)
            self.cell(0, 4, header, new_x="LMARGIN", new_y="NEXT")
            self.cell(0, 4, audience, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 7.5)
            text = word("pack.page", lang, n=self.page_no(), total="{nb}")
            self.cell(0, 8, text, align="C")

    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(_midnight(pack))
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(0, 9, word("pack.title", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, _subtitle(pack), new_x="LMARGIN", new_y="NEXT")
    if pack.threshold is not None:
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(
            0,
            4.5,
            word("pack.suppressed", lang, n=pack.threshold),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 6, word("pack.contents", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for i, sec in enumerate(pack.sections, start=1):
        pdf.cell(0, 5, f"{i}. {sec.title}", new_x="LMARGIN", new_y="NEXT")
    for i, sec in enumerate(pack.sections, start=1):
        _pdf_section(pdf, pack, sec, i, TableCellFillMode)
    pdf.output(str(path))


def _midnight(pack: Pack) -> dt.datetime:
    return dt.datetime(
        pack.made_on.year, pack.made_on.month, pack.made_on.day, tzinfo=dt.UTC
    )


def _pdf_section(pdf: Any, pack: Pack, sec: Section, i: int, fill: Any) -> None:
    p = pdf  # fpdf.FPDF (untyped)
    wide = any(len(t.columns) > _PORTRAIT_COLUMNS for t in sec.tables)
    p.add_page(orientation="L" if wide else "P")
    p.set_font("DejaVu", "B", 14)
    p.multi_cell(0, 7, f"{i}. {sec.title}", new_x="LMARGIN", new_y="NEXT")
    p.set_font("DejaVu", "", 10)
    p.multi_cell(0, 5.5, sec.message, new_x="LMARGIN", new_y="NEXT")
    p.ln(2)
    if sec.image is not None:
        p.image(io.BytesIO(sec.image), w=180)
        p.ln(2)
    for table in sec.tables:
        _pdf_table(p, pack, table, fill)
    notes = [n for n in sec.notes if all(n != t.note for t in sec.tables)]
    if notes:
        p.set_font("DejaVu", "", 7.5)
        for note in notes:
            p.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")


_PORTRAIT_COLUMNS = 7  # wider tables (the actions) get a landscape page


def _pdf_table(p: Any, pack: Pack, table: Table, fill: Any) -> None:
    pdf = p
    if len(table.columns) > 1 and table.title and table.key not in {"headline"}:
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(0, 5, table.title, new_x="LMARGIN", new_y="NEXT")
    if not table.rows:
        pdf.set_font("DejaVu", "", 8.5)
        pdf.multi_cell(
            0,
            5,
            table.note or word("pack.none", pack.lang),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(2)
        return
    size = 8 if len(table.columns) <= 6 else 6.5
    pdf.set_font("DejaVu", "", size)
    widths = _widths(table, pack.lang)
    with pdf.table(
        col_widths=widths,
        line_height=size * 0.55,
        repeat_headings=1,
        cell_fill_color=(240, 244, 241),
        cell_fill_mode=fill.ROWS,
        headings_style=_heading_style(),
    ) as out:
        out.row([str(c) for c in table.columns])
        for row in table.rows:
            out.row([cell_text(v, pack.lang) for v in row])
    if table.note:
        pdf.set_font("DejaVu", "", 7)
        pdf.multi_cell(0, 4, table.note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _heading_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(217, 230, 222))


def _widths(table: Table, lang: str) -> tuple[float, ...]:
    """Column widths from the longest text (capped), so reasons get the room."""
    longest = []
    for j, col in enumerate(table.columns):
        texts = [str(col)] + [cell_text(r[j], lang) for r in table.rows]
        word_len = max(len(w) for t in texts for w in (t.split() or [""]))
        longest.append(max(min(max(len(t) for t in texts), 40), word_len + 1) + 2)
    return tuple(float(x) for x in longest)


# ---------------------------------------------------------------------------- slides


def write_pptx(pack: Pack, path: Path) -> None:
    """16:9 slides: a title slide, then one slide per section with its message as the title
    and its first table (or the map) below; every text is an editable text frame."""
    from pptx import Presentation
    from pptx.util import Emu, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)
    lang = pack.lang
    title = prs.slides.add_slide(prs.slide_layouts[0])
    title.shapes.title.text = word("pack.title", lang)
    title.placeholders[
        1
    ].text = f"{_subtitle(pack)}\n{word(f'pack.audience.{pack.audience}', lang)}"
    for sec in pack.sections:
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
        slide.shapes.title.text = sec.message
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(26)
        box = slide.shapes.add_textbox(
            Emu(457200), Emu(1500000), Emu(11277600), Emu(400000)
        )
        box.text_frame.text = f"{sec.title} · {word('pack.period', lang)} {pack.period}"
        box.text_frame.paragraphs[0].font.size = Pt(14)
        top = 1950000
        if sec.image is not None:
            slide.shapes.add_picture(
                io.BytesIO(sec.image), Emu(1800000), Emu(top), height=Emu(4600000)
            )
            continue
        tables = [t for t in sec.tables if t.rows][:1]
        if not tables:
            note = next((t.note for t in sec.tables if t.note), "") or word(
                "pack.none", lang
            )
            tb = slide.shapes.add_textbox(
                Emu(457200), Emu(top), Emu(11277600), Emu(800000)
            )
            tb.text_frame.text = note
            continue
        _pptx_table(slide, tables[0], lang, top)
    prs.core_properties.title = word("pack.title", lang)
    prs.save(str(path))


_SLIDE_ROWS = 12


def _pptx_table(slide: Any, table: Table, lang: str, top: int) -> None:
    from pptx.util import Emu, Pt

    rows = table.rows[:_SLIDE_ROWS]
    cols = len(table.columns)
    shape = slide.shapes.add_table(
        len(rows) + 1,
        cols,
        Emu(457200),
        Emu(top),
        Emu(11277600),
        Emu(300000 * (len(rows) + 1)),
    )
    grid = shape.table
    size = Pt(11 if cols <= 5 else 9)
    for j, col in enumerate(table.columns):
        grid.cell(0, j).text = str(col)
        grid.cell(0, j).text_frame.paragraphs[0].font.size = size
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            text = cell_text(value, lang)
            if len(text) > 140:
                text = text[:137] + "..."
            grid.cell(i, j).text = text
            grid.cell(i, j).text_frame.paragraphs[0].font.size = size


# ---------------------------------------------------------------------------- workbook


def _sheet(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "data"
    out, n = base, 2
    while out in used:
        out = f"{base[:28]}_{n}"
        n += 1
    used.add(out)
    return out


def write_xlsx(pack: Pack, path: Path) -> None:
    """Sheet 'indikator' (the region) and 'indikator_<level>' (one level down) as
    ``tumbuh indicators --json`` items, then one sheet per table of the pack."""
    from tumbuh.tabular.guard import guarded_workbook

    book = guarded_workbook(path)
    bold = book.add_format({"bold": True, "bg_color": "#E8F1EC"})
    used: set[str] = set()
    for name, items in (
        ("indikator", pack.own_items),
        (f"indikator_{pack.child_level}", pack.child_items),
    ):
        ws = book.add_worksheet(_sheet(name, used))
        for j, col in enumerate(engine.ITEM_COLUMNS):
            ws.write_string(0, j, col, bold)
        for i, rec in enumerate(engine.to_records(items), start=1):
            for j, col in enumerate(engine.ITEM_COLUMNS):
                _put(ws, i, j, rec[col])
    for sec in pack.sections:
        for table in sec.tables:
            ws = book.add_worksheet(_sheet(table.key, used))
            ws.write_string(0, 0, f"{sec.title}: {table.title}", bold)
            for j, col in enumerate(table.columns):
                ws.write_string(1, j, str(col), bold)
            for i, row in enumerate(table.rows, start=2):
                for j, value in enumerate(row):
                    _put(ws, i, j, value)
            if table.note:
                ws.write_string(len(table.rows) + 3, 0, table.note)
    book.close()


def _put(ws: Any, row: int, col: int, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value)
    else:
        ws.write_string(row, col, str(value))


def write_pack(pack: Pack, out_dir: Path) -> list[Path]:
    """The three files ``rakor-CODE-P.{pdf,pptx,xlsx}`` in `out_dir` (created if needed);
    each is written to a temporary name and renamed, so no half-written file is left."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for ext, writer in (("pdf", write_pdf), ("pptx", write_pptx), ("xlsx", write_xlsx)):
        final = out_dir / f"{pack.stem}.{ext}"
        tmp = out_dir / f".{pack.stem}.{ext}.part"
        writer(pack, tmp)
        tmp.replace(final)
        written.append(final)
    return written
