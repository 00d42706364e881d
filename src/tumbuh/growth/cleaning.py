"""Input standardisation: array-likes to float64 arrays and text codes to ints.

Accepted containers are numpy arrays, lists, pandas Series, polars Series and
pyarrow (Chunked)Arrays; scalars broadcast. Text codes (sex, measure, oedema)
are converted without a Python loop over rows: numpy text arrays through a
per-character lookup table, other text through a dictionary encoding whose
few distinct values are mapped one by one.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BAD",
    "MEASURE_CODES",
    "MISSING",
    "OEDEMA_CODES",
    "SEX_CODES",
    "CodeSpec",
    "as_codes",
    "as_float",
    "broadcast_length",
]

#: Code of a missing value and of a value outside the accepted codes.
MISSING = 0
BAD = -1


class CodeSpec:
    """Accepted codes of one categorical parameter (anthro's vocabulary)."""

    def __init__(
        self, text: Mapping[str, int], numbers: Mapping[float, int], accepted: str
    ) -> None:
        self.text = dict(text)
        self.numbers = dict(numbers)
        #: How anthro lists the accepted values in its error message.
        self.accepted = accepted

    def code_of(self, value: object) -> int:
        """Code of one distinct value (used only on distinct values)."""
        if value is None or type(value).__name__ == "NAType":
            return MISSING
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                return BAD
        if isinstance(value, str):
            return MISSING if value == "" else self.text.get(value, BAD)
        if isinstance(value, bool | np.bool_):
            return BAD
        if isinstance(value, int | float | np.integer | np.floating):
            f = float(value)
            if math.isnan(f):
                return MISSING
            return self.numbers.get(f, BAD)
        return BAD


# anthro rule 1-3: sex 1/m/M = male, 2/f/F = female; measure l/L lying,
# h/H standing; oedema y/Y/1 yes, n/N/2 no.
SEX_CODES = CodeSpec(
    {"1": 1, "2": 2, "m": 1, "f": 2, "M": 1, "F": 2},
    {1.0: 1, 2.0: 2},
    "1, 2, m, f, M, F, NA",
)
MEASURE_CODES = CodeSpec({"l": 1, "L": 1, "h": 2, "H": 2}, {}, "l, h, L, H, NA")
OEDEMA_CODES = CodeSpec(
    {"y": 1, "Y": 1, "1": 1, "n": 2, "N": 2, "2": 2},
    {1.0: 1, 2.0: 2},
    "n, y, N, Y, 2, 1, NA",
)


def _module(x: object) -> str:
    return type(x).__module__.split(".")[0]


def _is_scalar(x: object) -> bool:
    return x is None or isinstance(x, str | bytes | int | float | np.generic)


def _arrow_to_numpy(x: Any) -> NDArray[Any]:
    import pyarrow as pa

    if isinstance(x, pa.ChunkedArray):
        x = x.combine_chunks()
    if (
        pa.types.is_dictionary(x.type)
        or pa.types.is_string(x.type)
        or pa.types.is_large_string(x.type)
    ):
        return np.asarray(x.to_numpy(zero_copy_only=False), dtype=object)
    if (
        pa.types.is_integer(x.type)
        or pa.types.is_floating(x.type)
        or pa.types.is_boolean(x.type)
    ):
        if x.null_count:
            x = x.cast(pa.float64())
        return np.asarray(x.to_numpy(zero_copy_only=False))
    return np.asarray(x.to_numpy(zero_copy_only=False), dtype=object)


def as_float(x: object, name: str) -> NDArray[np.float64]:
    """Convert an array-like (or scalar) to a 1-D float64 array; missing → NaN."""
    if x is None:
        return np.full(1, np.nan)
    try:
        if _is_scalar(x):
            return np.full(1, x, dtype=np.float64)
        mod = _module(x)
        if mod == "pyarrow":
            arr = _arrow_to_numpy(x).astype(np.float64, copy=False)
        elif mod == "polars":
            arr = np.asarray(x.to_numpy(), dtype=np.float64)  # type: ignore[attr-defined]
        elif mod == "pandas":
            arr = np.asarray(
                x.to_numpy(dtype="float64", na_value=np.nan),  # type: ignore[attr-defined]
                dtype=np.float64,
            )
        else:
            arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers: {exc}") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _codes_from_unicode(arr: NDArray[Any], spec: CodeSpec) -> NDArray[np.int8] | None:
    # Fast path for numpy text arrays when every accepted code is one
    # character: look the first code point up in a 128-entry table and reject
    # anything longer than one character.
    if any(len(k) != 1 or ord(k) >= 128 for k in spec.text):
        return None
    width = arr.dtype.itemsize // 4
    if width == 0:
        return np.zeros(arr.shape[0], dtype=np.int8)
    cp = np.ascontiguousarray(arr).view(np.uint32).reshape(arr.shape[0], width)
    lut = np.full(129, BAD, dtype=np.int8)
    lut[0] = MISSING
    for key, code in spec.text.items():
        lut[ord(key)] = code
    first = np.minimum(cp[:, 0], 128).astype(np.intp)
    codes = lut.take(first)
    if width > 1:
        longer = (cp[:, 1:] != 0).any(axis=1)
        codes[longer] = BAD
    return codes


_MAX_DISTINCT_OBJECTS = 12


def _codes_by_identity(arr: NDArray[Any], spec: CodeSpec) -> NDArray[np.int8] | None:
    """Map an object array whose elements are a few distinct objects.

    Columns of codes usually hold the same few string objects over and over
    (CPython shares one-character strings), so comparing the object pointers
    (read as integers, no reference counts touched) finds every distinct
    object in a few passes. Returns None when there are too many distinct
    objects; the caller then converts through Arrow.
    """
    arr = np.ascontiguousarray(arr, dtype=object)
    n = arr.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    ptr = np.ctypeslib.as_array((ctypes.c_uint64 * n).from_address(arr.ctypes.data))
    codes = np.zeros(n, dtype=np.int8)
    known = np.zeros(n, dtype=bool)
    first = 0
    for _ in range(_MAX_DISTINCT_OBJECTS):
        hit = ptr == ptr[first]
        known |= hit
        code = spec.code_of(arr[first])
        if code:
            codes += hit.view(np.int8) * np.int8(code)
        first = int(np.argmin(known))
        if known[first]:
            return codes
    return None


def _codes_from_objects(arr: NDArray[Any], spec: CodeSpec) -> NDArray[np.int8]:
    import pyarrow as pa

    by_identity = _codes_by_identity(arr, spec)
    if by_identity is not None:
        return by_identity

    try:
        pa_arr = pa.array(arr, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pa_arr = None
    if pa_arr is not None and (
        pa.types.is_string(pa_arr.type) or pa.types.is_large_string(pa_arr.type)
    ):
        return _codes_from_arrow_strings(pa_arr, spec)
    if pa_arr is not None and (
        pa.types.is_integer(pa_arr.type) or pa.types.is_floating(pa_arr.type)
    ):
        return _codes_from_numbers(
            np.asarray(pa_arr.cast(pa.float64()).to_numpy(zero_copy_only=False)), spec
        )
    if pa_arr is not None and pa.types.is_null(pa_arr.type):
        return np.zeros(arr.shape[0], dtype=np.int8)
    # Mixed Python objects (e.g. 1 and "m" in one list): map each distinct
    # object once through a small cache.
    cache: dict[object, int] = {}

    def code(v: object) -> int:
        try:
            return cache[v]
        except KeyError:
            c = cache[v] = spec.code_of(v)
            return c
        except TypeError:
            return spec.code_of(v)

    return np.fromiter((code(v) for v in arr), dtype=np.int8, count=arr.shape[0])


def _codes_from_arrow_strings(pa_arr: Any, spec: CodeSpec) -> NDArray[np.int8]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(pa_arr, pa.ChunkedArray):
        pa_arr = pa_arr.combine_chunks()
    if not pa.types.is_dictionary(pa_arr.type):
        pa_arr = pc.dictionary_encode(pa_arr)
    values = pa_arr.dictionary.to_pylist()
    lut = np.array([spec.code_of(v) for v in values] + [MISSING], dtype=np.int8)
    idx = np.asarray(
        pa_arr.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
    )
    return np.asarray(lut[idx], dtype=np.int8)


def _codes_from_numbers(arr: NDArray[Any], spec: CodeSpec) -> NDArray[np.int8]:
    a = np.asarray(arr)
    if a.dtype.kind not in "iuf":
        a = a.astype(np.float64)
    if a.dtype.kind in "iu" and a.shape[0] and spec.numbers == {1.0: 1, 2.0: 2}:
        # Integer codes that are all 1 or 2 (the usual case) are their own
        # code: two reductions and one cast instead of a pass per number.
        lo, hi = int(a.min()), int(a.max())
        if lo >= 1 and hi <= 2:
            return a.astype(np.int8)
    codes = np.zeros(a.shape[0], dtype=np.int8)
    known = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape[0], dtype=bool)
    for number, code in spec.numbers.items():
        hit = a == number
        known |= hit
        codes += hit.view(np.int8) * np.int8(code)
    unknown = ~known
    if unknown.any():
        codes[unknown] = BAD
    return codes


def as_codes(x: object, name: str, spec: CodeSpec) -> NDArray[np.int8]:
    """Convert codes to int8: ``MISSING`` (0), ``BAD`` (-1) or the code (1, 2)."""
    if x is None:
        return np.zeros(1, dtype=np.int8)
    if _is_scalar(x):
        return np.array([spec.code_of(x)], dtype=np.int8)
    mod = _module(x)
    if mod == "polars":
        x = x.to_arrow()  # type: ignore[attr-defined]
        mod = "pyarrow"
    if mod == "pyarrow":
        import pyarrow as pa

        typ = x.type  # type: ignore[attr-defined]
        if (
            pa.types.is_string(typ)
            or pa.types.is_large_string(typ)
            or pa.types.is_dictionary(typ)
        ):
            if pa.types.is_dictionary(typ):
                x = x.cast(pa.dictionary(typ.index_type, pa.string()))  # type: ignore[attr-defined]
            return _codes_from_arrow_strings(x, spec)
        arr = _arrow_to_numpy(x)
    elif mod == "pandas" and str(getattr(x, "dtype", "")) == "category":
        cat = x.cat  # type: ignore[attr-defined]
        values = list(cat.categories)
        lut = np.array([spec.code_of(v) for v in values] + [MISSING], dtype=np.int8)
        return lut[np.asarray(cat.codes, dtype=np.intp)]
    elif mod == "pandas":
        arr = np.asarray(x.to_numpy())  # type: ignore[attr-defined]
    else:
        arr = np.asarray(x)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    kind = arr.dtype.kind
    if kind == "U":
        codes = _codes_from_unicode(arr, spec)
        if codes is not None:
            return codes
        return _codes_from_objects(arr.astype(object), spec)
    if kind in "iuf":
        return _codes_from_numbers(arr, spec)
    if kind == "b":
        return np.full(arr.shape[0], BAD, dtype=np.int8)
    return _codes_from_objects(arr.astype(object, copy=False), spec)


def broadcast_length(arrays: Mapping[str, NDArray[Any]]) -> int:
    """Common length of the inputs; length-1 inputs broadcast to it."""
    n = 1
    first = ""
    for name, a in arrays.items():
        size = a.shape[0]
        if size == 1 or size == n:
            continue
        if n != 1:
            raise ValueError(
                f"{name} has {size} values but {first} has {n}; "
                "give inputs of the same length (or a single value to broadcast)"
            )
        n, first = size, name
    return n
