"""Column names a batch input may use, and the kernel inputs taken from a partition."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from tumbuh.errors import InvalidInput
from tumbuh.tabular.columns import Column, Columns

__all__ = ["ALIASES", "kernel_inputs", "resolve", "desa_codes"]

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


def kernel_inputs(frame: pd.DataFrame, cols: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments of :func:`tumbuh.growth.zscores` from one partition."""
    kw: dict[str, Any] = {}
    sex = frame[cols["sex"]]
    if pd.api.types.is_numeric_dtype(sex.dtype):
        kw["sex"] = sex.to_numpy(dtype=np.float64, na_value=np.nan)  # 1/2, NaN missing
    else:
        kw["sex"] = _codes(sex, _SEX_WORDS)
    if "age_days" in cols:
        kw["age_days"] = pd.to_numeric(
            frame[cols["age_days"]], errors="coerce"
        ).to_numpy(dtype=np.float64, na_value=np.nan)
    elif "age_months" in cols:
        kw["age_months"] = pd.to_numeric(
            frame[cols["age_months"]], errors="coerce"
        ).to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        birth = pd.to_datetime(frame[cols["birth_date"]], errors="coerce")
        when = pd.to_datetime(frame[cols["date"]], errors="coerce")
        kw["age_days"] = (when - birth).dt.days.to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    for name in ("weight_kg", "lenhei_cm", "headc_cm", "armc_cm"):
        if name in cols:
            kw[name] = pd.to_numeric(frame[cols[name]], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
    if "measure" in cols:
        kw["measure"] = _codes(frame[cols["measure"]], _MEASURE_WORDS)
    if "oedema" in cols:
        kw["oedema"] = _codes(frame[cols["oedema"]])
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
