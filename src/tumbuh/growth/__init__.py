"""WHO growth kernel: z-scores exactly like WHO's R packages anthro/anthroplus.

* :func:`zscores` - WHO Child Growth Standards 2006 (0-5 years), the columns
  of ``anthro_zscores`` (``clenhei, cmeasure, c9mo_flag, cbmi, csex, zlen,
  flen, zwei, fwei, zwfl, fwfl, zbmi, fbmi, zhc, fhc, zac, fac, zts, fts, zss,
  fss``) plus Permenkes 2/2020 categories (``cat_bbu, cat_tbu, cat_bbtb,
  cat_imtu``) in a frozen :class:`ZScores`.
* :func:`zscores_who2007` - WHO Reference 2007 (5-19 years), the columns of
  ``anthroplus_zscores`` in a frozen :class:`ZScores2007`.
* :func:`lms_value_from_z`, :func:`lms_at` - growth-curve lines (-3...+3 SD).
* :data:`INDICATORS` - the per-indicator specification table.

Pure numpy (pyarrow only to read Arrow/Polars input); imports nothing from
the rest of tumbuh.
"""

from tumbuh.growth.categories import CATEGORY_LABELS_EN, CATEGORY_LABELS_EN_2007
from tumbuh.growth.curves import lms_at, lms_value_from_z, lms_z_from_value
from tumbuh.growth.indicators import INDICATORS, Indicator, IndicatorSpec, Sex
from tumbuh.growth.lms import value_from_z, z_from_lms
from tumbuh.growth.prevalence import anthro_prevalence as anthro_prevalence
from tumbuh.growth.rounding import round_r
from tumbuh.growth.who2007 import ZScores2007, zscores_who2007
from tumbuh.growth.zscores import DAYS_PER_MONTH, ZScores, zscores

__all__ = [
    "CATEGORY_LABELS_EN",
    "DAYS_PER_MONTH",
    "CATEGORY_LABELS_EN_2007",
    "INDICATORS",
    "Indicator",
    "IndicatorSpec",
    "Sex",
    "ZScores",
    "ZScores2007",
    "lms_at",
    "lms_value_from_z",
    "lms_z_from_value",
    "round_r",
    "value_from_z",
    "z_from_lms",
    "zscores",
    "zscores_who2007",
]
