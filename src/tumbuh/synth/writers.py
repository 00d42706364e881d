"""Turn generated arrays into files: messy e-PPGBM exports, family and screening templates
(docs/templates.md sections 1-3), and Parquet parts for the national-scale benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tumbuh.synth import _lms
from tumbuh.synth.generate import NO_DATE

OBJ = NDArray[np.object_]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

EPPGBM_COLUMNS = [
    "No",
    "NIK",
    "Nama",
    "JK",
    "Tgl Lahir",
    "BB Lahir",
    "TB Lahir",
    "Nama Ortu",
    "NIK Ortu",
    "No KK",
    "Prov",
    "Kab/Kota",
    "Kec",
    "Pukesmas",
    "Desa/Kel",
    "Posyandu",
    "RT",
    "RW",
    "Alamat",
    "Usia Saat Ukur",
    "Tanggal Pengukuran",
    "Berat",
    "Tinggi",
    "Cara Ukur",
    "LiLA",
    "Lingkar Kepala",
    "BB/U",
    "ZS BB/U",
    "TB/U",
    "ZS TB/U",
    "BB/TB",
    "ZS BB/TB",
    "Naik Berat Badan",
    "Kode Desa",
]
FAMILY_COLUMNS = [
    "No KK",
    "NIK",
    "Nama",
    "Hubungan",
    "JK",
    "Tgl Lahir",
    "Kode Desa",
    "RT",
    "RW",
    "Alamat",
    "Sumber Air Minum",
    "Jamban",
    "KB Modern",
    "Hamil",
    "Desil",
    "Tanggal Pendataan",
]
SCREENING_COLUMNS = [
    "Jenis",
    "NIK",
    "Nama",
    "Tgl Lahir",
    "No KK",
    "Kode Desa",
    "Tanggal Skrining",
    "LiLA",
    "Hb",
    "Berat",
    "Tinggi",
    "HPHT",
    "Usia Kehamilan",
    "Kunjungan ANC",
    "Rencana Nikah",
    "JK",
]
WATER_LABELS_ID = (
    "ledeng/PAM",
    "air kemasan/isi ulang",
    "sumur bor",
    "sumur terlindung",
    "mata air terlindung",
    "sumur tak terlindung",
    "mata air tak terlindung",
    "air permukaan/sungai",
    "air hujan",
    "lainnya",
)
LATRINE_LABELS_ID = (
    "milik sendiri dengan septic tank",
    "bersama dengan septic tank",
    "tanpa septic tank",
    "tidak ada",
)
BULAN = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()
DATE_STYLES = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")
NBSP = "\u00a0"


@dataclass(frozen=True)
class FileStyle:
    """How one kab/kota's export looks (real exports differ by who downloaded them)."""

    semicolon: (
        bool  # ';' separator, decimal comma and a BOM (Excel with Indonesian locale)
    )
    date_style: str
    nbsp: bool  # NBSP padding in some text cells


def file_styles(n_kab: int, seed: int) -> list[FileStyle]:
    rng = np.random.default_rng([seed, 7004])
    semi = np.zeros(n_kab, dtype=bool)
    semi[rng.permutation(n_kab)[: max(1, (3 * n_kab) // 10)]] = True
    nbsp = rng.random(n_kab) < 0.4
    dates = rng.integers(0, len(DATE_STYLES), n_kab)
    return [
        FileStyle(bool(semi[k]), DATE_STYLES[int(dates[k])], bool(nbsp[k]))
        for k in range(n_kab)
    ]


def format_dates(days: I64, style: str) -> OBJ:
    """Day numbers (since 1970-01-01) as text; NO_DATE gives an empty string."""
    out = np.full(len(days), "", dtype=object)
    ok = days != NO_DATE
    if not ok.any():
        return out
    uniq, inverse = np.unique(days[ok], return_inverse=True)
    table = pd.to_datetime(uniq, unit="D").strftime(style).to_numpy(object)
    out[ok] = table[inverse]
    return out


def iso_dates(days: I64) -> OBJ:
    return format_dates(days, "%Y-%m-%d")


def fixed(x: F64, dp: int, comma: bool = False) -> OBJ:
    """Fixed-point text (blank for NaN); ``comma`` uses the Indonesian decimal comma."""
    fmt = f"{{:.{dp}f}}"
    vals = [fmt.format(v) if v == v else "" for v in x.tolist()]
    if comma:
        vals = [v.replace(".", ",") for v in vals]
    return np.array(vals, dtype=object)


def digits(x: I64, width: int = 16) -> OBJ:
    return np.array([f"{v:0{width}d}" for v in x.tolist()], dtype=object)


def usia_text(dob: I64, day: I64) -> OBJ:
    """e-PPGBM's 'Usia Saat Ukur': '1 Tahun - 3 Bulan - 12 Hari'."""
    b = dob.astype("datetime64[D]")
    v = day.astype("datetime64[D]")
    bm, vm = b.astype("datetime64[M]"), v.astype("datetime64[M]")
    bd = (b - bm).astype(np.int64)
    vd = (v - vm).astype(np.int64)
    months = (vm - bm).astype(np.int64) - (vd < bd)
    anchor = (bm + months).astype("datetime64[D]") + bd
    days = (v - anchor).astype(np.int64)
    years, months = np.divmod(months, 12)
    return np.array(
        [
            f"{y} Tahun - {m} Bulan - {d} Hari"
            for y, m, d in zip(
                years.tolist(), months.tolist(), days.tolist(), strict=True
            )
        ],
        dtype=object,
    )


def zscore_labels(
    sex: I64, age: I64, weight: F64, lenhei: F64, standing: NDArray[np.bool_]
) -> tuple[F64, F64, F64]:
    """The export's own WAZ, HAZ and WHZ (as e-PPGBM computes them, with the 0.7 cm rule)."""
    agef = age.astype(np.float64)
    adj = lenhei + np.where((age < 731) & standing, 0.7, 0.0)
    adj = adj - np.where((age >= 731) & ~standing, 0.7, 0.0)
    waz = _lms.z_from_value(_lms.weight_for_age(), sex, agef, weight)
    haz = _lms.z_from_value(_lms.length_for_age(), sex, agef, adj)
    whz = _lms.weight_for_lenhei_z(sex, age, adj, weight)
    return np.round(waz, 2), np.round(haz, 2), np.round(whz, 2)


def label(z: F64, cuts: list[float], names: list[str]) -> OBJ:
    idx = np.searchsorted(np.array(cuts), z, side="right")
    out = np.array(names, dtype=object)[idx]
    out[np.isnan(z)] = ""
    return np.asarray(out, dtype=object)


BBU = (
    [-3.0, -2.0, 1.0 + 1e-9],
    [
        "Berat Badan Sangat Kurang",
        "Berat Badan Kurang",
        "Normal",
        "Risiko Berat Badan Lebih",
    ],
)
TBU = ([-3.0, -2.0, 3.0 + 1e-9], ["Sangat Pendek", "Pendek", "Normal", "Tinggi"])
BBTB = (
    [-3.0, -2.0, 1.0 + 1e-9, 2.0 + 1e-9, 3.0 + 1e-9],
    [
        "Gizi Buruk",
        "Gizi Kurang",
        "Gizi Baik",
        "Berisiko Gizi Lebih",
        "Gizi Lebih",
        "Obesitas",
    ],
)


def _text_column(value: object, n: int, sep: str) -> list[str]:
    if isinstance(value, str):
        items = [value] * n
    else:
        arr = np.asarray(value)
        items = arr.tolist() if arr.dtype == object else arr.astype(str).tolist()
        items = [str(v) for v in items]
    if any((sep in v) or ('"' in v) or ("\n" in v) for v in items):
        items = [
            '"' + v.replace('"', '""') + '"'
            if (sep in v or '"' in v or "\n" in v)
            else v
            for v in items
        ]
    return items


def write_csv(
    path: Path,
    columns: dict[str, object],
    *,
    n: int,
    semicolon: bool = False,
    preamble: str | None = None,
) -> None:
    """Append `n` rows to `path` (header, BOM and preamble only when the file is new).

    `columns` maps header -> array of values (or one string for every row); fields holding
    the separator or a quote are quoted as RFC 4180 says.
    """
    sep = ";" if semicolon else ","
    new = not path.exists()
    texts = [_text_column(v, n, sep) for v in columns.values()]
    lines = [sep.join(row) for row in zip(*texts, strict=True)]
    with path.open("a", encoding="utf-8", newline="") as fh:
        if new and semicolon:
            fh.write("\ufeff")
        if new and preamble:
            fh.write(preamble + "\n")
        if new:
            fh.write(sep.join(_text_column(list(columns), len(columns), sep)) + "\n")
        if lines:
            fh.write("\n".join(lines) + "\n")
