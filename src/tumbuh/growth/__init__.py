"""WHO growth kernel: z-scores exactly like WHO's R packages anthro/anthroplus.

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
from tumbuh.growth.zscores import ZScores, zscores

__all__ = [
    "CATEGORY_LABELS_EN",
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
