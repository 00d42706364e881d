"""Small builders for messy e-PPGBM, family and screening files (CSV, Latin-1, HTML-xls, XLSX)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

EPPGBM_HEADER = [
    "No", "NIK", "Nama", "JK", "Tgl Lahir", "BB Lahir", "TB Lahir", "Nama Ortu", "NIK Ortu",
    "No KK", "Prov", "Kab/Kota", "Kec", "Pukesmas", "Desa/Kel", "Posyandu", "RT", "RW",
    "Alamat", "Usia Saat Ukur", "Tanggal Pengukuran", "Berat", "Tinggi", "Cara Ukur", "LiLA",
    "Lingkar Kepala", "BB/U", "ZS BB/U", "TB/U", "ZS TB/U", "BB/TB", "ZS BB/TB",
    "Naik Berat Badan",
]  # fmt: skip

# A valid NIK for a girl born 05-07-2023 in Samarinda (day 05 + 40 = 45).
NIK_SITI = "6472014507230001"
NIK_RINA = "6472015003950002"
KK_1 = "6472010101200001"


def eppgbm_row(**values: str) -> dict[str, str]:
    """One export row; defaults describe a healthy girl measured in Samarinda."""
    row = {
        "No": "1",
        "NIK": NIK_SITI,
        "Nama": "Siti Aminah",
        "JK": "P",
        "Tgl Lahir": "05/07/2023",
        "BB Lahir": "3.1",
        "TB Lahir": "49",
        "Nama Ortu": "Rina Wati",
        "NIK Ortu": NIK_RINA,
        "No KK": KK_1,
        "Prov": "KALIMANTAN TIMUR",
        "Kab/Kota": "KOTA SAMARINDA",
        "Kec": "SUNGAI KUNJANG",
        "Pukesmas": "Sungai Kunjang",
        "Desa/Kel": "Loa Bakung",
        "Posyandu": "Mawar 1",
        "RT": "04",
        "RW": "02",
        "Alamat": "Jl. Mawar",
        "Usia Saat Ukur": "1 th 3 bl",
        "Tanggal Pengukuran": "10/10/2024",
        "Berat": "9.8",
        "Tinggi": "76.5",
        "Cara Ukur": "Terlentang",
        "LiLA": "14",
        "Lingkar Kepala": "45",
        "BB/U": "Berat Badan Normal",
        "ZS BB/U": "-0.5",
        "TB/U": "Normal",
        "ZS TB/U": "-1.2",
        "BB/TB": "Gizi Baik",
        "ZS BB/TB": "0.1",
        "Naik Berat Badan": "Y",
    }
    row.update(values)
    return row


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[dict[str, str]],
    *,
    sep: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
    decimal_comma: bool = False,
    preamble: str | None = None,
    nbsp: bool = False,
) -> Path:
    """Write rows the way real exports do (separator, BOM, encoding, NBSP padding...)."""

    def cell(value: str) -> str:
        if decimal_comma:
            value = _decimal_comma(value)
        if nbsp and value:
            value = f"\u00a0{value}\u00a0"
        if sep in value or '"' in value:
            value = '"' + value.replace('"', '""') + '"'
        return value

    lines = []
    if preamble is not None:
        lines.append(preamble)
    lines.append(sep.join(header))
    for row in rows:
        lines.append(sep.join(cell(row.get(h, "")) for h in header))
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _decimal_comma(value: str) -> str:
    parts = value.split(".")
    if len(parts) == 2 and parts[0].lstrip("-").isdigit() and parts[1].isdigit():
        return f"{parts[0]},{parts[1]}"
    return value


def write_html_xls(
    path: Path, header: Sequence[str], rows: Sequence[dict[str, str]]
) -> Path:
    """The HTML table that old e-PPGBM `.xls` downloads really are."""
    out = [
        '<html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8">'
        "</head><body><p>Data Tanggal : 01-11-2025</p><table border=1>"
    ]
    out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = "".join(
            f"<td>&nbsp;{html.escape(row.get(h, ''))}&nbsp;</td>" for h in header
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table></body></html>")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def write_xlsx(
    path: Path, header: Sequence[str], rows: Sequence[dict[str, str]]
) -> Path:
    """An XLSX with a `Data Tanggal` line above the header and numbers as numbers."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    sheet.write(0, 0, "Data Tanggal : 01-11-2025")
    for c, name in enumerate(header):
        sheet.write(1, c, name)
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(header):
            value = row.get(name, "")
            try:
                number = float(value)
            except ValueError:
                sheet.write_string(r, c, value)
            else:
                if name in ("NIK", "NIK Ortu", "No KK"):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write_number(r, c, number)
    book.close()
    return path


def many_eppgbm_rows(n: int) -> list[dict[str, str]]:
    """`n` plausible rows: n // 4 children without NIK, 4 monthly visits each."""
    rows = []
    for i in range(n):
        child, visit = divmod(i, 4)
        month = 1 + visit
        rows.append(
            eppgbm_row(
                No=str(i + 1),
                NIK="",
                **{"NIK Ortu": "", "No KK": ""},
                Nama=f"Anak {child:06d}",
                **{"Nama Ortu": f"Ibu {child:06d}"},
                **{"Tgl Lahir": f"{1 + child % 28:02d}/{1 + child % 12:02d}/2022"},
                **{"Tanggal Pengukuran": f"15/{month:02d}/2025"},
                Berat=f"{11 + visit * 0.2:.1f}",
                Tinggi=f"{85 + visit * 0.5:.1f}",
                **{"Cara Ukur": "Berdiri"},
            )
        )
    return rows
