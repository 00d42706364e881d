"""Normalisation rules for real exports: headers, NIK, RT/RW, measures, missing markers.

Each function returns the cleaned value and, when it had to repair or could not read the
value, an issue code from `MESSAGES` (a repair is a warning: the row still goes in).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tumbuh.tabular.parse import text_array

# code -> (Bahasa Indonesia, English). {col} and {value} are filled in by the importer.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_column": (
        "Kolom wajib tidak ada: {value}",
        "Required column missing: {value}",
    ),
    "required": ("Nilai wajib kosong", "Required value is empty"),
    "invalid_date": ("Tanggal tidak terbaca: {value}", "Unreadable date: {value}"),
    "invalid_number": ("Angka tidak terbaca: {value}", "Unreadable number: {value}"),
    "invalid_sex": (
        "Jenis kelamin tidak dikenal: {value}",
        "Unknown sex: {value}",
    ),
    "invalid_choice": ("Nilai tidak dikenal: {value}", "Unknown value: {value}"),
    "nik_float_suffix": (
        "NIK berakhiran .0 (format angka Excel), diperbaiki",
        "NIK had a .0 suffix (Excel number format), repaired",
    ),
    "nik_truncated": (
        "NIK terpotong oleh Excel (…0000), disimpan sebagai NIK meragukan",
        "NIK truncated by Excel (…0000), kept as suspect, not used as a key",
    ),
    "nik_short": (
        "NIK tidak 16 digit, disimpan sebagai NIK meragukan",
        "NIK is not 16 digits, kept as suspect, not used as a key",
    ),
    "nik_invalid": (
        "NIK tidak valid, disimpan sebagai NIK meragukan",
        "NIK is not valid, kept as suspect, not used as a key",
    ),
    "rt_rw_repaired": (
        "RT/RW diperbaiki: {value}",
        "RT/RW repaired: {value}",
    ),
    "rt_rw_invalid": ("RT/RW tidak terbaca: {value}", "Unreadable RT/RW: {value}"),
    "weight_grams": (
        "Berat dalam gram, dibaca sebagai kg: {value}",
        "Weight in grams, read as kg: {value}",
    ),
    "weight_decimal_lost": (
        "Titik desimal berat hilang, diperbaiki: {value}",
        "Weight lost its decimal point, repaired: {value}",
    ),
    "weight_implausible": (
        "Berat tidak masuk akal untuk umur: {value}",
        "Weight implausible for age: {value}",
    ),
    "height_decimal_lost": (
        "Titik desimal tinggi hilang, diperbaiki: {value}",
        "Length/height lost its decimal point, repaired: {value}",
    ),
    "height_metres": (
        "Tinggi dalam meter, dibaca sebagai cm: {value}",
        "Length/height in metres, read as cm: {value}",
    ),
    "height_implausible": (
        "Tinggi tidak masuk akal: {value}",
        "Length/height implausible: {value}",
    ),
    "no_measurement": (
        "Tidak ada berat maupun tinggi",
        "Neither weight nor length/height",
    ),
    "measured_before_birth": (
        "Tanggal pengukuran sebelum tanggal lahir",
        "Measurement date before birth date",
    ),
    "age_over_60_months": (
        "Umur saat ukur 60 bulan atau lebih (di luar standar WHO 0-5 tahun)",
        "Age at measurement 60 months or more (outside the WHO 0-5 years standard)",
    ),
    "future_date": ("Tanggal di masa depan: {value}", "Date in the future: {value}"),
    "region_not_found": (
        "Wilayah tidak ditemukan: {value}",
        "Region not found: {value}",
    ),
    "region_fuzzy": (
        "Nama wilayah dicocokkan mendekati: {value}",
        "Region name matched approximately: {value}",
    ),
    "z_flagged": (
        "Z-skor di luar batas WHO (ditandai): {value}",
        "Z-score outside WHO plausibility limits (flagged): {value}",
    ),
    "duplicate_in_file": (
        "Baris ganda dalam berkas (anak dan tanggal sama); baris terakhir dipakai",
        "Duplicate row in the file (same child and date); the last one is used",
    ),
    "link_review": (
        "Anak dicocokkan secara mendekati dengan data lain; perlu diperiksa",
        "Child matched approximately to an existing person; needs review",
    ),
    "nik_conflict": (
        "Data orang dengan NIK ini berubah (data terbaru dipakai): {value}",
        "The person with this NIK had other data (the latest is used): {value}",
    ),
    "family_conflict": (
        "Data keluarga berbeda dengan baris kepala keluarga: {value}",
        "Family value differs from the head's row: {value}",
    ),
    "invalid_kk": ("No KK tidak valid: {value}", "Invalid No KK: {value}"),
    "file_lacks_column": (
        "berkas tidak dapat diimpor, kolom tidak ada: {value}",
        "the file cannot be imported, missing column(s): {value}",
    ),
    "lacks_sex": (
        "jenis kelamin diperlukan untuk menghitung z-skor",
        "sex is needed to compute z-scores",
    ),
    "lacks_birth_date": (
        "umur saat ukur dihitung dari tanggal lahir",
        "age at measurement is computed from the birth date",
    ),
    "lacks_measured_on": (
        "umur saat ukur dihitung dari tanggal pengukuran",
        "age at measurement is computed from the measurement date",
    ),
    "lacks_measurement": (
        "tidak ada berat maupun tinggi untuk dinilai",
        "there is no weight or length/height to assess",
    ),
    "name_missing": (
        "Nama kosong; anak dikenali dari NIK atau jenis kelamin, tanggal lahir, "
        "tempat dan ukuran lahir",
        "No name; the child is identified by NIK or by sex, birth date, place and "
        "birth size",
    ),
    "text_cut": (
        "Teks terlalu panjang, dipotong: {value}",
        "Text too long, cut: {value}",
    ),
    "negative_value": (
        "Nilai negatif tidak mungkin, diabaikan: {value}",
        "A negative value is impossible, ignored: {value}",
    ),
    "measured_on_birth_date": (
        "Diukur pada tanggal lahir (umur 0 hari)",
        "Measured on the birth date (age 0 days)",
    ),
    "birth_weight_grams": (
        "Berat lahir dalam gram, dibaca sebagai kg: {value}",
        "Birth weight in grams, read as kg: {value}",
    ),
    "birth_weight_hectograms": (
        "Berat lahir dalam ons (hektogram), dibaca sebagai kg: {value}",
        "Birth weight in hectograms (ons), read as kg: {value}",
    ),
    "birth_weight_implausible": (
        "Berat lahir tidak masuk akal, diabaikan: {value}",
        "Birth weight implausible, ignored: {value}",
    ),
    "birth_length_mm": (
        "Panjang lahir dalam mm, dibaca sebagai cm: {value}",
        "Birth length in mm, read as cm: {value}",
    ),
    "birth_length_dm": (
        "Panjang lahir dalam dm, dibaca sebagai cm: {value}",
        "Birth length in dm, read as cm: {value}",
    ),
    "birth_length_decimal_lost": (
        "Titik desimal panjang lahir hilang, diperbaiki: {value}",
        "Birth length lost its decimal point, repaired: {value}",
    ),
    "birth_length_implausible": (
        "Panjang lahir tidak masuk akal, diabaikan: {value}",
        "Birth length implausible, ignored: {value}",
    ),
    "muac_mm": (
        "LiLA dalam mm, dibaca sebagai cm: {value}",
        "MUAC in mm, read as cm: {value}",
    ),
    "muac_implausible": (
        "LiLA tidak masuk akal, diabaikan: {value}",
        "MUAC implausible, ignored: {value}",
    ),
    "region_ambiguous": (
        "Kabupaten dan kota bernama sama; kecamatan/desa tidak menentukan, dipilih: {value}",
        "Kabupaten and kota share the name; kecamatan/desa do not decide, chose: {value}",
    ),
    # Limits on a whole file (imports/limits.py): {value} is the limit.
    "file_too_large": (
        "Berkas lebih besar dari batas {value}",
        "File larger than the limit of {value}",
    ),
    "too_many_rows": (
        "Berkas berisi lebih dari {value} baris (batas)",
        "File has more than {value} rows (the limit)",
    ),
    "import_interrupted": (
        "Impor terhenti (server berhenti); unggah berkas ini lagi untuk menyelesaikannya",
        "Import interrupted (the server stopped); upload the file again to complete it",
    ),
    "import_crashed": (
        "Impor gagal karena kesalahan internal: {value}",
        "Import failed with an internal error: {value}",
    ),
    "unzipped_too_large": (
        "Isi XLSX setelah dibuka lebih besar dari batas {value}",
        "XLSX contents unpacked are larger than the limit of {value}",
    ),
}

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\ufeff]+")
_MISSING = {"", "-", "--", "null", "none", "nan", "n/a", "na", "#n/a"}


def clean(value: object) -> str | None:
    """Trim blanks and non-breaking spaces; None for blank and `-`-like markers."""
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return None if text.lower() in _MISSING else text


def cut(value: str | None, length: int) -> str | None:
    """The value cut to the column's length (None stays None)."""
    return None if value is None else value[:length]


def clean_measure(value: object) -> str | None:
    """Like `clean`, and `0` also means missing (e-PPGBM writes 0 for 'not measured')."""
    text = clean(value)
    if text is None or re.fullmatch(r"0+([.,]0*)?", text):
        return None
    return text


def header_key(name: str) -> str:
    """`  Tgl. Lahir ` → `tgl lahir`; `Kab / Kota` → `kab/kota`."""
    text = _SPACES.sub(" ", name).strip().lower().replace(".", " ").replace("_", " ")
    text = re.sub(r"\s*/\s*", "/", text)
    return re.sub(r"\s+", " ", text).strip()


def map_headers(
    columns: Iterable[str], aliases: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """{field: column as written} for each field whose alias is among the columns."""
    by_key: dict[str, str] = {}
    for col in columns:
        by_key.setdefault(header_key(col), col)
    found: dict[str, str] = {}
    for fld, names in aliases.items():
        for alias in names:
            hit = by_key.get(header_key(alias))
            if hit is not None:
                found[fld] = hit
                break
    return found


_NIK_DAY_OK = set(range(1, 32)) | set(range(41, 72))  # women: day + 40


def normalise_nik(value: object) -> tuple[str | None, str | None, str | None]:
    """(nik, suspect, issue code). A valid NIK is 16 digits with a plausible birth day.

    NIK layout (Dukcapil): 6 digits region, 6 digits DDMMYY (women DD+40), 4 digits serial
    from 0001; Excel keeps 15 significant digits, so a truncated NIK ends in zeros.
    """
    text = clean(value)
    if text is None or re.fullmatch(r"0+", text):
        return None, None, None
    text = text.replace(" ", "").replace("'", "").replace("`", "")
    code: str | None = None
    if re.fullmatch(r"\d+[.,]0+", text):
        text = re.split(r"[.,]", text, maxsplit=1)[0]
        code = "nik_float_suffix"
    elif re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text.replace(",", ".")):
        try:
            text = str(int(Decimal(text.replace(",", "."))))
        except (InvalidOperation, ValueError):
            return None, text, "nik_invalid"
        return None, text, "nik_truncated"
    if not text.isdigit():
        return None, text, "nik_invalid"
    if len(text) != 16:
        return None, text, "nik_short"
    if text.endswith("0000"):
        return None, text, "nik_truncated"
    if int(text[6:8]) not in _NIK_DAY_OK or not 1 <= int(text[8:10]) <= 12:
        return None, text, "nik_invalid"
    return text, None, code


# A valid NIK as a whole-cell pattern (RE2, no look-ahead): 6 region digits, birth day
# 01-31 or 41-71, month 01-12, year and serial; the `…0000` check is separate.
_NIK_OK = r"^\d{6}(0[1-9]|[12]\d|3[01]|4[1-9]|[56]\d|7[01])(0[1-9]|1[0-2])\d{6}$"


def normalise_nik_column(
    values: pa.Array,
) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """`normalise_nik` over a column: valid cells in bulk, only the others one by one."""
    text = text_array(values)
    ok = pc.and_(
        pc.match_substring_regex(text, _NIK_OK),
        pc.invert(pc.ends_with(text, "0000")),
    )
    ok_np = np.asarray(
        pc.fill_null(ok, False).to_numpy(zero_copy_only=False), dtype=bool
    )
    niks: list[str | None] = text.to_pylist()
    suspects: list[str | None] = [None] * len(niks)
    codes: list[str | None] = [None] * len(niks)
    for i in np.flatnonzero(~ok_np).tolist():
        if niks[i] is not None:
            niks[i], suspects[i], codes[i] = normalise_nik(niks[i])
    return niks, suspects, codes


def normalise_kk(value: object) -> tuple[str | None, str | None]:
    """(no_kk, issue code): 16 digits, `.0` suffix removed."""
    text = clean(value)
    if text is None:
        return None, None
    text = text.replace(" ", "").replace("'", "")
    if re.fullmatch(r"\d+[.,]0+", text):
        text = re.split(r"[.,]", text, maxsplit=1)[0]
    if not text.isdigit() or len(text) != 16 or text.endswith("0000"):
        return None, "invalid_kk"
    return text, None


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman_to_int(text: str) -> int | None:
    """`IV` → 4, `XII` → 12; None when not a Roman numeral."""
    if not text or any(ch not in _ROMAN for ch in text):
        return None
    total = 0
    for i, ch in enumerate(text):
        v = _ROMAN[ch]
        nxt = _ROMAN[text[i + 1]] if i + 1 < len(text) else 0
        total += -v if v < nxt else v
    return total if total > 0 else None


@functools.lru_cache(maxsize=4096)
def normalise_rt_rw(value: str | None) -> tuple[str | None, str | None]:
    """(three-digit RT/RW, issue code): `4` → `004`; `O4` → `004` and `IV` → `004` with a warning."""
    text = clean(value)
    if text is None:
        return None, None
    text = text.upper().replace(" ", "")
    text = re.sub(r"^(RT|RW)\.?", "", text)
    if re.fullmatch(r"\d+[.,]0+", text):
        text = re.split(r"[.,]", text, maxsplit=1)[0]
    code: str | None = None
    if not text.isdigit():
        if re.fullmatch(r"[0-9OQ]+", text):
            text = text.replace("O", "0").replace("Q", "0")
            code = "rt_rw_repaired"
        else:
            roman = roman_to_int(text)
            if roman is None:
                return None, "rt_rw_invalid"
            text = str(roman)
            code = "rt_rw_repaired"
    number = int(text)
    if number == 0:
        return None, None
    if number > 999:
        return None, "rt_rw_invalid"
    return f"{number:03d}", code


_LYING = {"terlentang", "telentang", "berbaring", "lying", "l", "length", "panjang"}
_STANDING = {"berdiri", "standing", "h", "height", "tinggi"}


@functools.lru_cache(maxsize=1024)
def normalise_measure(value: str | None) -> str | None:
    """`Terlentang` → `l` (length), `Berdiri` → `h` (height); None when unknown."""
    text = clean(value)
    if text is None:
        return None
    key = text.lower().split("(")[0].strip()
    if key in _LYING:
        return "l"
    if key in _STANDING:
        return "h"
    return None
