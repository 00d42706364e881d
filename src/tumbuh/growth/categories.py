"""Permenkes No. 2 Tahun 2020 (Standar Antropometri Anak) categories.

Cut-offs (docs/facts.md §4e) are applied to the rounded z-score, with the
boundary on the better side as e-PPGBM does: -3.00 is "Pendek" (not "Sangat
pendek"), -2.00 is "Normal", +1.00 is "Gizi baik", +2.00 "Berisiko gizi
lebih", +3.00 "Gizi lebih". A category is None when the z-score is missing
or flagged implausible (a flagged z-score is not a nutritional status).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BBTB",
    "BBU",
    "CATEGORY_LABELS_EN",
    "CATEGORY_LABELS_EN_2007",
    "IMTU_2007",
    "TBU",
    "Categories",
    "categorize",
]


@dataclass(frozen=True, slots=True)
class Categories:
    """Ordered labels and the cut-offs between them.

    ``cuts[i]`` separates ``labels[i]`` from ``labels[i + 1]``; ``upper[i]``
    says whether a z-score equal to the cut-off belongs to the upper label.
    """

    labels: tuple[str, ...]
    cuts: tuple[float, ...]
    upper: tuple[bool, ...]


# BB/U 0-60 months: < -3, -3 to < -2, -2 to +1, > +1.
BBU = Categories(
    (
        "Berat badan sangat kurang",
        "Berat badan kurang",
        "Berat badan normal",
        "Risiko berat badan lebih",
    ),
    (-3.0, -2.0, 1.0),
    (True, True, False),
)
# PB/U or TB/U (0-60 months; WHO 2007 TB/U 5-18 years the same): < -3,
# -3 to < -2, -2 to +3, > +3.
TBU = Categories(
    ("Sangat pendek", "Pendek", "Normal", "Tinggi"),
    (-3.0, -2.0, 3.0),
    (True, True, False),
)
# BB/PB or BB/TB and IMT/U 0-60 months: < -3, -3 to < -2, -2 to +1,
# > +1 to +2, > +2 to +3, > +3.
BBTB = Categories(
    (
        "Gizi buruk",
        "Gizi kurang",
        "Gizi baik",
        "Berisiko gizi lebih",
        "Gizi lebih",
        "Obesitas",
    ),
    (-3.0, -2.0, 1.0, 2.0, 3.0),
    (True, True, False, False, False),
)
# IMT/U 5-18 years: < -3, -3 to < -2, -2 to +1, > +1 to +2, > +2.
IMTU_2007 = Categories(
    ("Gizi buruk", "Gizi kurang", "Gizi baik", "Gizi lebih", "Obesitas"),
    (-3.0, -2.0, 1.0, 2.0),
    (True, True, False, False),
)

#: English labels (0-60 month wording) for every Indonesian label.
CATEGORY_LABELS_EN: dict[str, str] = {
    "Berat badan sangat kurang": "Severely underweight",
    "Berat badan kurang": "Underweight",
    "Berat badan normal": "Normal weight",
    "Risiko berat badan lebih": "Possible risk of overweight",
    "Sangat pendek": "Severely stunted",
    "Pendek": "Stunted",
    "Normal": "Normal",
    "Tinggi": "Tall",
    "Gizi buruk": "Severely wasted",
    "Gizi kurang": "Wasted",
    "Gizi baik": "Normal",
    "Berisiko gizi lebih": "Possible risk of overweight",
    "Gizi lebih": "Overweight",
    "Obesitas": "Obese",
}
#: English labels of IMT/U for 5-18 years (WHO 2007 wording).
CATEGORY_LABELS_EN_2007: dict[str, str] = {
    **CATEGORY_LABELS_EN,
    "Gizi buruk": "Severe thinness",
    "Gizi kurang": "Thinness",
}


def categorize(
    z: NDArray[np.float64], flag: NDArray[np.float64], cats: Categories
) -> NDArray[np.object_]:
    """Label each rounded z-score; None where z is missing or flagged.

    Examples
    --------
    >>> z = np.array([-3.01, -3.0, -2.0, 1.0, 1.01, np.nan])
    >>> categorize(z, np.zeros(6), BBU).tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['Berat badan sangat kurang', 'Berat badan kurang', 'Berat badan normal',
     'Berat badan normal', 'Risiko berat badan lebih', None]
    """
    z = np.asarray(z, dtype=np.float64)
    code = np.zeros(z.shape, dtype=np.intp)
    for cut, up in zip(cats.cuts, cats.upper, strict=True):
        code += (z >= cut) if up else (z > cut)
    code[np.isnan(z) | (np.asarray(flag) == 1)] = len(cats.labels)
    labels = np.array([*cats.labels, None], dtype=object)
    return labels[code]
