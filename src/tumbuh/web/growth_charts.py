"""WHO growth-chart curves (−3 … +3 SD) for pages, from the growth kernel's `lms_value_from_z`.

The same payload draws the reference chart page and, with a child's points added, the child page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from tumbuh.errors import InvalidInput
from tumbuh.growth import DAYS_PER_MONTH, lms_value_from_z

AGE_MAX_DAYS = 1856  # WHO 2006 age tables end at 1856 days (60.9 months)
Z_LINES = (-3, -2, -1, 0, 1, 2, 3)


@dataclass(frozen=True, slots=True)
class ChartSpec:
    indicator: str
    title_id: str
    title_en: str
    x_unit: str  # "month" or "cm"
    y_unit: str
    x_start: float
    x_stop: float
    x_step: float


CHARTS: dict[str, ChartSpec] = {
    "len": ChartSpec("len", "Panjang/tinggi badan menurut umur (PB/U, TB/U)",
                     "Length/height-for-age", "month", "cm", 0, AGE_MAX_DAYS, 7),
    "wei": ChartSpec("wei", "Berat badan menurut umur (BB/U)", "Weight-for-age",
                     "month", "kg", 0, AGE_MAX_DAYS, 7),
    "wfl": ChartSpec("wfl", "Berat badan menurut panjang badan (BB/PB)",
                     "Weight-for-length", "cm", "kg", 45, 110, 0.5),
    "wfh": ChartSpec("wfh", "Berat badan menurut tinggi badan (BB/TB)",
                     "Weight-for-height", "cm", "kg", 65, 120, 0.5),
    "bmi": ChartSpec("bmi", "IMT menurut umur (IMT/U)", "BMI-for-age",
                     "month", "kg/m²", 0, AGE_MAX_DAYS, 7),
    "hc": ChartSpec("hc", "Lingkar kepala menurut umur (LK/U)",
                    "Head circumference-for-age", "month", "cm", 0, AGE_MAX_DAYS, 7),
}  # fmt: skip
SEXES = {"1": ("Laki-laki", "Boys"), "2": ("Perempuan", "Girls")}


def curves(indicator: str, sex: str) -> dict[str, object]:
    """The −3 … +3 SD lines of one chart as [[x, y], ...] per z (x in months or cm): a new
    dict per call, its lines computed once per process (shared: never to be changed)."""
    return dict(_curves(indicator, sex))


@functools.cache
def _curves(indicator: str, sex: str) -> dict[str, object]:
    spec = CHARTS.get(indicator)
    if spec is None:
        raise InvalidInput(
            f"indicator {indicator!r}: expected one of {', '.join(CHARTS)}",
            code="invalid_input",
        )
    if sex not in SEXES:
        raise InvalidInput(
            f"sex {sex!r}: expected 1 (boys) or 2 (girls)", code="invalid_input"
        )
    x = np.arange(spec.x_start, spec.x_stop + spec.x_step / 2, spec.x_step)
    if spec.x_unit == "month" and x[-1] != spec.x_stop:
        x = np.append(x, spec.x_stop)
    shown = x / DAYS_PER_MONTH if spec.x_unit == "month" else x
    lines: dict[str, list[list[float]]] = {}
    for z in Z_LINES:
        y = lms_value_from_z(indicator, int(sex), x, float(z))
        ok = np.isfinite(y)
        lines[str(z)] = [
            [round(float(a), 3), round(float(b), 3)]
            for a, b in zip(shown[ok], y[ok], strict=True)
        ]
    return {
        "indicator": indicator,
        "sex": sex,
        "x_unit": spec.x_unit,
        "y_unit": spec.y_unit,
        "lines": lines,
    }


SEX_FROM_REGISTER = {"M": "1", "F": "2"}


def labels(lang: str, x_unit: str) -> dict[str, str]:
    if x_unit == "month":
        x = "Umur (bulan)" if lang == "id" else "Age (months)"
    else:
        x = "Panjang/tinggi (cm)" if lang == "id" else "Length/height (cm)"
    return {"x": x, "child": "Anak" if lang == "id" else "Child"}


def chart_with_points(
    indicator: str, sex: str, points: list[list[float]], lang: str
) -> dict[str, object]:
    """Curves plus a child's [[x, y], ...] points (x in the chart's unit)."""
    payload = curves(indicator, sex)
    payload["points"] = points
    payload["labels"] = labels(lang, CHARTS[indicator].x_unit)
    payload["title"] = (
        CHARTS[indicator].title_id if lang == "id" else CHARTS[indicator].title_en
    )
    return payload
