"""WHO Child Growth Standards z-scores (0-5 years), as WHO's R package anthro.

The rules (validation, cleaning, the ±0.7 cm and 9-month rules, validity,
interpolation, restricted tails, rounding and flags) follow WHO anthro
1.1.0 ``anthro_zscores``; ``docs/facts.md`` and the reference README list
them. Work is done in chunks of rows that fit the CPU cache, on up to two
threads (numpy releases the GIL), writing straight into the output arrays.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from tumbuh.growth.categories import BBTB, BBU, TBU, categorize
from tumbuh.growth.cleaning import (
    BAD,
    MEASURE_CODES,
    OEDEMA_CODES,
    SEX_CODES,
    CodeSpec,
    as_codes,
    as_float,
    broadcast_length,
)
from tumbuh.growth.indicators import INDICATORS, Indicator
from tumbuh.growth.lms import _z_inplace, z_exact_libm
from tumbuh.growth.rounding import round_into, round_r
from tumbuh.growth.tables import length_tables, lms_table

__all__ = ["ZScores", "zscores"]

F64 = NDArray[np.float64]
Validate = Literal["raise", "row"]

#: Days per month used by WHO Anthro to convert ages: 365.25 / 12 (WHO Anthro manual, 2011,
#: §3.1). The one definition in tumbuh; exported as ``tumbuh.growth.DAYS_PER_MONTH``.
DAYS_PER_MONTH = 30.4375
# WHO anthro: a standing height is converted to length (+0.7 cm) below 731
# days, a recumbent length to height (-0.7 cm) from 731 days (WHO MGRS:
# length exceeds height by 0.7 cm on average).
LENHEI_SHIFT_CM = 0.7
LENGTH_HEIGHT_SWITCH_DAYS = 731
# WHO anthro: standing height under 9 months is not plausible; the measure
# is then treated as missing.
NINE_MONTHS = 9.0
# WHO 2006 standards end at 60 months (exclusive) for z-scores.
MAX_AGE_MONTHS = 60.0
# WHO anthro: without age, lengths below 87 cm use the weight-for-length table.
NO_AGE_LENGTH_SWITCH_CM = 87.0

_AGE_INDICATORS: dict[Indicator, str] = {
    Indicator.length_for_age: "lenhei",
    Indicator.weight_for_age: "weight",
    Indicator.bmi_for_age: "bmi",
    Indicator.head_circumference_for_age: "headc",
    Indicator.arm_circumference_for_age: "armc",
    Indicator.triceps_skinfold_for_age: "triskin",
    Indicator.subscapular_skinfold_for_age: "subskin",
}
_OEDEMA_EXCLUDES = {Indicator.weight_for_age, Indicator.bmi_for_age}
_ALL = (
    Indicator.length_for_age,
    Indicator.weight_for_age,
    Indicator.weight_for_length,
    Indicator.bmi_for_age,
    Indicator.head_circumference_for_age,
    Indicator.arm_circumference_for_age,
    Indicator.triceps_skinfold_for_age,
    Indicator.subscapular_skinfold_for_age,
)
_CHUNK = 1 << 16
_PARALLEL_MIN_ROWS = 1 << 18


@dataclass(frozen=True, eq=False)
class ZScores:
    """Result of :func:`zscores`: one array per anthro output column.

    z-scores are rounded to 2 decimals as R does; flags are 1.0/0.0 and NaN
    where the z-score is missing. Indicators not requested are read-only
    all-NaN arrays. The flags, ``cbmi``, ``age_months_raw``, ``csex``,
    ``c9mo_flag``, ``cmeasure``, the Permenkes categories (``cat_*``, None
    where the z-score is missing or flagged) and ``issues`` are computed on
    first access, from the z arrays, ``clenhei`` and the given weight and
    age arrays (kept by reference): do not modify those in place before
    reading them.
    """

    clenhei: F64
    zlen: F64
    zwei: F64
    zwfl: F64
    zbmi: F64
    zhc: F64
    zac: F64
    zts: F64
    zss: F64
    _cmeasure_code: NDArray[np.int8] = field(repr=False)
    #: 0/1, or 2 where the row was invalid (c9mo_flag NaN).
    _c9mo_code: NDArray[np.int8] = field(repr=False)
    #: 0 (missing), 1 or 2.
    _sex_code: NDArray[np.int8] = field(repr=False)
    #: Age as given (NaN where negative), its unit, and the invalid rows.
    _age: F64 = field(repr=False)
    _age_in_months: bool = field(repr=False)
    _bad_rows: NDArray[np.intp] | None = field(repr=False)
    _weight: F64 = field(repr=False)
    _issue_mask: NDArray[np.uint8] = field(repr=False)
    _issue_text: tuple[str, ...] = field(repr=False)

    def __len__(self) -> int:
        return int(self.zlen.shape[0])

    @functools.cached_property
    def cmeasure(self) -> NDArray[np.object_]:
        """Cleaned measure: 'l', 'h' or None (missing, or standing under 9 months)."""
        return np.array([None, "l", "h"], dtype=object)[self._cmeasure_code]

    @property
    def cmeasure_code(self) -> NDArray[np.int8]:
        """``cmeasure`` as codes (0 None, 1 'l', 2 'h'): no Python object per row."""
        return self._cmeasure_code

    @functools.cached_property
    def cbmi(self) -> F64:
        """BMI (kg/m²) from weight and ``clenhei``; NaN where either is missing."""
        with np.errstate(all="ignore"):
            return _bmi(self._weight, self.clenhei, np.empty(len(self)))

    @functools.cached_property
    def age_months_raw(self) -> F64:
        """Unrounded age in months (given, or days / 30.4375); NaN on invalid rows."""
        n = len(self)
        if self._age_in_months:
            months = np.array(np.broadcast_to(self._age, (n,)), dtype=np.float64)
        else:
            months = np.divide(np.broadcast_to(self._age, (n,)), DAYS_PER_MONTH)
        if self._bad_rows is not None:
            months[self._bad_rows] = np.nan
        return months

    @functools.cached_property
    def c9mo_flag(self) -> F64:
        """1.0 where a standing height under 9 months made the measure missing."""
        return _C9MO_VALUES.take(self._c9mo_code)

    @functools.cached_property
    def csex(self) -> F64:
        """Cleaned sex: 1.0, 2.0, NaN where missing or invalid."""
        return _CSEX_VALUES.take(self._sex_code)

    # Flags (1.0 outside WHO's plausible range, NaN where the z-score is
    # missing) are computed from the rounded z-score on first access.
    @functools.cached_property
    def flen(self) -> F64:
        """Flag of zlen (outside [-6, 6])."""
        return _flag(self.zlen, Indicator.length_for_age)

    @functools.cached_property
    def fwei(self) -> F64:
        """Flag of zwei (outside [-6, 5])."""
        return _flag(self.zwei, Indicator.weight_for_age)

    @functools.cached_property
    def fwfl(self) -> F64:
        """Flag of zwfl (outside [-5, 5])."""
        return _flag(self.zwfl, Indicator.weight_for_length)

    @functools.cached_property
    def fbmi(self) -> F64:
        """Flag of zbmi (outside [-5, 5])."""
        return _flag(self.zbmi, Indicator.bmi_for_age)

    @functools.cached_property
    def fhc(self) -> F64:
        """Flag of zhc (outside [-5, 5])."""
        return _flag(self.zhc, Indicator.head_circumference_for_age)

    @functools.cached_property
    def fac(self) -> F64:
        """Flag of zac (outside [-5, 5])."""
        return _flag(self.zac, Indicator.arm_circumference_for_age)

    @functools.cached_property
    def fts(self) -> F64:
        """Flag of zts (outside [-5, 5])."""
        return _flag(self.zts, Indicator.triceps_skinfold_for_age)

    @functools.cached_property
    def fss(self) -> F64:
        """Flag of zss (outside [-5, 5])."""
        return _flag(self.zss, Indicator.subscapular_skinfold_for_age)

    @functools.cached_property
    def cat_bbu(self) -> NDArray[np.object_]:
        """BB/U (weight-for-age) category, Permenkes 2/2020."""
        return categorize(self.zwei, self.fwei, BBU)

    @functools.cached_property
    def cat_tbu(self) -> NDArray[np.object_]:
        """PB/U or TB/U (length/height-for-age) category, Permenkes 2/2020."""
        return categorize(self.zlen, self.flen, TBU)

    @functools.cached_property
    def cat_bbtb(self) -> NDArray[np.object_]:
        """BB/PB or BB/TB (weight-for-length/height) category, Permenkes 2/2020."""
        return categorize(self.zwfl, self.fwfl, BBTB)

    @functools.cached_property
    def cat_imtu(self) -> NDArray[np.object_]:
        """IMT/U (BMI-for-age) category, Permenkes 2/2020 (BB/PB cut-offs)."""
        return categorize(self.zbmi, self.fbmi, BBTB)

    @functools.cached_property
    def issues(self) -> NDArray[np.object_]:
        """Per row: None, or why the row was not scored (``validate="row"``)."""
        return _issue_strings(self._issue_mask, self._issue_text)

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Columns in anthro's order, then the Permenkes categories."""
        out: dict[str, NDArray[Any]] = {
            name: getattr(self, name)
            for name in ("clenhei", "cmeasure", "c9mo_flag", "cbmi", "csex")
        }
        for ind in _ALL:
            spec = INDICATORS[ind]
            out[spec.z_column] = getattr(self, spec.z_column)
            out[spec.flag_column] = getattr(self, spec.flag_column)
        for name in ("cat_bbu", "cat_tbu", "cat_bbtb", "cat_imtu"):
            out[name] = getattr(self, name)
        return out


def _bmi(weight: F64, clen: F64, out: F64) -> F64:
    """weight / (clen / 100)^2 in anthro's order of operations, into ``out``."""
    np.divide(clen, 100.0, out=out)
    np.multiply(out, out, out=out)
    np.divide(weight, out, out=out)
    return out


_C9MO_VALUES = np.array([0.0, 1.0, np.nan])
_CSEX_VALUES = np.array([np.nan, 1.0, 2.0])


def _flag(z: F64, ind: Indicator) -> F64:
    """WHO anthro flag from the rounded z-score: 5.00 is kept, 5.01 flagged.

    1.0 outside the bounds, 0.0 inside, NaN where z is NaN. Read-only
    all-NaN z columns (indicators not requested) give the same.
    """
    if not z.flags.writeable and z.shape[0] and z.strides == (0,):
        return _nan_column(z.shape[0])
    lo, hi = INDICATORS[ind].flag_bounds
    # lo <= z <= hi  <=>  |z - c| <= h with c the centre and h the half width
    # (exact here: rounded z-scores sit 0.01 apart, far from the bounds).
    centre, half = (lo + hi) / 2.0, (hi - lo) / 2.0
    out = np.empty(z.shape[0])
    for a in range(0, z.shape[0], _CHUNK):
        zc, fc = z[a : a + _CHUNK], out[a : a + _CHUNK]
        t = np.subtract(zc, centre)
        np.abs(t, out=t)
        np.greater(t, half, out=fc)
        # NaN where z is missing: min(flag, |z - c| + 1) is the flag unless NaN.
        np.add(t, 1.0, out=t)
        np.minimum(fc, t, out=fc)
    return out


def _issue_strings(
    mask: NDArray[np.uint8], text: tuple[str, ...]
) -> NDArray[np.object_]:
    """Per-row reasons from a bit mask (bit i set: reason ``text[i]``)."""
    n = mask.shape[0]
    if not text:
        return np.full(n, None, dtype=object)
    labels = np.full(256, None, dtype=object)
    for m in np.flatnonzero(np.bincount(mask, minlength=256)).tolist():
        parts = [t for bit, t in enumerate(text) if m & (1 << bit)]
        labels[m] = "; ".join(parts) if parts else None
    return np.asarray(labels.take(mask), dtype=object)


def _code_issue(
    codes: NDArray[np.int8], raw: object, name: str, spec: CodeSpec, validate: Validate
) -> str:
    """Raise (validate="raise") or return the per-row reason for bad codes."""
    pos = int(np.argmax(codes == BAD))
    msg = f"Some values in {name} are not valid. Accepted values are {spec.accepted}"
    if validate == "raise":
        value = _value_at(raw, pos)
        raise ValueError(f"{msg} (first invalid value {value!r} at position {pos})")
    return f"{name}: not one of {spec.accepted}"


def _value_at(raw: object, pos: int) -> object:
    try:
        if isinstance(raw, str | bytes | int | float) or raw is None:
            return raw
        return raw[pos]  # type: ignore[index]
    except Exception:  # only used to decorate a message
        return "?"


def _nan_column(n: int) -> F64:
    return np.broadcast_to(np.float64(np.nan), (n,))


def zscores(
    *,
    sex: object,
    age_days: object = None,
    age_months: object = None,
    weight_kg: object = None,
    lenhei_cm: object = None,
    measure: object = None,
    oedema: object = None,
    headc_cm: object = None,
    armc_cm: object = None,
    triskin_mm: object = None,
    subskin_mm: object = None,
    indicators: Iterable[Indicator | str] | None = None,
    validate: Validate = "raise",
) -> ZScores:
    """Compute WHO Child Growth Standards z-scores exactly like WHO anthro.

    Parameters
    ----------
    sex
        1/2 or ``"1"``, ``"2"``, ``"m"``, ``"f"``, ``"M"``, ``"F"``; missing
        (None, NaN, ``""``) gives missing z-scores.
    age_days, age_months
        Age at measurement; give at most one (neither: age missing). Days
        are rounded half up to whole days; months are multiplied by 30.4375
        first. z-scores need an unrounded age below 60 months.
    weight_kg, lenhei_cm
        Weight and recumbent length / standing height.
    measure
        ``"l"``/``"L"`` (lying) or ``"h"``/``"H"`` (standing), or missing.
    oedema
        ``"y"``, ``"Y"``, ``"1"``/1 (yes) or ``"n"``, ``"N"``, ``"2"``/2 (no).
        Oedema makes weight-for-age, weight-for-length/height and BMI-for-age
        missing.
    headc_cm, armc_cm, triskin_mm, subskin_mm
        Head and mid-upper-arm circumference (cm), triceps and subscapular
        skinfolds (mm).
    indicators
        Compute only these (``Indicator`` members or codes such as
        ``"len"``); the others come back as read-only all-NaN arrays.
    validate
        ``"raise"`` (default, like anthro): a bad sex, measure or oedema code
        or a negative age raises ``ValueError`` naming the parameter and the
        first bad position. ``"row"``: such rows get NaN outputs and a reason
        in ``ZScores.issues``.

    Inputs may be numpy arrays, lists, pandas/polars Series or pyarrow
    arrays; single values broadcast to the common length.

    Returns
    -------
    ZScores
        Arrays named as anthro's columns (``clenhei, cmeasure, c9mo_flag,
        cbmi, csex, zlen, flen, zwei, fwei, zwfl, fwfl, zbmi, fbmi, zhc, fhc,
        zac, fac, zts, fts, zss, fss``) plus Permenkes categories.

    Raises
    ------
    ValueError
        Inputs of different lengths, both ages given, or (``validate="raise"``)
        invalid codes / negative age.

    References
    ----------
    WHO Multicentre Growth Reference Study Group (2006). WHO Child Growth
    Standards: Methods and development. Geneva: WHO. R package ``anthro``
    (github.com/WorldHealthOrganization/anthro).

    Examples
    --------
    >>> r = zscores(sex=[1, "f"], age_days=[365, 1000], weight_kg=[9.6, 12.0],
    ...             lenhei_cm=[75.7, 88.0], measure=["l", "h"])
    >>> r.zlen.tolist(), r.zwei.tolist(), r.zwfl.tolist()
    ([-0.02, -1.31], [-0.04, -0.79], [-0.06, -0.14])
    >>> r.cat_tbu.tolist()
    ['Normal', 'Normal']
    >>> zscores(sex=1, age_months=24, lenhei_cm=85.0, measure="l").clenhei.tolist()
    [84.3]
    >>> zscores(sex=[1, 3], age_days=100, validate="row").issues.tolist()
    [None, 'sex: not one of 1, 2, m, f, M, F, NA']
    """
    if validate not in ("raise", "row"):
        raise ValueError(f"validate must be 'raise' or 'row', got {validate!r}")
    if age_days is not None and age_months is not None:
        raise ValueError("give age_days or age_months, not both")
    in_months = age_months is not None
    age_name = "age_months" if in_months else "age_days"
    wanted = _wanted(indicators)

    floats = {
        age_name: as_float(age_months if in_months else age_days, age_name),
        "weight_kg": as_float(weight_kg, "weight_kg"),
        "lenhei_cm": as_float(lenhei_cm, "lenhei_cm"),
        "headc_cm": as_float(headc_cm, "headc_cm"),
        "armc_cm": as_float(armc_cm, "armc_cm"),
        "triskin_mm": as_float(triskin_mm, "triskin_mm"),
        "subskin_mm": as_float(subskin_mm, "subskin_mm"),
    }
    raws = {"sex": sex, "measure": measure, "oedema": oedema}
    specs = {"sex": SEX_CODES, "measure": MEASURE_CODES, "oedema": OEDEMA_CODES}
    codes = {k: as_codes(raws[k], k, specs[k]) for k in raws}
    n = broadcast_length({**floats, **codes})

    issue_text: list[str] = []
    issue_mask = np.zeros(1, dtype=np.uint8)
    bad_any = np.zeros(1, dtype=bool)
    for name in ("sex", "measure", "oedema"):
        bad = codes[name] == BAD
        if bad.any():
            reason = _code_issue(codes[name], raws[name], name, specs[name], validate)
            issue_mask = issue_mask | (
                bad.astype(np.uint8) << np.uint8(len(issue_text))
            )
            issue_text.append(reason)
            bad_any = bad_any | bad
    age = floats[age_name]
    neg = age < 0
    if neg.any():
        pos = int(np.argmax(neg))
        if validate == "raise":
            raise ValueError(
                f"{age_name} must not be negative (all(x >= 0, na.rm = TRUE) is "
                f"not TRUE): first negative value {age[pos]!r} at position {pos}"
            )
        issue_mask = issue_mask | (neg.astype(np.uint8) << np.uint8(len(issue_text)))
        issue_text.append(f"{age_name}: negative age")
        bad_any = bad_any | neg

    def full(a: NDArray[Any]) -> NDArray[Any]:
        return np.broadcast_to(a, (n,)) if a.shape[0] != n else a

    sexc = full(codes["sex"])
    measc = full(codes["measure"])
    oedc = full(codes["oedema"])
    if bad_any.any():
        # Bad rows are scored as if everything were missing, then blanked.
        bad_rows = full(bad_any)
        sexc = np.where(bad_rows, 0, sexc).astype(np.int8)
        measc = np.where(bad_rows, 0, measc).astype(np.int8)
        age = np.where(full(neg), np.nan, full(age))
    inp = _Inputs(
        n=n,
        in_months=in_months,
        age=full(age),
        sex=sexc,
        measure=measc,
        oedema=full(oedc),
        weight=full(floats["weight_kg"]),
        lenhei=full(floats["lenhei_cm"]),
        headc=full(floats["headc_cm"]),
        armc=full(floats["armc_cm"]),
        triskin=full(floats["triskin_mm"]),
        subskin=full(floats["subskin_mm"]),
    )
    out = _Outputs.allocate(n, wanted)
    _run_chunks(n, functools.partial(_score_chunk, inp, out, wanted))

    rows: NDArray[np.intp] | None = None
    if bad_any.any():
        rows = np.flatnonzero(full(bad_any))
        for arr in out.arrays.values():
            if arr.flags.writeable:
                arr[rows] = np.nan
        out.cmeasure[rows] = 0
        out.c9mo[rows] = 2
    mask = (
        full(issue_mask).copy()
        if issue_mask.shape[0] == n
        else np.broadcast_to(issue_mask, (n,))
    )
    return ZScores(
        **out.arrays,
        _cmeasure_code=out.cmeasure,
        _c9mo_code=out.c9mo,
        _sex_code=sexc,
        _age=inp.age,
        _age_in_months=in_months,
        _bad_rows=rows,
        _weight=inp.weight,
        _issue_mask=mask,
        _issue_text=tuple(issue_text),
    )


def _wanted(indicators: Iterable[Indicator | str] | None) -> frozenset[Indicator]:
    if indicators is None:
        return frozenset(_ALL)
    wanted = set()
    for ind in indicators:
        try:
            member = Indicator(ind)
        except ValueError:
            raise ValueError(f"indicators: unknown indicator {ind!r}") from None
        if member is Indicator.weight_for_height:
            member = Indicator.weight_for_length
        if member not in _ALL:
            raise ValueError(
                f"indicators: {member.value!r} is a WHO 2007 indicator; use zscores_who2007"
            )
        wanted.add(member)
    return frozenset(wanted)


@dataclass(frozen=True, slots=True)
class _Inputs:
    n: int
    in_months: bool
    age: F64
    sex: NDArray[np.int8]
    measure: NDArray[np.int8]
    oedema: NDArray[np.int8]
    weight: F64
    lenhei: F64
    headc: F64
    armc: F64
    triskin: F64
    subskin: F64


@dataclass(frozen=True, slots=True)
class _Outputs:
    arrays: dict[str, F64]
    cmeasure: NDArray[np.int8]
    c9mo: NDArray[np.int8]

    @classmethod
    def allocate(cls, n: int, wanted: frozenset[Indicator]) -> _Outputs:
        arrays: dict[str, F64] = {}
        arrays["clenhei"] = np.empty(n)
        for ind in _ALL:
            spec = INDICATORS[ind]
            arrays[spec.z_column] = np.empty(n) if ind in wanted else _nan_column(n)
        return cls(arrays, np.empty(n, dtype=np.int8), np.empty(n, dtype=np.int8))


_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    # One long-lived pool, so that its threads keep their scratch buffers. A
    # forked child has no threads of its parent, so it gets a pool of its own.
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            executor = ThreadPoolExecutor(
                max_workers=threads, thread_name_prefix="tumbuh-growth"
            )
            _POOL = (os.getpid(), executor)
        return _POOL[1]


def _run_chunks(n: int, work: Callable[[int, int], None]) -> None:
    bounds = [(a, min(a + _CHUNK, n)) for a in range(0, n, _CHUNK)]
    threads = min(2, os.cpu_count() or 1)
    if n < _PARALLEL_MIN_ROWS or threads < 2:
        for a, b in bounds:
            work(a, b)
        return
    # One task per thread, each taking the next chunk from a shared iterator
    # (next() on a list iterator is atomic under the GIL): few submissions,
    # and a thread slowed down by other processes simply takes fewer chunks.
    todo = iter(bounds)

    def drain() -> None:
        for a, b in todo:
            work(a, b)

    for fut in [_pool(threads).submit(drain) for _ in range(threads)]:
        fut.result()


class _Work:
    """Per-thread scratch buffers, reused over chunks and calls.

    Temporaries of a few hundred kB are mmapped and page-faulted by the
    allocator each time; reusing them makes the kernel several times faster.
    """

    def __init__(self) -> None:
        self._bufs: dict[tuple[str, str], NDArray[Any]] = {}

    def get(
        self, name: str, m: int, dtype: type[np.generic] = np.float64
    ) -> NDArray[Any]:
        key = (name, np.dtype(dtype).char)
        buf = self._bufs.get(key)
        if buf is None or buf.shape[0] < m:
            buf = self._bufs[key] = np.empty(max(m, _CHUNK), dtype=dtype)
        return buf[:m]

    def f(self, name: str, m: int) -> F64:
        return self.get(name, m, np.float64)

    def b(self, name: str, m: int) -> NDArray[np.bool_]:
        return self.get(name, m, np.bool_)

    def i(self, name: str, m: int) -> NDArray[np.intp]:
        return self.get(name, m, np.intp)


_LOCAL = threading.local()


def _work() -> _Work:
    w: _Work | None = getattr(_LOCAL, "work", None)
    if w is None:
        w = _LOCAL.work = _Work()
    return w


def _round(
    z: F64,
    zout: F64,
    w: _Work,
    lms: tuple[F64, F64, F64, F64, bool] | None = None,
) -> None:
    m = z.shape[0]
    near = round_into(
        z, zout, 2, w.f("r1", m), w.f("r2", m), w.b("r3", m), w.b("r4", m)
    )
    if near is not None and lms is not None:
        # numpy's power may be one ulp off libm's pow (which R uses); on a
        # rounding tie that ulp decides the second decimal, so redo the few
        # near-tie rows with libm's pow and R's rounding.
        y, L, M, LS, restricted = lms
        exact = np.array(
            [
                z_exact_libm(y[i], L[i], M[i], LS[i], restricted=restricted)
                for i in near.tolist()
            ]
        )
        zout[near] = round_r(exact, 2)


def _score_chunk(
    inp: _Inputs, out: _Outputs, wanted: frozenset[Indicator], a: int, b: int
) -> None:
    with np.errstate(all="ignore"):
        _score_chunk_impl(inp, out, wanted, a, b, _work())


# Selections use arithmetic on 0/1 masks instead of np.where or masked
# assignment: with masks that vary row by row (young/old, lying/standing)
# np.where is an order of magnitude slower than a multiply. Every
# temporary comes from the per-thread _Work buffers.
_DAY_STRIDE = 1827
_DAY_SENTINEL = 2 * _DAY_STRIDE


def _score_chunk_impl(
    inp: _Inputs, out: _Outputs, wanted: frozenset[Indicator], a: int, b: int, w: _Work
) -> None:
    m = b - a
    o = out.arrays
    sx = inp.sex[a:b]
    age = inp.age[a:b]
    days = w.f("days", m)
    if inp.in_months:
        months = age
        np.multiply(age, DAYS_PER_MONTH, out=days)
        np.add(days, 0.5, out=days)
    else:
        months = np.divide(age, DAYS_PER_MONTH, out=w.f("months", m))
        np.add(age, 0.5, out=days)
    # anthro rule 4: round half up to a whole day.
    np.floor(days, out=days)
    tb = w.b("tb", m)

    # 9-month rule: standing height under 9 months → measure missing.
    ms = inp.measure[a:b]
    nine = w.b("nine", m)
    np.equal(ms, 2, out=nine)
    np.less(months, NINE_MONTHS, out=tb)
    np.logical_and(nine, tb, out=nine)
    np.copyto(out.c9mo[a:b], nine)
    cm = out.cmeasure[a:b]
    np.logical_not(nine, out=tb)
    np.multiply(ms, tb, out=cm)

    # ±0.7 cm with the rounded age in days and the cleaned measure: +0.7 for
    # a height under 731 days, -0.7 for a length from 731 days.
    young = w.b("young", m)
    np.less(days, LENGTH_HEIGHT_SWITCH_DAYS, out=young)
    np.equal(cm, 2, out=tb)
    np.logical_and(young, tb, out=young)
    old = w.b("old", m)
    np.greater_equal(days, LENGTH_HEIGHT_SWITCH_DAYS, out=old)
    np.equal(cm, 1, out=tb)
    np.logical_and(old, tb, out=old)
    shift = w.get("shift", m, np.int8)
    np.subtract(young.view(np.int8), old.view(np.int8), out=shift)
    clen = o["clenhei"][a:b]
    np.multiply(shift, LENHEI_SHIFT_CM, out=clen)
    np.add(clen, inp.lenhei[a:b], out=clen)

    weight = inp.weight[a:b]
    # BMI only as the input of BMI-for-age (the cbmi column is computed on
    # first access, with the same operations).
    if Indicator.bmi_for_age in wanted:
        cbmi = _bmi(weight, clen, w.f("bmi", m))
    else:
        cbmi = weight  # unused

    no_oed = w.b("no_oed", m)
    np.not_equal(inp.oedema[a:b], 1, out=no_oed)
    zbuf = w.f("z", m)
    tails = (w.f("tail_abs", m), w.b("tail_mask", m))

    age_wanted = [i for i in _AGE_INDICATORS if i in wanted]
    if age_wanted:
        # Day-table index minus the sentinel, so that index * ok + sentinel
        # gives the row's index where ok and the NaN sentinel elsewhere.
        # Valid: known sex and unrounded age < 60 months (hence <= 1826 days).
        ok = w.b("ok", m)
        np.less(months, MAX_AGE_MONTHS, out=ok)
        np.greater(sx, 0, out=tb)
        np.logical_and(ok, tb, out=ok)
        rel = w.i("rel", m)
        np.copyto(rel, days, casting="unsafe")  # NaN rows are masked below
        idx = w.i("idx", m)
        np.multiply(sx, _DAY_STRIDE, out=idx, dtype=np.intp)
        np.add(rel, idx, out=rel)
        np.subtract(rel, _DAY_STRIDE + _DAY_SENTINEL, out=rel)
        # The table index is shared by the indicators with the same validity
        # mask (with and without the oedema exclusion); computed on first use.
        shared: dict[bool, NDArray[np.intp]] = {}

        def index_for(oedema_excludes: bool) -> NDArray[np.intp]:
            got = shared.get(oedema_excludes)
            if got is None:
                got = w.i(f"idx{int(oedema_excludes)}", m)
                if oedema_excludes:
                    np.logical_and(ok, no_oed, out=tb)
                    np.multiply(rel, tb, out=got)
                else:
                    np.multiply(rel, ok, out=got)
                np.add(got, _DAY_SENTINEL, out=got)
                shared[oedema_excludes] = got
            return got

        measures = {
            "lenhei": clen,
            "weight": weight,
            "bmi": cbmi,
            "headc": inp.headc[a:b],
            "armc": inp.armc[a:b],
            "triskin": inp.triskin[a:b],
            "subskin": inp.subskin[a:b],
        }
        cond = w.b("cond", m)
        g1, g2, g3 = w.f("g1", m), w.f("g2", m), w.f("g3", m)
        for ind in age_wanted:
            spec = INDICATORS[ind]
            tab = lms_table(ind)
            y = measures[_AGE_INDICATORS[ind]]
            idx = index_for(ind in _OEDEMA_EXCLUDES)
            # mode="clip" skips the bounds error path (indices are in range).
            M = np.take(tab.M, idx, out=g1, mode="clip")
            LS = np.take(tab.S if tab.l_is_one else tab.LS, idx, out=g2, mode="clip")
            L = M if tab.l_is_one else np.take(tab.L, idx, out=g3, mode="clip")
            _z_inplace(
                y,
                L,
                M,
                LS,
                zbuf,
                restricted=spec.restricted_tails,
                l_is_one=tab.l_is_one,
                scratch=tails,
            )
            # anthro rule 8: a measurement <= 0 (or missing) is treated as
            # missing; NaN already gives NaN, so blank only rows <= 0.
            np.less_equal(y, 0.0, out=cond)
            if cond.any():
                np.copyto(zbuf, np.nan, where=cond)
            _round(
                zbuf,
                o[spec.z_column][a:b],
                w,
                None if tab.l_is_one else (y, L, M, LS, spec.restricted_tails),
            )

    if Indicator.weight_for_length in wanted:
        _score_wfl(inp, out, a, b, days, months, no_oed, w)


def _score_wfl(
    inp: _Inputs,
    out: _Outputs,
    a: int,
    b: int,
    days: F64,
    months: F64,
    no_oed: NDArray[np.bool_],
    w: _Work,
) -> None:
    m = b - a
    lt = length_tables()
    o = out.arrays
    clen = o["clenhei"][a:b]
    cm = out.cmeasure[a:b]
    sx = inp.sex[a:b]
    age = inp.age[a:b]
    tb = w.b("tb", m)
    # Table by age (< 731 days: length table); without age by measure, and
    # without measure by length < 87 cm (anthro rule 12).
    no_age = w.b("no_age", m)
    np.isnan(age, out=no_age)
    use_height = w.b("use_height", m)
    np.greater_equal(days, LENGTH_HEIGHT_SWITCH_DAYS, out=use_height)
    if no_age.any():
        by_measure = np.where(
            cm == 2, True, np.where(cm == 1, False, clen >= NO_AGE_LENGTH_SWITCH_CM)
        )
        np.copyto(use_height, by_measure, where=no_age)
    (lo_l, hi_l), (lo_h, hi_h) = lt.ranges
    uh = use_height.view(np.int8)
    # Inclusive range of the chosen table, compared on the floating value:
    # valid = (lo_h <= x <= hi_h) if height else (lo_l <= x <= hi_l).
    valid = w.b("valid", m)
    alt = w.b("alt", m)
    np.greater_equal(clen, lo_l, out=valid)
    np.less_equal(clen, hi_l, out=tb)
    np.logical_and(valid, tb, out=valid)
    np.greater_equal(clen, lo_h, out=alt)
    np.less_equal(clen, hi_h, out=tb)
    np.logical_and(alt, tb, out=alt)
    np.logical_and(alt, use_height, out=alt)
    np.greater(valid, use_height, out=valid)  # valid and not height
    np.logical_or(valid, alt, out=valid)
    np.greater(sx, 0, out=tb)
    np.logical_and(valid, tb, out=valid)
    np.logical_and(valid, no_oed, out=valid)
    np.less(months, MAX_AGE_MONTHS, out=tb)
    np.logical_or(tb, no_age, out=tb)
    np.logical_and(valid, tb, out=valid)
    # anthro rule 13: lower = trunc(10x)/10, upper = trunc(10x + 1)/10,
    # fraction = (x - lower)/0.1, interpolation only when fraction > 0.
    k = w.f("k", m)
    x10 = w.f("x10", m)
    np.multiply(clen, 10.0, out=x10)
    np.trunc(x10, out=k)
    np.add(x10, 1.0, out=x10)
    np.trunc(x10, out=x10)
    sent = lt.sentinel
    # Block offset (minus the sentinel) by 2 * height + sex, in int8; sex 0
    # (missing) rows are invalid, any block will do for them.
    blk = w.get("blk", m, np.int8)
    np.add(uh, uh, out=blk)
    np.add(blk, sx, out=blk)
    off = w.i("off", m)
    np.copyto(off, blk)
    lut = lt.offset.take([0, 0, 1, 2, 3]) - sent
    np.take(lut, off, out=off, mode="clip")
    ilo, iup = w.i("ilo", m), w.i("iup", m)
    # Invalid rows: the lower index points at the NaN sentinel, which makes
    # the interpolated L, M and S NaN whatever the upper entry (clipped to
    # the table) holds, so only the lower index is masked.
    np.copyto(ilo, k, casting="unsafe")  # invalid rows are masked next
    np.add(ilo, off, out=ilo)
    np.multiply(ilo, valid, out=ilo)
    np.add(ilo, sent, out=ilo)
    np.copyto(iup, x10, casting="unsafe")
    np.add(iup, off, out=iup)
    np.add(iup, sent, out=iup)
    frac = w.f("frac", m)
    np.divide(k, 10.0, out=frac)
    np.subtract(clen, frac, out=frac)
    np.divide(frac, 0.1, out=frac)
    np.maximum(frac, 0.0, out=frac)
    lo_buf = w.f("lo", m)

    def interp(t: F64, dest: F64) -> F64:
        lo_v = np.take(t, ilo, out=lo_buf, mode="clip")
        np.take(t, iup, out=dest, mode="clip")
        np.subtract(dest, lo_v, out=dest)
        np.multiply(dest, frac, out=dest)
        np.add(dest, lo_v, out=dest)
        return dest

    L = interp(lt.L, w.f("g1", m))
    LS = interp(lt.S, w.f("g2", m))
    np.multiply(LS, L, out=LS)
    M = interp(lt.M, w.f("g3", m))
    zbuf = w.f("z", m)
    spec = INDICATORS[Indicator.weight_for_length]
    _z_inplace(
        inp.weight[a:b],
        L,
        M,
        LS,
        zbuf,
        restricted=True,
        l_is_one=False,
        scratch=(w.f("tail_abs", m), w.b("tail_mask", m)),
    )
    _round(
        zbuf,
        o[spec.z_column][a:b],
        w,
        (inp.weight[a:b], L, M, LS, True),
    )
