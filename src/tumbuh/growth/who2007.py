"""WHO Reference 2007 z-scores (5-19 years), as WHO's R package anthroplus.

Age is in months and used as given; L, M and S are interpolated linearly
between whole months (only when the age has a fractional part). Height-for-
age and BMI-for-age are valid for 60-228 months, weight-for-age for 60-120
months (WHO 2007 reference; anthroplus 1.0.0).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tumbuh.growth.categories import BBU, IMTU_2007, TBU, categorize
from tumbuh.growth.cleaning import (
    BAD,
    OEDEMA_CODES,
    SEX_CODES,
    as_codes,
    as_float,
    broadcast_length,
)
from tumbuh.growth.indicators import INDICATORS, Indicator
from tumbuh.growth.lms import _z_inplace, z_exact_libm
from tumbuh.growth.rounding import round_into, round_r
from tumbuh.growth.tables import lms_table
from tumbuh.growth.zscores import Validate, _code_issue, _issue_strings

__all__ = ["ZScores2007", "zscores_who2007"]

F64 = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ZScores2007:
    """Result of :func:`zscores_who2007`, named as anthroplus's columns."""

    cbmi: F64
    zhfa: F64
    fhfa: F64
    zwfa: F64
    fwfa: F64
    zbfa: F64
    fbfa: F64
    csex: F64
    _oedema_code: NDArray[np.int8] = field(repr=False)
    _issue_mask: NDArray[np.uint8] = field(repr=False)
    _issue_text: tuple[str, ...] = field(repr=False)

    def __len__(self) -> int:
        return int(self.zhfa.shape[0])

    @functools.cached_property
    def coedema(self) -> NDArray[np.object_]:
        """'y' or 'n' (missing oedema counts as 'n', as in anthroplus)."""
        return np.where(self._oedema_code == 1, "y", "n").astype(object)

    @functools.cached_property
    def cat_tbu(self) -> NDArray[np.object_]:
        """TB/U category, Permenkes 2/2020 (5-18 years)."""
        return categorize(self.zhfa, self.fhfa, TBU)

    @functools.cached_property
    def cat_imtu(self) -> NDArray[np.object_]:
        """IMT/U category, Permenkes 2/2020 (5-18 years)."""
        return categorize(self.zbfa, self.fbfa, IMTU_2007)

    @functools.cached_property
    def cat_bbu(self) -> NDArray[np.object_]:
        """BB/U category (weight-for-age, 5-10 years)."""
        return categorize(self.zwfa, self.fwfa, BBU)

    @functools.cached_property
    def issues(self) -> NDArray[np.object_]:
        """Per row: None, or why the row was not scored (``validate="row"``)."""
        return _issue_strings(self._issue_mask, self._issue_text)

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Columns in anthroplus's order, then the Permenkes categories."""
        return {
            "csex": self.csex,
            "coedema": self.coedema,
            "cbmi": self.cbmi,
            "zhfa": self.zhfa,
            "fhfa": self.fhfa,
            "zwfa": self.zwfa,
            "fwfa": self.fwfa,
            "zbfa": self.zbfa,
            "fbfa": self.fbfa,
            "cat_tbu": self.cat_tbu,
            "cat_bbu": self.cat_bbu,
            "cat_imtu": self.cat_imtu,
        }


def zscores_who2007(
    *,
    sex: object,
    age_months: object,
    weight_kg: object = None,
    height_cm: object = None,
    oedema: object = None,
    validate: Validate = "raise",
) -> ZScores2007:
    """Compute WHO 2007 (5-19 years) z-scores exactly like WHO anthroplus.

    Parameters
    ----------
    sex
        1/2 or ``"1"``, ``"2"``, ``"m"``, ``"f"``, ``"M"``, ``"F"``; missing
        gives missing z-scores.
    age_months
        Age in months (not rounded).
    weight_kg, height_cm
        Weight and height. Negative values are errors (as in anthroplus);
        zero is scored.
    oedema
        ``"y"``/``"Y"``/``"1"`` makes weight- and BMI-for-age missing.
    validate
        ``"raise"`` (like anthroplus) or ``"row"`` (bad rows get NaN and a
        reason in ``issues``).

    Returns
    -------
    ZScores2007
        ``cbmi, zhfa, fhfa, zwfa, fwfa, zbfa, fbfa, csex, coedema`` and the
        Permenkes categories ``cat_tbu``, ``cat_imtu``, ``cat_bbu``.

    Examples
    --------
    >>> r = zscores_who2007(sex=["m", 2], age_months=[96, 150.5],
    ...                     weight_kg=[25.4, 40.0], height_cm=[127.3, 150.1])
    >>> r.zhfa.tolist(), r.zwfa.tolist(), r.zbfa.tolist()
    ([0.01, -0.6], [0.0, nan], [-0.04, -0.29])
    >>> r.cat_imtu.tolist()
    ['Gizi baik', 'Gizi baik']
    """
    if validate not in ("raise", "row"):
        raise ValueError(f"validate must be 'raise' or 'row', got {validate!r}")
    floats = {
        "age_months": as_float(age_months, "age_months"),
        "weight_kg": as_float(weight_kg, "weight_kg"),
        "height_cm": as_float(height_cm, "height_cm"),
    }
    sexc = as_codes(sex, "sex", SEX_CODES)
    oedc = as_codes(oedema, "oedema", OEDEMA_CODES)
    n = broadcast_length({**floats, "sex": sexc, "oedema": oedc})

    def full(a: NDArray[Any]) -> NDArray[Any]:
        return np.broadcast_to(a, (n,)) if a.shape[0] != n else a

    issue_text: list[str] = []
    issue_mask = np.zeros(n, dtype=np.uint8)
    for name, codes, code_spec, raw in (
        ("sex", sexc, SEX_CODES, sex),
        ("oedema", oedc, OEDEMA_CODES, oedema),
    ):
        bad = full(codes == BAD)
        if bad.any():
            reason = _code_issue(full(codes), raw, name, code_spec, validate)
            issue_mask |= bad.astype(np.uint8) << len(issue_text)
            issue_text.append(reason)
    for name, arr in floats.items():
        neg = full(arr < 0)
        if neg.any():
            pos = int(np.argmax(neg))
            if validate == "raise":
                raise ValueError(
                    f"{name} must not be negative: first negative value "
                    f"{full(arr)[pos]!r} at position {pos}"
                )
            issue_mask |= neg.astype(np.uint8) << len(issue_text)
            issue_text.append(f"{name}: negative value")

    age = full(floats["age_months"])
    weight = full(floats["weight_kg"])
    height = full(floats["height_cm"])
    sx = full(sexc)
    oed = full(oedc) == 1
    with np.errstate(all="ignore"):
        h = height / 100.0
        cbmi = weight / (h * h)
        csex = np.where(sx > 0, sx, np.nan).astype(np.float64)
        # anthroplus interpolates between whole months: lower = trunc(age),
        # upper = trunc(age + 1), fraction = age - lower (used when > 0).
        low = np.trunc(age)
        up = np.trunc(age + 1.0)
        frac = np.maximum(age - low, 0.0)
        out: dict[str, F64] = {}
        for ind, y, excl in (
            (Indicator.height_for_age_2007, height, None),
            (Indicator.weight_for_age_2007, weight, oed),
            (Indicator.bmi_for_age_2007, cbmi, oed),
        ):
            spec = INDICATORS[ind]
            tab = lms_table(ind)
            lo_age, hi_age = spec.valid_range
            valid = (age >= lo_age) & (age <= hi_age) & (sx > 0)
            if excl is not None:
                valid &= ~excl
            base = (sx - 1.0) * tab.stride - tab.first
            sent = float(tab.sentinel)
            ilo = np.where(valid, base + low, sent).astype(np.intp)
            iup = np.where(valid, base + up, sent).astype(np.intp)

            def interp(
                t: F64, ilo: NDArray[np.intp] = ilo, iup: NDArray[np.intp] = iup
            ) -> F64:
                lo_v = t.take(ilo)
                return np.asarray(lo_v + frac * (t.take(iup) - lo_v), dtype=np.float64)

            z = np.empty(n)
            L = interp(tab.L)
            M = interp(tab.M)
            LS = L * interp(tab.S)
            _z_inplace(
                y, L, M, LS, z, restricted=spec.restricted_tails, l_is_one=tab.l_is_one
            )
            zr = np.empty(n)
            near = round_into(
                z,
                zr,
                2,
                np.empty(n),
                np.empty(n),
                np.empty(n, dtype=bool),
                np.empty(n, dtype=bool),
            )
            if near is not None and not tab.l_is_one:
                # Rows on a rounding tie: redo with libm's pow, as R computes.
                exact = [
                    z_exact_libm(
                        y[i], L[i], M[i], LS[i], restricted=spec.restricted_tails
                    )
                    for i in near.tolist()
                ]
                zr[near] = round_r(np.array(exact), 2)
            flag = ((zr < spec.flag_bounds[0]) | (zr > spec.flag_bounds[1])).astype(
                np.float64
            )
            flag[np.isnan(zr)] = np.nan
            out[spec.z_column] = zr
            out[spec.flag_column] = flag
    bad_rows = np.flatnonzero(issue_mask)
    if bad_rows.size:
        for arr in (cbmi, csex, *out.values()):
            arr[bad_rows] = np.nan
    return ZScores2007(
        cbmi=cbmi,
        csex=csex,
        **out,
        _oedema_code=np.array(full(oedc), dtype=np.int8),
        _issue_mask=issue_mask,
        _issue_text=tuple(issue_text),
    )
