"""The vectorised kernel against a plain row-by-row reading of anthro's rules.

The reference below is written straight from the rules in the WHO reference
README (one row at a time, Python floats, libm ``pow``), independently of the
kernel's index arithmetic, chunking and threads. Random children with many
edge values must agree exactly.
"""

from __future__ import annotations

import csv
import math
import sys
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pytest
from tests.growth.test_rounding import r_round_scalar

from tumbuh.growth import zscores

_zmod = sys.modules["tumbuh.growth.zscores"]
LMS = tuple[float, float, float]


@cache
def _table(name: str) -> dict[tuple[int, int], LMS]:
    text = (
        resources.files("tumbuh.growth.data").joinpath(name).read_text(encoding="utf-8")
    )
    rows = list(csv.reader(text.splitlines()))[1:]
    # Age tables are keyed by day, length tables by tenth of a centimetre.
    scale = 10 if "wf" in name and "who2007" not in name else 1
    return {
        (int(r[0]), round(float(r[1]) * scale)): (float(r[2]), float(r[3]), float(r[4]))
        for r in rows
    }


def _z(y: float, lms: LMS, restricted: bool) -> float:
    L, M, S = lms
    try:
        z = (math.pow(y / M, L) - 1) / (S * L)
    except ValueError:
        return math.nan
    if restricted and abs(z) > 3:

        def sd(k: float) -> float:
            return M * math.pow(1 + L * S * k, 1 / L)

        if z > 3:
            z = 3 + (y - sd(3)) / (sd(3) - sd(2))
        else:
            z = -3 + (y - sd(-3)) / (sd(-2) - sd(-3))
    return z


def _score_row(
    sex: int | None, age: float, w: float, lh: float, measure: str | None, oedema: bool
) -> dict[str, float]:
    nan = math.nan
    out = {"zlen": nan, "zwei": nan, "zwfl": nan, "zbmi": nan}
    months = age / 30.4375
    day = math.floor(age + 0.5) if not math.isnan(age) else None
    c9 = measure == "h" and months < 9
    m = None if c9 else measure
    clen = lh
    if day is not None and day < 731 and m == "h":
        clen = lh + 0.7
    elif day is not None and day >= 731 and m == "l":
        clen = lh - 0.7
    h = clen / 100
    bmi = w / (h * h) if h != 0 else (math.nan if w == 0 else math.inf)
    out["clenhei"], out["cbmi"] = clen, bmi
    if sex is None:
        return out
    age_ok = day is not None and months < 60
    for col, name, y, restricted, excluded in (
        ("zlen", "lenanthro.csv", clen, False, False),
        ("zwei", "weianthro.csv", w, True, oedema),
        ("zbmi", "bmianthro.csv", bmi, True, oedema),
    ):
        if age_ok and not excluded and y > 0 and day is not None:
            out[col] = _z(y, _table("who2006/" + name)[(sex, day)], restricted)
    if day is None:
        height = m == "h" or (m is None and clen >= 87)
    else:
        height = day >= 731
    lo, hi, name = (65, 120, "wfhanthro.csv") if height else (45, 110, "wflanthro.csv")
    if lo <= clen <= hi and not oedema and (day is None or months < 60):
        tab = _table("who2006/" + name)
        k, ku = math.trunc(clen * 10), math.trunc(clen * 10 + 1)
        frac = (clen - k / 10) / 0.1
        low = tab[(sex, k)]
        if frac > 0:
            up = tab[(sex, ku)]
            lms = tuple(a + frac * (b - a) for a, b in zip(low, up, strict=True))
        else:
            lms = low
        out["zwfl"] = _z(w, lms, True)  # type: ignore[arg-type]
    return out


def _children(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    age = rng.uniform(0, 1900, n)
    edges = rng.random(n) < 0.3
    age[edges] = rng.choice(
        [0, 90.5, 273.9, 274, 730.4, 730.5, 731, 1826, 1826.2, 1826.25, np.nan],
        size=int(edges.sum()),
    )
    age[::7] = np.round(age[::7])
    decimals = rng.integers(0, 3, n)
    lh = np.round(rng.uniform(40, 125, n) * 10.0**decimals) / 10.0**decimals
    lh[::11] = rng.choice(
        [44.3, 45.0, 64.3, 65.0, 86.9, 87.0, 109.3, 110.0, 120.0], size=lh[::11].size
    )
    w = np.round(rng.uniform(1.5, 28, n), 2)
    return {
        "sex": rng.choice(np.array(["1", "2", "m", "F", ""], dtype=object), n),
        "age_days": age,
        "weight_kg": w,
        "lenhei_cm": lh,
        "measure": rng.choice(np.array(["l", "h", "L", None], dtype=object), n),
        "oedema": rng.choice(
            np.array(["n", "y", None], dtype=object), n, p=[0.8, 0.1, 0.1]
        ),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kernel_equals_a_row_by_row_reading_of_the_rules(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks and a low threshold so that several threads share the rows.
    monkeypatch.setattr(_zmod, "_CHUNK", 257)
    monkeypatch.setattr(_zmod, "_PARALLEL_MIN_ROWS", 500)
    kids = _children(3000, seed)
    r = zscores(**kids, indicators=["len", "wei", "wfl", "bmi"])
    for col in ("zlen", "zwei", "zwfl", "zbmi"):
        assert np.isfinite(getattr(r, col)).sum() > 800, col
    sex_map = {"1": 1, "m": 1, "2": 2, "F": 2, "": None}
    for i in range(3000):
        measure = kids["measure"][i]
        ref = _score_row(
            sex_map[kids["sex"][i]],
            float(kids["age_days"][i]),
            float(kids["weight_kg"][i]),
            float(kids["lenhei_cm"][i]),
            measure.lower() if measure else None,
            kids["oedema"][i] == "y",
        )
        assert r.clenhei[i] == ref["clenhei"], i
        for col in ("zlen", "zwei", "zwfl", "zbmi"):
            want = r_round_scalar(ref[col]) if not math.isnan(ref[col]) else math.nan
            got = float(getattr(r, col)[i])
            assert got == want or (math.isnan(got) and math.isnan(want)), (col, i)
