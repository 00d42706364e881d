"""Column names a batch input may use, and the kernel inputs taken from a partition."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tumbuh.errors import InvalidInput
from tumbuh.tabular.columns import Column, Columns

__all__ = ["ALIASES", "desa_codes", "kernel_inputs", "kernel_inputs_arrow", "resolve"]

# Canonical name -> accepted headers (compared with tabular.columns.header_key).
ALIASES: dict[str, tuple[str, ...]] = {
    "child_id": ("child_id", "nik", "id_anak"),
    "sex": ("sex", "jk", "jenis_kelamin", "csex"),
    "age_days": ("age_days", "umur_hari"),
    "age_months": ("age_months", "umur_bulan"),
    "birth_date": ("birth_date", "dob", "tgl_lahir", "tanggal_lahir"),
    "date": ("date", "measure_date", "measured_on", "tanggal_pengukuran", "tgl_ukur"),
    "weight_kg": ("weight_kg", "weight", "berat", "bb"),
    "lenhei_cm": ("lenhei_cm", "lenhei", "height", "length", "tinggi", "tb"),
    "measure": ("measure", "cara_ukur"),
    "oedema": ("oedema", "edema"),
    "headc_cm": ("headc_cm", "lingkar_kepala"),
    "armc_cm": ("armc_cm", "muac", "lila"),
    "kode_desa": ("kode_desa", "desa_code"),
    "kode_desa_index": ("kode_desa_index", "desa_index"),
}

_MEASURE_WORDS = {"terlentang": "l", "berbaring": "l", "berdiri": "h"}
# e-PPGBM writes JK as L/P (laki-laki/perempuan); the kernel takes 1/2/m/f.
_SEX_WORDS = {"l": "1", "laki-laki": "1", "p": "2", "perempuan": "2"}


# The declaration (one mechanism for every reader: tabular.columns, one header vocabulary).
COLUMNS = Columns(*(Column(canon, aliases) for canon, aliases in ALIASES.items()))


def resolve(columns: Iterable[object]) -> dict[str, str]:
    """Canonical name -> the column of `columns` that carries it (first alias wins)."""
    return COLUMNS.match(str(c) for c in columns)


def needed_for_kernel(cols: dict[str, str], source: str) -> list[str]:
    """The input columns the z-score kernel reads; raises naming what is missing."""
    if "sex" not in cols:
        raise InvalidInput(
            f"{source}: no sex column (one of {', '.join(ALIASES['sex'])})"
        )
    age: list[str] = [str(c) for c in ("age_days", "age_months") if c in cols][:1]
    if not age:
        if "birth_date" in cols and "date" in cols:
            age = ["birth_date", "date"]
        else:
            raise InvalidInput(
                f"{source}: no age column (age_days or age_months) and not both a "
                "birth date (dob) and a measurement date (date)"
            )
    if "weight_kg" not in cols and "lenhei_cm" not in cols:
        raise InvalidInput(f"{source}: neither a weight_kg nor a lenhei_cm column")
    optional = [
        c
        for c in ("weight_kg", "lenhei_cm", "measure", "oedema", "headc_cm", "armc_cm")
        if c in cols
    ]
    return [cols[c] for c in ["sex", *age, *optional]]


def _codes(s: pd.Series, words: dict[str, str] | None = None) -> np.ndarray[Any, Any]:
    """Text/categorical codes as an object array with None for missing, those that are
    one of `words` (any case, blanks trimmed) translated.

    A categorical column (Parquet dictionary) is translated on its categories and taken
    by its codes; other columns look at each distinct value once (a column has a handful).
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        if words is not None:
            cats = [words.get(str(c).strip().lower(), c) for c in cats]
        table = np.array([*cats, None], dtype=object)
        out: np.ndarray[Any, Any] = table[s.cat.codes.to_numpy()]  # -1 -> None
        return out
    obj = s.astype(object)
    values = np.asarray(obj.where(obj.notna(), None), dtype=object)
    return values if words is None else _words(values, words)


def _words(values: np.ndarray[Any, Any], words: dict[str, str]) -> np.ndarray[Any, Any]:
    """`values` with those that are one of `words` (any case, blanks trimmed) translated.

    Each distinct value is looked at once (a column has a handful), not each row.
    """
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    table = np.array(
        [words.get(str(u).strip().lower(), u) for u in uniques] + [None], dtype=object
    )
    out: np.ndarray[Any, Any] = table[codes]  # sentinel -1 picks the trailing None
    return out


def _pandas_input(name: str, frame: pd.DataFrame, cols: dict[str, str]) -> Any:
    """The kernel value of input `name` (one of :func:`_kernel_names`) from pandas."""
    if name == "sex":
        sex = frame[cols["sex"]]
        if pd.api.types.is_numeric_dtype(sex.dtype):
            return sex.to_numpy(dtype=np.float64, na_value=np.nan)  # 1/2, NaN missing
        return _codes(sex, _SEX_WORDS)
    if name == "age_days" and "age_days" not in cols:  # from the two dates
        birth = pd.to_datetime(frame[cols["birth_date"]], errors="coerce")
        when = pd.to_datetime(frame[cols["date"]], errors="coerce")
        return (when - birth).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)
    if name == "measure":
        return _codes(frame[cols["measure"]], _MEASURE_WORDS)
    if name == "oedema":
        return _codes(frame[cols["oedema"]])
    return pd.to_numeric(frame[cols[name]], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def _kernel_names(cols: dict[str, str]) -> list[str]:
    """The :func:`tumbuh.growth.zscores` keywords `cols` gives values for."""
    names = ["sex"]
    if "age_days" in cols:
        names.append("age_days")
    elif "age_months" in cols:
        names.append("age_months")
    else:
        names.append("age_days")  # birth_date and date
    names += [
        c
        for c in ("weight_kg", "lenhei_cm", "headc_cm", "armc_cm", "measure", "oedema")
        if c in cols
    ]
    return names


def kernel_inputs(frame: pd.DataFrame, cols: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments of :func:`tumbuh.growth.zscores` from one partition."""
    return {name: _pandas_input(name, frame, cols) for name in _kernel_names(cols)}


def _single(column: pa.ChunkedArray) -> pa.Array:
    """`column` as one array (a dictionary column with several chunks is decoded first,
    as the chunks may carry different dictionaries)."""
    if column.num_chunks == 1:
        return column.chunk(0)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.combine_chunks()


def _is_number(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t))


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _arrow_floats(arr: pa.Array) -> np.ndarray[Any, Any]:
    """Numbers as float64, null -> NaN (what ``pd.to_numeric(...).to_numpy`` gives)."""
    out: np.ndarray[Any, Any] = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
    return out


def _arrow_codes(arr: pa.Array, words: dict[str, str] | None) -> pa.DictionaryArray:
    """Text codes as a dictionary array whose (few) values are translated by `words` as
    :func:`_codes` does (any case, blanks trimmed; others kept): no Python object per row."""
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    values = arr.dictionary.cast(pa.string()).to_pylist()
    if words is not None:
        values = [
            None if v is None else words.get(v.strip().lower(), v) for v in values
        ]
    # int32 indices: room for the kernel's "missing" slot past the last value.
    return pa.DictionaryArray.from_arrays(
        arr.indices.cast(pa.int32()), pa.array(values, pa.string())
    )


def _arrow_input(name: str, table: pa.Table, cols: dict[str, str]) -> Any:
    """The kernel value of input `name` straight from Arrow, or None when the column's
    type is not one of the usual ones (numbers, dates, text): it then goes through pandas.

    Gives what :func:`_pandas_input` gives on ``table.to_pandas()``, or a dictionary array
    of the same (translated) codes, which the kernel reads the same way (tested).
    """
    if name in ("sex", "measure", "oedema"):
        arr = _single(table.column(cols[name]))
        if name == "sex" and _is_number(arr.type):
            return _arrow_floats(arr)
        if not _is_text(arr.type):
            return None
        words = {"sex": _SEX_WORDS, "measure": _MEASURE_WORDS}.get(name)
        return _arrow_codes(arr, words)
    if name == "age_days" and "age_days" not in cols:  # from the two dates
        birth = _single(table.column(cols["birth_date"]))
        when = _single(table.column(cols["date"]))
        if not (pa.types.is_date32(birth.type) and pa.types.is_date32(when.type)):
            return None
        days = pc.subtract(when.cast(pa.int32()), birth.cast(pa.int32()))
        return _arrow_floats(days)
    arr = _single(table.column(cols[name]))
    return _arrow_floats(arr) if _is_number(arr.type) else None


def kernel_inputs_arrow(table: pa.Table, cols: dict[str, str]) -> dict[str, Any]:
    """:func:`kernel_inputs` of an Arrow table, without a pandas round trip for the usual
    column types (numbers, ``date32`` dates, text or dictionary codes); a column of
    another type is converted through pandas as :func:`kernel_inputs` does."""
    kw: dict[str, Any] = {}
    other: list[str] = []
    for name in _kernel_names(cols):
        value = _arrow_input(name, table, cols)
        if value is None:
            other.append(name)
        else:
            kw[name] = value
    if other:
        canon = [
            c
            for name in other
            for c in (
                ("birth_date", "date")
                if name == "age_days" and "age_days" not in cols
                else (name,)
            )
        ]
        frame = table.select([cols[c] for c in canon]).to_pandas(date_as_object=False)
        kw.update({name: _pandas_input(name, frame, cols) for name in other})
    return kw


@cache
def desa_codes(province: str) -> tuple[str, ...]:
    """Kemendagri desa codes of `province` in code order (the synth ``kode_desa_index``)."""
    path = (
        resources.files("tumbuh") / "data" / "regions" / "wilayah_kemendagri_2025.csv"
    )
    prefix = province + "."
    with path.open("r", encoding="utf-8") as fh:
        codes = sorted(
            line.split(",", 1)[0]
            for line in fh
            if line.startswith(prefix) and line.rstrip().endswith(",4")
        )
    if not codes:
        raise InvalidInput(
            f"--province {province!r}: no desa of that province in the Kemendagri master"
        )
    return tuple(codes)
