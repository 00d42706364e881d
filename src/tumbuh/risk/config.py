"""Thresholds for families at risk (KRS) and individual risk signals, each with its source.

Every number here is a setting with a default, not a constant buried in code. The sources are
the ones recorded in ``docs/facts.md`` (sections 3 and 4); where sources disagree, the default
is the one cited first below and the alternative is reachable by changing the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class WaterSource(StrEnum):
    """Main drinking-water source, as coded in the family table (Pendataan Keluarga)."""

    piped = "piped"
    bottled_refill = "bottled_refill"
    bored_well = "bored_well"
    protected_well = "protected_well"
    protected_spring = "protected_spring"
    unprotected_well = "unprotected_well"
    unprotected_spring = "unprotected_spring"
    surface_water = "surface_water"
    rainwater = "rainwater"
    other = "other"


class Latrine(StrEnum):
    """Latrine ownership and septic tank, as coded in the family table."""

    own_septic = "own_septic"
    shared_septic = "shared_septic"
    no_septic = "no_septic"
    none = "none"


# BKKBN Sulbar (TribunSulbar, 21 Jan 2024; facts §3b) lists four improved sources: bottled or
# refill water, piped/PAM, bored well, protected well. Protected springs and rainwater are not in
# that list, but both are "improved" in the WHO/UNICEF JMP ladder and in BPS's "air minum layak"
# (which counts protected springs and rainwater collection). We follow BKKBN's list by default
# because the held-out classifications are BKKBN's; add the two codes to follow JMP/BPS instead.
BKKBN_IMPROVED_WATER: frozenset[WaterSource] = frozenset(
    {
        WaterSource.bottled_refill,
        WaterSource.piped,
        WaterSource.bored_well,
        WaterSource.protected_well,
    }
)
JMP_IMPROVED_WATER: frozenset[WaterSource] = BKKBN_IMPROVED_WATER | {
    WaterSource.protected_spring,
    WaterSource.rainwater,
}

# BKKBN Sulbar (facts §3b): an improper latrine is one "without a septic tank" or no latrine at
# all. A shared latrine with a septic tank is therefore proper under BKKBN's rule (JMP would call
# a shared facility "limited", not "basic"; that stricter reading is a setting).
BKKBN_IMPROPER_LATRINE: frozenset[Latrine] = frozenset(
    {Latrine.no_septic, Latrine.none}
)


@dataclass(frozen=True, slots=True)
class KrsRules:
    """BKKBN's operational rule for keluarga berisiko stunting (PK21-PK23, Verval KRS).

    Ages are in completed years (as recorded in Pendataan Keluarga); a fractional age is
    floored before it is compared, so ``wife_age`` 35.9 is 35 and not "over 35".
    """

    # Step 1, keluarga sasaran: a PUS (pasangan usia subur) has a wife aged 15-49 years
    # (BKKBN Sulbar, facts §3b). Both ends are inclusive.
    pus_min_age: int = 15
    pus_max_age: int = 49

    # Terlalu muda: wife "under 20" (BKKBN Sulbar; Dir. Laptik Aug 2024). 20 is not too young.
    too_young_under: int = 20

    # Terlalu tua: wife "di atas 35 tahun" (BKKBN Director of Laptik, Aug 2024, okezone/rctiplus;
    # DP3AP2KB Cimahi, jabarekspres). BKKBN Sulbar writes "35-40", i.e. from 35: set 34 for that.
    # 35 is not too old by default.
    too_old_over: int = 35

    # Terlalu dekat: children born "less than 2 years apart" (BKKBN Sulbar): 24 months is not
    # too close. Months are compared as given (not floored).
    too_close_under_months: float = 24.0

    # Terlalu banyak: "lebih dari tiga" anak (BKKBN Sulbar and Cimahi). A ">= 3" cut-off was not
    # found in any source read; set 2 to use it. 3 children is not too many by default.
    too_many_over: int = 3

    # Which drinking-water sources count as improved (see BKKBN_IMPROVED_WATER above).
    improved_water: frozenset[WaterSource] = field(
        default_factory=lambda: BKKBN_IMPROVED_WATER
    )
    # Which latrines count as improper (see BKKBN_IMPROPER_LATRINE above).
    improper_latrine: frozenset[Latrine] = field(
        default_factory=lambda: BKKBN_IMPROPER_LATRINE
    )

    # The 4 Terlalu are "PUS 4 Terlalu" in BKKBN's wording. By default they are applied to the
    # wife's recorded age whatever it is (a 14-year-old mother of a baduta is "too young");
    # set True to count them only for a wife aged pus_min_age..pus_max_age.
    terlalu_requires_pus: bool = False

    # 2024 screening factors (Forum Data Stunting Dec 2024, Dir. Laptik; ppid.riau.go.id,
    # Parapuan; facts §3c): PUS not using modern contraception, and welfare decile 1. The issue
    # asks for them as an option, so they are off by default.
    include_2024_factors: bool = False
    # Welfare deciles up to and including this one count as "poorest" (Desil 1).
    poorest_decile_max: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.pus_min_age <= self.pus_max_age:
            raise ValueError(
                f"pus_min_age ({self.pus_min_age}) must be between 0 and pus_max_age ({self.pus_max_age})"
            )
        if self.too_close_under_months <= 0:
            raise ValueError("too_close_under_months must be positive")
        if self.too_many_over < 0:
            raise ValueError("too_many_over must not be negative")
        if not 1 <= self.poorest_decile_max <= 10:
            raise ValueError("poorest_decile_max must be between 1 and 10")
        # frozensets of plain strings are accepted and coerced, so callers may pass {"piped"}.
        object.__setattr__(
            self,
            "improved_water",
            frozenset(WaterSource(w) for w in self.improved_water),
        )
        object.__setattr__(
            self,
            "improper_latrine",
            frozenset(Latrine(x) for x in self.improper_latrine),
        )


@dataclass(frozen=True, slots=True)
class SignalRules:
    """Thresholds for individual risk signals (facts §4)."""

    # KEK: LiLA below 23.5 cm (Depkes/Kemenkes; facts §4a). A validation study suggests 24.95 cm
    # for women 20-45 but keeps 23.5 cm for pregnancy outcomes.
    kek_lila_under_cm: float = 23.5

    # Anaemia: pregnant Hb < 11 g/dL (Kemenkes/WHO; facts §4b; some texts use 10.5 in the 2nd
    # trimester); adolescent girls and non-pregnant women Hb < 12 g/dL (Kemenkes/WHO).
    anaemia_pregnant_hb_under: float = 11.0
    anaemia_nonpregnant_hb_under: float = 12.0

    # Catin (Elsimil) screening, facts §4c. Exact Elsimil cut-offs for BMI and age were NOT
    # FOUND; these are the standard ones: LiLA < 23.5 cm (BKKBN Babel, Kepala BKKBN Hasto
    # Oct 2022), Hb < 12 g/dL for a non-pregnant woman (WHO; Hasto quoted < 11 g/dL, BKKBN Sumut
    # "11.5": set catin_hb_under to use those), BMI < 18.5 kg/m2 (WHO underweight), and age
    # < 20 (the "too young" of 4 Terlalu). The marriage law (UU 16/2019) sets the minimum
    # marriage age at 19, so < 19 flags an under-age marriage; set catin_age_under=19 for that.
    catin_lila_under_cm: float = 23.5
    catin_hb_under: float = 12.0
    catin_bmi_under: float = 18.5
    catin_age_under: float = 20.0

    # Low birth weight: < 2500 g (WHO; BBLR in Buku KIA).
    lbw_under_g: float = 2500.0

    # KBM (kenaikan berat badan minimal), grams per month by age in completed months at the
    # weighing. Buku KIA 2023 (fliphtml5 copy, p. 54; facts §4d) shows the sequence
    # 800, 900, 800, 600, 500, 400, 300, 200 g over ages 1-24 months but the age bands were not
    # readable; the bands below are the standard KMS ones (1 mo 800 g, 2 mo 900 g, 3 mo 800 g,
    # 4 mo 600 g, 5 mo 500 g, 6-7 mo 400 g, 8-10 mo 300 g, 11 mo and older 200 g).
    # VERIFY AGAINST BUKU KIA 2023. Index = age in months; the last value applies to older ages.
    kbm_g: tuple[int, ...] = (0, 800, 900, 800, 600, 500, 400, 400, 300, 300, 300, 200)

    # BGM: weight-for-age below the KMS red line, i.e. below -3 SD (Permenkes 2/2020 "berat
    # badan sangat kurang"; facts §4d, §4e).
    bgm_waz_under: float = -3.0

    # Falling length/height-for-age: a drop of at least this many SD ...
    haz_drop_sd: float = 0.5
    # ... from a measurement at least this many calendar months earlier (the latest such one).
    haz_min_gap_months: int = 3

    def __post_init__(self) -> None:
        if len(self.kbm_g) < 2 or any(g < 0 for g in self.kbm_g):
            raise ValueError("kbm_g needs at least two non-negative values")
        if self.haz_drop_sd <= 0:
            raise ValueError("haz_drop_sd must be positive")
        if self.haz_min_gap_months < 1:
            raise ValueError("haz_min_gap_months must be at least 1")
