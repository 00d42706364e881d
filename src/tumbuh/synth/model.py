"""The causal model of the synthetic province: risk-factor prevalences, effect sizes, growth
trajectories, survey targets and the data problems injected at some posyandu.

Effect sizes are odds ratios for stunting (HAZ < -2) of the order reported in:

- Danaei G. et al. (2016) Risk factors for childhood stunting in 137 developing countries.
  PLoS Med 13(11):e1002164 - fetal growth restriction/preterm birth is the leading factor,
  followed by environmental factors (unimproved sanitation, unimproved water) and nutrition.
- Beal T. et al. (2018) A review of child stunting determinants in Indonesia. Matern Child
  Nutr 14(4):e12617 - low birth weight, short birth spacing, maternal age and short stature,
  household poverty, untreated water and unimproved latrines, incomplete immunisation.
- Titaley C.R. et al. (2019) Determinants of the stunting of children under two years old in
  Indonesia: a multilevel analysis of the 2013 Indonesia Basic Health Survey. Nutrients 11:1106.

What was checked (abstracts read with the search tool; no full-text table was read):

- Titaley 2019, abstract: birth weight < 2500 g aOR 2.55 (95 % CI 2.05-3.15); three or more
  children under five in the household aOR 1.33 (1.03-1.72); fewer than four antenatal visits
  aOR 1.22 (1.08-1.39); the odds rise as the household wealth index falls (the aOR of the
  poorest group was not read). The LBW odds ratio below is that 2.55.
- Danaei 2016, abstract: fetal growth restriction (term SGA) is the leading risk factor
  (10.8 of 44.1 million stunting cases at 24-35 months), then unimproved sanitation (7.2
  million) and diarrhoea (5.8 million); the relative risks are in the paper's tables, not read.
- Beal 2018 is a narrative review without pooled estimates; its abstract names low household
  socio-economic status, premature birth, short birth length, low maternal height and
  education, and households with both unimproved latrines and untreated water.
Every other odds ratio below is NOT verified against a published table: it is an
illustrative value of the order these sources discuss, fit for software testing only.
An odds ratio is turned into a shift of
the mean HAZ with the logistic-normal approximation log(OR) ~= delta * pi / (sqrt(3) * sd),
sd ~= 1.1 (the HAZ SD of the synthetic children), i.e. delta = log(OR) / 1.65.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

_OR_TO_DELTA = math.pi / (math.sqrt(3.0) * 1.1)


@dataclass(frozen=True)
class RiskFactor:
    name: str
    odds_ratio: float
    source: str

    @property
    def haz_shift(self) -> float:
        """Shift of the post-24-month HAZ mean (negative = shorter)."""
        return -math.log(self.odds_ratio) / _OR_TO_DELTA


# Odds ratios for stunting used by the generator (see module docstring for the sources).
RISK_FACTORS: tuple[RiskFactor, ...] = (
    RiskFactor(
        "low_birth_weight",
        2.55,
        "Titaley 2019 abstract: < 2500 g, aOR 2.55 (2.05-3.15)",
    ),
    RiskFactor("maternal_kek", 1.5, "not verified (maternal undernutrition)"),
    RiskFactor("maternal_anaemia", 1.2, "not verified"),
    RiskFactor("short_birth_spacing", 1.3, "not verified (Danaei 2016 cluster)"),
    RiskFactor("mother_under_20", 1.4, "not verified (Danaei 2016 cluster)"),
    RiskFactor("mother_over_35", 1.15, "not verified"),
    RiskFactor(
        "more_than_3_children",
        1.3,
        "order of Titaley 2019's aOR 1.33 for >= 3 under-fives (another definition)",
    ),
    RiskFactor("unsafe_water", 1.2, "not verified (Beal 2018 names untreated water)"),
    RiskFactor(
        "no_proper_latrine",
        1.3,
        "not verified (Danaei 2016: 2nd-ranked factor by attributable cases)",
    ),
    RiskFactor(
        "poverty_decile_1_2",
        1.5,
        "not verified (Titaley 2019: odds rise as wealth falls)",
    ),
    RiskFactor("missed_immunisation", 1.2, "not verified"),
)
RISK_NAMES: tuple[str, ...] = tuple(r.name for r in RISK_FACTORS)
RISK_SHIFT: F64 = np.array([r.haz_shift for r in RISK_FACTORS])

# Prevalences (Riskesdas 2018 national figures unless stated): KEK in pregnancy 17.3 %,
# anaemia in pregnancy 48.9 %, low birth weight 6.2 %; improved water 90.7 % and improved
# sanitation 80.2 % of households in 2022 (facts.md section 5); complete basic immunisation
# around 60-70 %.
# Water and latrine: the synthetic families are all BKKBN target families, so their
# prevalences are BKKBN's 2024 counts among target families (facts.md section 3c-3d):
# improper drinking water 1,933,048 and improper latrine 3,760,390 of 42,990,996 target
# families (4.5 % and 8.7 %). The household figures (improved water 90.7 %, improved
# sanitation 80.2 %, 2022) count another population and definition; they were used before.
P_UNSAFE_WATER = 0.045
P_NO_LATRINE = 0.087
P_KEK = 0.173
P_ANAEMIA = 0.489
P_LBW = 0.062
P_MISSED_IMMUNISATION = 0.33
P_MODERN_CONTRACEPTION = 0.55

# Mothers and births (docs/synthetic.md, "People"). Tuned so that BKKBN's KRS rule
# (tumbuh.risk.krs, unchanged) applied to the synthetic families gives a KRS share of target
# families near the national 20 % (8.68 M of 42.99 M in 2024, facts.md section 3d), whose
# "4 terlalu" count is 4.37 M (10 % of target families): the mother's age at her first
# child of the window, older births rising with her age, and birth intervals of
# BIRTH_GAP_MIN_MONTHS + gamma(2, BIRTH_GAP_SCALE_MONTHS) (mean 59 months, about 4 % under
# 24). Assumptions of the order of Indonesian fertility (TFR about 2.2), not estimates.
MOTHER_AGE_FIRST_MEAN = 25.0
MOTHER_AGE_FIRST_SD = 3.5
PRIOR_BIRTHS_FROM_AGE = 22.0
YEARS_PER_PRIOR_BIRTH = 10.0
BIRTH_GAP_MIN_MONTHS = 15.0
BIRTH_GAP_SCALE_MONTHS = 22.0
# A family's window births span at most this share of the window (longer spans are drawn
# again): spans close to the window put the first birth at its start and the last at its
# end, piling births up in the window's first and last years.
MAX_SPAN_SHARE = 0.7

# Growth trajectory (z-score units): birth HAZ mean and SD, the population's average decline
# between 3 and 24 months (the "faltering window", Victora et al. 2010 Pediatrics 125:e473),
# the child's own slope SD, the AR(1) month-to-month wander and its correlation.
BIRTH_HAZ_MEAN = -0.25
BIRTH_HAZ_SD = 0.9
LBW_BIRTH_SHIFT = -1.0  # LBW babies start short, then partly catch up (net = OR shift)
MEAN_DECLINE = -0.6
SLOPE_SD = 0.6
AR_SD = 0.25
AR_RHO = 0.85
# Weight-for-age follows height-for-age (r about 0.65 in DHS data) plus its own noise.
WAZ_ON_HAZ = 0.65
WAZ_MEAN = 0.05
WAZ_RESID_SD = 0.7
# Share of the district effect felt at birth; the rest arrives through the faltering window.
DISTRICT_AT_BIRTH = 0.3

# Routine data: stunted children come to the posyandu less often (selective attendance), so
# routine prevalence runs below survey prevalence (facts.md section 0: 10-20 % against 20-30 %).
STUNTED_ATTENDANCE = 0.6
# Weighing months (bulan timbang, February and August) bring more children.
WEIGHING_MONTH_BOOST = 1.25
# Children who do not take part in posyandu weighing (regions.KALTIM_ENGAGED) still come now
# and then (an immunisation, a sick visit): at this fraction of the desa's rate. Assumed.
NONENGAGED_ATTENDANCE = 0.08
LENGTH_ERROR_SD_CM = 0.35
WEIGHT_ERROR_SD_KG = 0.06


def faltering_ramp(age_days: F64) -> F64:
    """0 before 3 months, 1 from 24 months, smooth (cosine) in between."""
    t = np.clip((age_days - 91.0) / (730.0 - 91.0), 0.0, 1.0)
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * t), dtype=np.float64)


def district_weight(age_days: F64) -> F64:
    return DISTRICT_AT_BIRTH + (1.0 - DISTRICT_AT_BIRTH) * faltering_ramp(age_days)


# Data problems injected at some posyandu: (share of posyandu, share of their rows).
@dataclass(frozen=True)
class Problem:
    name: str
    posyandu_share: float
    row_rate: float
    description: str


PROBLEMS: tuple[Problem, ...] = (
    Problem(
        "cutoff_rounding",
        0.25,
        0.7,
        "length of a child measured just below HAZ -2 rounded up to just above -2",
    ),
    Problem("heaping_05", 0.08, 0.7, "length and weight rounded to .0 or .5"),
    Problem("implausible", 0.04, 0.05, "impossible length or weight (typing errors)"),
    Problem("duplicates", 0.05, 0.04, "the same row exported twice"),
    Problem("missing_dates", 0.05, 0.10, "Tanggal Pengukuran blank"),
    Problem("grams_as_kg", 0.04, 0.05, "weight typed in grams (9855 for 9.855 kg)"),
    Problem(
        "cara_ukur_age",
        0.05,
        0.15,
        "Cara Ukur contradicts age (standing under 24 months, incl. under 9 months)",
    ),
)
PROBLEM_NAMES: tuple[str, ...] = tuple(p.name for p in PROBLEMS)


def assign_problems(n_posyandu: int, seed: int) -> NDArray[np.bool_]:
    """Boolean matrix (posyandu x problem) of injected problems, stable by seed."""
    rng = np.random.default_rng([seed, 7002])
    shares = np.array([p.posyandu_share for p in PROBLEMS])
    return rng.random((n_posyandu, len(PROBLEMS))) < shares


# Survey targets ------------------------------------------------------------------------------

# 2025 has no survey yet: assume the 2024 figure falls by 5 % (relative), the order of the
# provincial plan's yearly reduction target (facts.md: "penurunan ... 4,95 persen per tahun").
EXTRAPOLATION_FACTOR_PER_YEAR = 0.95


# After the last published survey the decline is made by fewer risk factors, not by a kinder
# district effect: a share (the "reach", solved per kab/kota, at most MAX_REACH) of the
# children born since that survey's mid-year have a mother without KEK or anaemia in
# pregnancy and are not born with low weight. Half is the assumed ceiling of what a year of
# programmes (PMT for KEK mothers, iron tablets) could reach; an assumption, not an estimate.
MAX_REACH = 0.5


@dataclass(frozen=True)
class Target:
    region_code: str
    year: int
    value_pct: float
    basis: str  # "published" | "scaled" | "extrapolated"


def _published(kind: str = "survey") -> dict[tuple[str, int], list[float]]:
    path = (
        resources.files("tumbuh")
        / "data"
        / "published"
        / "published_stunting_kaltim.csv"
    )
    out: dict[tuple[str, int], list[float]] = {}
    with path.open("r", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if (
                rec["kind"] == kind
                and rec["indicator"] == "stunting"
                and rec["confidence"] == "primary"
            ):
                key = (rec["region_code"], int(rec["year"]))
                out.setdefault(key, []).append(float(rec["value_pct"]))
    return out


def survey_targets(
    province: str, kab_codes: list[str], years: list[int]
) -> dict[tuple[str, int], Target]:
    """Target survey prevalence per kab/kota and year.

    Published primary figures (mean where there are several).  A missing year is the nearest
    earlier published year of the kab/kota scaled by the provincial change between the two
    years (Paser 2024, Mahakam Ulu 2023-2024); years after the last provincial figure are
    extrapolated with EXTRAPOLATION_FACTOR_PER_YEAR (2025).
    """
    pub = {k: sum(v) / len(v) for k, v in _published().items()}
    prov_years = sorted(y for (c, y) in pub if c == province)
    out: dict[tuple[str, int], Target] = {}

    def prov_value(year: int) -> float | None:
        if (province, year) in pub:
            return pub[(province, year)]
        if prov_years and year > prov_years[-1]:
            last = prov_years[-1]
            return pub[(province, last)] * EXTRAPOLATION_FACTOR_PER_YEAR ** (
                year - last
            )
        return None

    for code in kab_codes:
        known = sorted(y for (c, y) in pub if c == code)
        for year in years:
            if (code, year) in pub:
                out[(code, year)] = Target(code, year, pub[(code, year)], "published")
                continue
            earlier = [y for y in known if y < year] or known
            if not earlier:
                value = prov_value(year) or 22.0
                out[(code, year)] = Target(code, year, value, "provincial")
                continue
            ref = earlier[-1]
            p_now, p_ref = prov_value(year), prov_value(ref)
            ratio = p_now / p_ref if p_now is not None and p_ref else 1.0
            basis = (
                "extrapolated"
                if year > (prov_years[-1] if prov_years else 0)
                else "scaled"
            )
            out[(code, year)] = Target(code, year, pub[(code, ref)] * ratio, basis)
    return out


# Issue 14: the routine (weighing-month) prevalence of a kab/kota should lie within this many
# points of its published routine figure, and below its survey figure.
ROUTINE_TOLERANCE_POINTS = 3.0


def routine_targets(
    kab_codes: list[str], year: int, survey: dict[tuple[str, int], Target]
) -> dict[int, float]:
    """Target routine (weighing-month) prevalence in ``year``, %, per index of a kab/kota
    with a published routine figure that year (the mean where there are several): the
    centre of its window [published - 3, min(survey, published + 3)], so that the
    figure a seed lands on has the most room on both sides."""
    pub = {k: sum(v) / len(v) for k, v in _published("routine").items()}
    out: dict[int, float] = {}
    for i, code in enumerate(kab_codes):
        if (code, year) not in pub:
            continue
        value = pub[(code, year)]
        low = value - ROUTINE_TOLERANCE_POINTS
        high = value + ROUTINE_TOLERANCE_POINTS
        if (code, year) in survey:
            high = min(high, survey[(code, year)].value_pct)
        out[i] = (low + high) / 2.0 if high > low else value
    return out


def provincial_target(province: str, year: int) -> float | None:
    pub = {k: sum(v) / len(v) for k, v in _published().items()}
    return pub.get((province, year))


# Interventions ------------------------------------------------------------------------------
#
# The generator decides who received which intervention BEFORE the child's outcomes, and the
# outcomes depend on the interventions where a published trial effect was read. One row per
# catalogue kind the generator decides (codes of src/tumbuh/data/interventions/catalogue.csv).
# `outcome`: "lbw_rr" multiplies the probability of low birth weight by `effect` (a risk
# ratio); "haz_shift" adds `effect` z to the child's post-24-month HAZ (through the faltering
# ramp, as the risk factors do); "immunisation" decides the missed_immunisation risk factor
# (its OR above is NOT verified); "none" has no effect on any outcome. `verified` says how far
# the figure was checked: "abstract" (the abstract or a summary was read with the search tool,
# not the full text), "none read" (no effect size read: effect 0).


@dataclass(frozen=True)
class InterventionEffect:
    code: str
    unit: str  # "pregnancy" (the mother, per birth), "child", "family"
    sector: str
    eligible: str  # who is eligible in the synthetic province
    outcome: str  # "lbw_rr" | "haz_shift" | "immunisation" | "none"
    effect: float  # risk ratio for lbw_rr, z for haz_shift, 0 otherwise
    ci: tuple[float, float] | None
    source: str
    verified: str


INTERVENTIONS: tuple[InterventionEffect, ...] = (
    InterventionEffect(
        "anc",
        "pregnancy",
        "Dinkes",
        "every pregnancy",
        "none",
        0.0,
        None,
        "no trial effect on birth weight or growth read; Titaley 2019's aOR 1.22 for < 4 "
        "ANC visits is an association, not used",
        "none read",
    ),
    InterventionEffect(
        "ttd_hamil",
        "pregnancy",
        "Dinkes",
        "every pregnancy",
        "lbw_rr",
        0.81,
        (0.68, 0.97),
        "Pena-Rosas et al. 2012, Cochrane CD004736.pub4 (daily iron vs no iron/placebo, "
        "11 trials, 8,480 women): LBW RR 0.81 (0.68-0.97); Haider et al. 2013, BMJ "
        "346:f3443 (48 trials): LBW RR 0.81 (0.71-0.93). Keats 2019's RR 0.88 compares "
        "MMS with iron-folic acid, not TTD with nothing, so it is not used",
        "abstract",
    ),
    InterventionEffect(
        "pmt_bumil_kek",
        "pregnancy",
        "Dinkes",
        "pregnancies with maternal KEK",
        "lbw_rr",
        0.68,
        (0.51, 0.92),
        "Imdad & Bhutta 2012, Paediatr Perinat Epidemiol, doi 10.1111/j.1365-3016.2012."
        "01308.x (balanced protein-energy supplementation; LBW from 5 studies): LBW RR "
        "0.68 (0.51-0.92), SGA RR 0.66 (0.49-0.89), "
        "larger in undernourished women; Ota et al. 2015 (Cochrane CD000032.pub3) finds "
        "balanced energy-protein supplementation lowers SGA (its figures were not read)",
        "abstract",
    ),
    InterventionEffect(
        "kb_pascapersalinan",
        "pregnancy",
        "DPPKB",
        "every birth (post-partum)",
        "none",
        0.0,
        None,
        "would act through birth spacing, which is drawn before (not modelled)",
        "none read",
    ),
    InterventionEffect(
        "asi_eksklusif",
        "child",
        "Dinkes",
        "children 0-5 months",
        "none",
        0.0,
        None,
        "no effect size on linear growth read",
        "none read",
    ),
    InterventionEffect(
        "imunisasi",
        "child",
        "Dinkes",
        "children 0-23 months",
        "immunisation",
        0.0,
        None,
        "not received = the missed_immunisation risk factor (OR 1.2, NOT verified)",
        "none read",
    ),
    InterventionEffect(
        "mpasi",
        "child",
        "Dinkes",
        "children 6-23 months",
        "haz_shift",
        0.25,
        (0.01, 0.49),
        "Bhutta et al. 2008, Lancet 371:417: education on complementary feeding where "
        "food is sufficient, HAZ +0.25 (0.01-0.49); with food (bansos_pangan) in a "
        "food-insecure family (welfare decile 1-2): food supplements +0.41 (0.05-0.76); "
        "SHINE (Humphrey et al. 2019, Lancet Glob Health 7:e132): IYCF alone cut stunting "
        "at 18 months from 35 % to 27 % (summary read)",
        "abstract",
    ),
    InterventionEffect(
        "air_minum",
        "family",
        "PUPR/Perkim",
        "families with unimproved water",
        "none",
        0.0,
        None,
        "WASH alone had no effect on linear growth in the large trials: SHINE "
        "(Humphrey et al. 2019, Zimbabwe) and WASH Benefits Bangladesh (Luby et al. "
        "2018, Lancet Glob Health 6:e302); effect 0 (the unsafe_water risk factor stays: "
        "it marks the family's circumstances)",
        "abstract",
    ),
    InterventionEffect(
        "sanitasi",
        "family",
        "PUPR/Perkim",
        "families without a proper latrine",
        "none",
        0.0,
        None,
        "as air_minum: no effect on linear growth in SHINE 2019 and WASH Benefits 2018",
        "abstract",
    ),
    InterventionEffect(
        "pendampingan_krs",
        "family",
        "DPPKB",
        "families at risk (approximation, below)",
        "none",
        0.0,
        None,
        "no effect size read",
        "none read",
    ),
    InterventionEffect(
        "jkn_pbi",
        "family",
        "BPJS",
        "families at risk (approximation, below)",
        "none",
        0.0,
        None,
        "no effect size read",
        "none read",
    ),
    InterventionEffect(
        "pkh",
        "family",
        "Dinsos",
        "families at risk (approximation, below)",
        "none",
        0.0,
        None,
        "no effect size read",
        "none read",
    ),
    InterventionEffect(
        "bansos_pangan",
        "family",
        "Dinsos",
        "families at risk (approximation, below)",
        "none",
        0.0,
        None,
        "no effect of its own; with mpasi in a food-insecure family it is the food of "
        "Bhutta 2008's +0.41 (see mpasi)",
        "abstract",
    ),
)
INTERVENTION_CODES: tuple[str, ...] = tuple(i.code for i in INTERVENTIONS)
# HAZ shift of mpasi when the family is food-insecure (welfare decile 1-2) and gets food
# (bansos_pangan): Bhutta 2008, food supplements in food-insecure populations, +0.41.
MPASI_WITH_FOOD_SHIFT = 0.41
FOOD_INSECURE_DECILE = 2
# Families "at risk" for the KRS-targeted kinds, approximated in the generator (the register
# applies BKKBN's rule, risk/krs.py, which synth may not import): welfare decile 1-4, or
# unimproved water, or no proper latrine. Records to families the register does not classify
# as KRS are imported but do not count in KRS coverage.
AT_RISK_DECILE = 4
# Share of eligible units reached, by sector: illustrative defaults (health services reach
# more of their targets than water/sanitation works), the same as
# tumbuh.interventions.synthetic.SECTOR_BASE; not estimates.
IV_SECTOR_BASE: dict[str, float] = {
    "Dinkes": 0.75,
    "DPPKB": 0.55,
    "Kemenag": 0.6,
    "BPJS": 0.6,
    "Dinsos": 0.45,
    "PUPR/Perkim": 0.3,
}
IV_DESA_SD = 0.8  # spread of desa effects on the logit scale (one per desa, all kinds)
IV_KIND_DESA_SD = 0.4  # spread of kind-by-desa effects on the logit scale
IV_SES_SLOPE_IMMUNISATION = 0.5  # poorer children miss immunisation more (logit per SD)
IV_VERIFIED_SHARE = 0.3  # of the records given, share already verified
IV_PLANNED_SHARE = 0.1  # of the eligible units not reached, share with a planned record
# Baseline of low birth weight for a mother reached by neither TTD nor PMT: P_LBW divided by
# the mean risk-ratio multiplier at the default coverage (measured ~0.82), so the share of
# LBW births stays where it was before interventions had an effect (about 8 % of births once
# KEK, anaemia and young mothers raise it; 8.1 % without the effects, seed 2, 20,000 children).
P_LBW_UNTREATED = 0.076


def intervention_coverage(n_desa: int, seed: int) -> F64:
    """Probability (desa x kind, INTERVENTIONS order) that an eligible unit is reached:
    logistic(logit(sector base) + desa effect + kind-by-desa effect), stable by seed."""
    rng = np.random.default_rng([seed, 7004])
    desa = rng.normal(0.0, IV_DESA_SD, n_desa)
    kind_desa = rng.normal(0.0, IV_KIND_DESA_SD, (n_desa, len(INTERVENTIONS)))
    base = np.array(
        [
            math.log(IV_SECTOR_BASE[i.sector] / (1.0 - IV_SECTOR_BASE[i.sector]))
            for i in INTERVENTIONS
        ]
    )
    out: F64 = 1.0 / (1.0 + np.exp(-(base[None, :] + desa[:, None] + kind_desa)))
    return out
