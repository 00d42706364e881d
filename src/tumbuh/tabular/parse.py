"""Vectorised parsers for the text cells of spreadsheets: numbers, dates, sex codes.

Each parser returns ``Parsed(values, failed)``: ``values`` is a numpy array with missing
cells as NaN / NaT, ``failed`` a boolean mask of the cells that held something that could
not be understood (blank cells and ``-`` are missing, not failures). Callers turn the
failed cells into ``RowIssue``s.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "MISSING_TOKENS",
    "Parsed",
    "parse_date",
    "parse_growth_flag",
    "parse_measure",
    "parse_number",
    "parse_number_text",
    "parse_oedema",
    "parse_sex",
    "text_array",
]

# Cells that mean "no value" in the files we read (Excel, e-PPGBM, R exports).
MISSING_TOKENS = ["", "-", "--", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL"]
_TRIM = " \t\r\n\xa0\u2007\u202f\ufeff"

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


class Parsed(NamedTuple):
    values: npt.NDArray[Any]
    failed: npt.NDArray[np.bool_]


def text_array(values: Any) -> pa.Array:
    """Any array-like of cells as a trimmed Arrow string array with missing cells null."""
    if isinstance(values, pa.ChunkedArray):
        arr = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    elif isinstance(values, pa.Array):
        arr = values
    else:
        seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
        arr = pa.array(
            [
                None if v is None or (isinstance(v, float) and v != v) else str(v)
                for v in seq
            ],
            pa.string(),
        )
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    arr = pc.utf8_trim(arr, characters=_TRIM)
    missing = pc.is_in(arr, value_set=pa.array(MISSING_TOKENS))
    return pc.if_else(missing, pa.scalar(None, arr.type), arr)


def _failed_mask(arr: pa.Array, ok: pa.Array) -> npt.NDArray[np.bool_]:
    """Cells that are present but not ``ok``."""
    bad = pc.and_(pc.is_valid(arr), pc.invert(pc.fill_null(ok, False)))
    return np.asarray(
        pc.fill_null(bad, False).to_numpy(zero_copy_only=False), dtype=bool
    )


def _regex_sub(arr: pa.Array, mask: pa.Array, pattern: str, repl: str) -> pa.Array:
    return pc.if_else(
        mask, pc.replace_substring_regex(arr, pattern=pattern, replacement=repl), arr
    )


def parse_number(values: Any, *, whole: bool = False, percent: bool = False) -> Parsed:
    """Parse numbers written with a decimal point or a decimal comma.

    ``12.5`` and ``12,5`` are 12.5; thousands separators are understood when the
    grouping is unambiguous (``1.234,5``, ``1,234.5``, ``1.234.567``, ``1 234``, also
    with a no-break space); a single comma is a decimal comma (``1,234`` = 1.234).
    Blank, ``-``, ``NA`` → NaN (not a failure). Returns float64 values and the mask of
    unparseable cells.

    Two options for columns that say more about their cells (the same parser, not a
    second one):

    ``whole``
        the column holds counts, so one ``.`` or ``,`` followed by exactly three digits
        groups thousands (``1.234`` and ``1,234`` = 1234). Whether the value is whole is
        the caller's check.
    ``percent``
        the column holds percentages and a trailing ``%`` is allowed (``24,6 %``).
    """
    arr = text_array(values)
    if arr.null_count == len(arr):
        return Parsed(np.full(len(arr), np.nan), np.zeros(len(arr), dtype=bool))
    if percent:
        arr = pc.replace_substring_regex(
            arr, pattern="[\\s\u00a0\u202f]*%$", replacement=""
        )
    plain = pc.match_substring_regex(arr, f"^{_NUMBER}$")
    if not whole and pc.all(pc.fill_null(plain, True)).as_py():
        # Fast path: every present cell is already a plain decimal-point number.
        out = np.asarray(
            pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
        if not np.isinf(out).any():
            return Parsed(out, np.zeros(len(arr), dtype=bool))
    s = pc.replace_substring_regex(
        arr, pattern="(\\d)[ \u00a0\u202f'](\\d)", replacement=r"\1\2"
    )
    if whole:
        # 1.234 / 1,234 → 1234 in a count
        m = pc.match_substring_regex(s, r"^[+-]?\d{1,3}([.,]\d{3})+$")
        s = _regex_sub(s, m, r"[.,]", "")
    # 1.234,5 → 1234.5 (dots group thousands, comma is the decimal mark)
    m = pc.match_substring_regex(s, r"^[+-]?\d{1,3}(\.\d{3})+,\d*$")
    s = _regex_sub(s, m, r"\.", "")
    # 1,234.5 → 1234.5
    m = pc.match_substring_regex(s, r"^[+-]?\d{1,3}(,\d{3})+\.\d*$")
    s = _regex_sub(s, m, ",", "")
    # 1,234,567 → 1234567 ; 1.234.567 → 1234567
    m = pc.match_substring_regex(s, r"^[+-]?\d{1,3}(,\d{3}){2,}$")
    s = _regex_sub(s, m, ",", "")
    m = pc.match_substring_regex(s, r"^[+-]?\d{1,3}(\.\d{3}){2,}$")
    s = _regex_sub(s, m, r"\.", "")
    # a single decimal comma
    m = pc.match_substring_regex(s, r"^[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?$")
    s = _regex_sub(s, m, ",", ".")
    ok = pc.match_substring_regex(s, f"^{_NUMBER}$")
    good = pc.if_else(ok, s, pa.scalar(None, s.type))
    out = np.array(
        pc.cast(good, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    bad = ~np.isfinite(out) & ~np.isnan(out)  # 1e999: a number too large to use
    if bad.any():
        out[bad] = np.nan
        ok = pc.and_(ok, pa.array(~bad))
    return Parsed(out, _failed_mask(arr, ok))


def parse_number_text(
    text: str | None, *, whole: bool = False, percent: bool = False
) -> float | None:
    """The scalar form of :func:`parse_number` for readers that go cell by cell.

    The same accepted forms and options; None when the cell holds no number — blank, a
    missing token such as ``-``, or text that is not a number (a caller that must tell
    these apart checks for a blank cell first).
    """
    if text is None:
        return None
    res = parse_number([text], whole=whole, percent=percent)
    value = float(res.values[0])
    return None if math.isnan(value) else value


_MONTHS = {
    # Indonesian
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2,
    "maret": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6,
    "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11, "desember": 12, "des": 12,
    # English (only those not already listed)
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "august": 8, "aug": 8, "october": 10, "oct": 10, "december": 12, "dec": 12,
}  # fmt: skip

# Excel's 1900 date system: serial 1 = 1900-01-01, with the fictitious 1900-02-29, so
# serials from 61 on count from 1899-12-30. Accept serials of plausible dates only
# (1900-03-01 … 2173-10-14) so that numbers such as 2024 are not taken for dates.
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_SERIAL_MIN, _SERIAL_MAX = 61, 100_000


def _ymd_to_date(
    y: npt.NDArray[np.int64], m: npt.NDArray[np.int64], d: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
    """Build dates from year/month/day arrays; returns dates and a validity mask."""
    valid = (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1) & (y <= 9999)
    ys = np.where(valid, y, 1970)
    ms = np.where(valid, m, 1)
    ds = np.where(valid, d, 1)
    month_start = (ys - 1970).astype("M8[Y]").astype("M8[M]") + (ms - 1).astype("m8[M]")
    next_month = month_start + np.timedelta64(1, "M")
    days_in_month = (next_month.astype("M8[D]") - month_start.astype("M8[D]")).astype(
        np.int64
    )
    valid &= ds <= days_in_month
    dates = month_start.astype("M8[D]") + (ds - 1).astype("m8[D]")
    return np.where(valid, dates, np.datetime64("NaT", "D")), valid


def _groups(arr: pa.Array, pattern: str, names: Sequence[str]) -> dict[str, pa.Array]:
    st = pc.extract_regex(arr, pattern)
    return {n: pc.struct_field(st, n) for n in names}


def _ints(a: pa.Array, n: int) -> npt.NDArray[np.int64]:
    return np.asarray(
        pc.fill_null(pc.cast(a, pa.int64()), 0).to_numpy(zero_copy_only=False),
        dtype=np.int64,
    ).reshape(n)


def parse_date(
    values: Any, *, dayfirst: bool = True, today: dt.date | None = None
) -> Parsed:
    """Parse dates as written in Indonesian spreadsheets and exports.

    Understood: ISO ``2024-01-31`` (a time part is ignored), Excel serial numbers
    (``45322``), ``31/01/2024``, ``31-01-2024``, ``31.01.2024``, two-digit years
    ``31/01/24`` (``00``–current year → 2000s, else 1900s), month/day order when it is
    unambiguous (``1/31/2024``), and month names ``31 Januari 2024``, ``31-Jan-2024``.
    With ``dayfirst=False`` ambiguous ``a/b/yyyy`` dates read month first.
    Returns ``datetime64[D]`` values (NaT when missing) and the mask of failed cells.
    """
    arr = text_array(values)
    n = len(arr)
    out = np.full(n, np.datetime64("NaT", "D"))
    ok = np.zeros(n, dtype=bool)
    pivot = (today or dt.date.today()).year % 100

    def take(y: Any, m: Any, d: Any, where: npt.NDArray[np.bool_]) -> None:
        dates, valid = _ymd_to_date(y, m, d)
        sel = where & valid & ~ok
        out[sel] = dates[sel]
        ok[sel] = True

    low = pc.utf8_lower(arr)
    # ISO (optionally with a time part)
    g = _groups(
        low, r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ t].*)?$", "ymd"
    )
    hit = np.asarray(pc.fill_null(pc.is_valid(g["y"]), False), dtype=bool)
    if hit.any():
        take(_ints(g["y"], n), _ints(g["m"], n), _ints(g["d"], n), hit)
    # a/b/yyyy or a/b/yy with / - . separators
    g = _groups(
        low,
        r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})(?:[ t].*)?$",
        "aby",
    )
    hit = np.asarray(pc.fill_null(pc.is_valid(g["y"]), False), dtype=bool)
    if hit.any():
        a, b, y = _ints(g["a"], n), _ints(g["b"], n), _ints(g["y"], n)
        two = np.asarray(
            pc.fill_null(pc.equal(pc.utf8_length(g["y"]), 2), False), dtype=bool
        )
        y = np.where(two, np.where(y <= pivot, 2000 + y, 1900 + y), y)
        if dayfirst:
            take(y, b, a, hit & (b <= 12))
            take(y, a, b, hit & (b > 12))  # unambiguous month/day
        else:
            take(y, a, b, hit & (a <= 12))
            take(y, b, a, hit & (a > 12))
    # 1 Januari 2024 / 1-Jan-2024 / 1 jan 24
    g = _groups(
        low,
        r"^(?P<d>\d{1,2})[ \-/.]+(?P<mon>[a-z]+)\.?[ \-/.,]+(?P<y>\d{4}|\d{2})$",
        ["d", "mon", "y"],
    )
    hit = np.asarray(pc.fill_null(pc.is_valid(g["y"]), False), dtype=bool)
    if hit.any():
        names = g["mon"].to_pylist()
        mon = np.array([_MONTHS.get(x or "", 0) for x in names], dtype=np.int64)
        y = _ints(g["y"], n)
        two = np.asarray(
            pc.fill_null(pc.equal(pc.utf8_length(g["y"]), 2), False), dtype=bool
        )
        y = np.where(two, np.where(y <= pivot, 2000 + y, 1900 + y), y)
        take(y, mon, _ints(g["d"], n), hit & (mon > 0))
    # Excel serial numbers (whole days; a time fraction is dropped)
    serial_ok = pc.match_substring_regex(arr, r"^\d{2,6}(\.\d+)?$")
    sm = np.asarray(pc.fill_null(serial_ok, False), dtype=bool) & ~ok
    if sm.any():
        num = np.asarray(
            pc.cast(
                pc.if_else(serial_ok, arr, pa.scalar(None, arr.type)), pa.float64()
            ).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
        sm &= (num >= _SERIAL_MIN) & (num < _SERIAL_MAX)
        days = np.floor(np.where(sm, num, 0)).astype(np.int64)
        out[sm] = _EXCEL_EPOCH + days[sm].astype("m8[D]")
        ok[sm] = True
    failed = (
        np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=bool) & ~ok
    )
    return Parsed(out, failed)


_SEX_CODES = {
    "1": 1, "l": 1, "lk": 1, "laki-laki": 1, "laki laki": 1, "lakilaki": 1, "laki": 1,
    "pria": 1, "m": 1, "male": 1, "boy": 1, "man": 1,
    "2": 2, "p": 2, "pr": 2, "perempuan": 2, "wanita": 2, "w": 2, "f": 2, "female": 2,
    "girl": 2, "woman": 2,
}  # fmt: skip


def parse_sex(values: Any) -> Parsed:
    """Sex codes → 1 (male) / 2 (female) / NaN (missing), as float64.

    Accepts ``L``/``P``, ``Laki-laki``/``Perempuan``, ``M``/``F``, ``1``/``2`` (also
    ``1.0``), ``Pria``/``Wanita``, any case. Anything else is a failure.
    """
    arr = text_array(values)
    low = pc.utf8_lower(arr)
    low = pc.replace_substring_regex(low, pattern=r"^([12])\.0*$", replacement=r"\1")
    low = pc.replace_substring_regex(low, pattern=r"\s+", replacement=" ")
    keys = pa.array(list(_SEX_CODES), pa.string())
    codes = np.array(list(_SEX_CODES.values()), dtype=np.float64)
    idx = pc.index_in(low, value_set=keys)
    idx_np = np.asarray(
        pc.fill_null(idx, -1).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    out = np.where(idx_np >= 0, codes[np.maximum(idx_np, 0)], np.nan)
    return Parsed(out, _failed_mask(arr, pc.is_valid(idx)))


def _parse_codes(values: Any, codes: dict[str, str]) -> Parsed:
    arr = text_array(values)
    low = pc.utf8_lower(arr)
    low = pc.replace_substring_regex(low, pattern=r"\s+", replacement=" ")
    keys = pa.array(list(codes), pa.string())
    vals = np.array(list(codes.values()), dtype=object)
    idx = pc.index_in(low, value_set=keys)
    idx_np = np.asarray(
        pc.fill_null(idx, -1).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    out = vals[np.maximum(idx_np, 0)]
    out[idx_np < 0] = None
    return Parsed(out, _failed_mask(arr, pc.is_valid(idx)))


_MEASURE_CODES = {
    "l": "l", "terlentang": "l", "telentang": "l", "berbaring": "l", "lying": "l",
    "recumbent": "l", "length": "l", "panjang": "l", "pb": "l",
    "h": "h", "berdiri": "h", "standing": "h", "height": "h", "tinggi": "h", "tb": "h",
}  # fmt: skip

_OEDEMA_CODES = {
    "y": "y", "ya": "y", "yes": "y", "1": "y", "true": "y", "ada": "y",
    "n": "n", "tidak": "n", "no": "n", "2": "n", "false": "n", "tidak ada": "n",
    "t": "n", "0": "n",
}  # fmt: skip


def parse_measure(values: Any) -> Parsed:
    """How length/height was measured → ``"l"`` (lying) / ``"h"`` (standing) / None.

    Accepts ``l``/``h`` in any case and ``Terlentang``/``Berdiri`` (e-PPGBM's Cara Ukur).
    """
    return _parse_codes(values, _MEASURE_CODES)


def parse_oedema(values: Any) -> Parsed:
    """Bilateral pitting oedema → ``"y"`` / ``"n"`` / None.

    As WHO anthro: ``y``/``n`` in any case, ``1`` = yes, ``2`` = no; also ``ya``/``tidak``
    and ``0`` = no.
    """
    return _parse_codes(values, _OEDEMA_CODES)


# e-PPGBM's `Naik Berat Badan`: N naik (gained at least the KBM), T tidak naik, 2T twice,
# O not weighed the month before, B baru (first weighing); some exports write Ya/Tidak.
_GROWTH_CODES = {
    "n": "N", "naik": "N", "y": "N", "ya": "N", "yes": "N",
    "t": "T", "tidak": "T", "tidak naik": "T", "tdk naik": "T", "no": "T",
    "2t": "2T", "o": "O", "b": "B", "baru": "B",
}  # fmt: skip


def parse_growth_flag(values: Any) -> Parsed:
    """The export's weight-gain flag → ``"N"`` / ``"T"`` / ``"2T"`` / ``"O"`` / ``"B"`` / None."""
    return _parse_codes(values, _GROWTH_CODES)
