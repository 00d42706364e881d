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

from tumbuh.tabular.columns import Column, Columns
from tumbuh.tabular.columns import header_key as header_key
from tumbuh.tabular.issues import IssueTexts
from tumbuh.tabular.parse import text_array

# code -> (Bahasa Indonesia, English), from the catalogue (issue.<code>). {col} and {value}
# are filled in by the importer.
MESSAGES = IssueTexts("issue.")

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


def map_headers(
    columns: Iterable[str], aliases: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """{field: column as written} for each field whose alias is among the columns."""
    return Columns(*(Column(f, names) for f, names in aliases.items())).match(columns)


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
