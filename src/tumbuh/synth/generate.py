"""Vectorised generation of one chunk of families, children and posyandu visits.

Every chunk draws from its own random streams ``(seed, stream, chunk)``, so a chunk can be
regenerated on its own (the calibration pass and the writing pass see the same children) and
the output does not depend on how many chunks came before it in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit, ndtr

from tumbuh.synth import _lms, model
from tumbuh.synth.regions import Province

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

NO_DATE = -(
    10**7
)  # a blank date in day-number arrays (day numbers before 1970 are valid)
DAYS_0_59_MONTHS = 1826  # 60 months x 30.4375 days (WHO age convention), exclusive
_EPOCH = np.datetime64("1970-01-01", "D")


def day_number(year: int, month: int, day: int) -> int:
    return int(
        (np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D") - _EPOCH).astype(int)
    )


@dataclass(frozen=True)
class SynthConfig:
    """What to generate: province, number of children, calendar years, seed, chunk size."""

    province: str = "64"
    children: int = 5_000
    first_year: int = 2022
    last_year: int = 2025
    seed: int = 1
    chunk_size: int = 100_000
    # How the years after the last published survey decline (docs/synthetic.md):
    # "district_effect" solves the district effect to the extrapolated figure, continuing the
    # drift of the published years; "risk_factors" holds the district effect and lowers
    # KEK/anaemia/LBW among the newest births (the year then lands between the last
    # published level and the extrapolated figure). Measured with the risk model trained on
    # 2023-2024 at 20,000 children: largest decile gap in 2025 1.8 points against 3.1, both
    # within sampling noise; the default is the first, which also keeps the 2025 figure.
    extrapolate_by: str = "district_effect"
    # Interventions change outcomes by the effect sizes of model.INTERVENTIONS; False keeps
    # every decision and record but gives them no effect (to measure what the effects do).
    intervention_effects: bool = True

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def n_months(self) -> int:
        return 12 * len(self.years)

    def chunk_sizes(self) -> list[int]:
        full, rest = divmod(self.children, self.chunk_size)
        return [self.chunk_size] * full + ([rest] if rest else [])

    def month_starts(self) -> I64:
        return np.array(
            [day_number(y, m, 1) for y in self.years for m in range(1, 13)],
            dtype=np.int64,
        )

    def mid_years(self) -> I64:
        return np.array([day_number(y, 7, 1) for y in self.years], dtype=np.int64)

    def birth_window(self) -> tuple[int, int]:
        """Children who are 0-59 months old at some time in the years are born in here."""
        return day_number(self.first_year - 5, 1, 1), day_number(self.last_year, 12, 31)


@dataclass(frozen=True)
class Improvement:
    """The decline after the last published survey, made by fewer risk factors.

    Children born on or after `born_from` (the mid-year of the last published survey) are
    "reached" with probability `reach[kab]`: a reached child's mother has no KEK and no
    anaemia in pregnancy and the child is not born with low weight (the factors programmes
    target and the register observes: LiLA and Hb in the screenings, birth weight in the
    exports). The district effect stays at its last published value, so the same risk
    factors are as harmful as before and a model trained on earlier years stays calibrated.
    """

    born_from: int
    reach: F64 | None = None  # per kab/kota; None in the calibration pass


@dataclass
class Chunk:
    """Families and children of one chunk (arrays; one row per family / per child)."""

    index: int
    child_offset: int
    # families
    fam_desa: I64
    fam_pos: I64
    fam_ses: F64
    fam_decile: I64
    fam_water: I64  # index into WATER_SOURCES
    fam_latrine: I64  # index into LATRINES
    fam_unsafe_water: B
    fam_no_latrine: B
    mother_dob: I64
    father_dob: I64
    mother_name: I64
    father_name: I64
    fam_contraception: B
    fam_rt: I64
    fam_rw: I64
    fam_street: I64
    fam_house: I64
    prior_dobs: list[I64]  # older siblings (born before the window), per sibling rank
    prior_count: I64
    # children
    fam: I64
    sex: I64
    dob: I64
    risk: B  # (n, len(RISK_NAMES))
    birth_weight: F64
    birth_length: F64
    b0: F64
    decline: F64
    waz_resid: F64
    ar: NDArray[np.float32]  # (n, n_months)
    given: I64
    second: I64
    kek: B
    anaemia: B
    mother_age_at_birth: F64
    eligible: B  # born when the improvement applies
    reach_u: F64  # reached iff reach_u < reach[kab]
    b0_plain: F64  # b0 and decline if reached (without KEK, anaemia, LBW)
    decline_plain: F64
    # Interventions (model.INTERVENTIONS columns): eligible and received per child (the
    # pregnancy and child kinds) and per family (the family kinds); the HAZ shift they give.
    iv_eligible: B  # (n, K)
    iv_received: B  # (n, K)
    fam_iv_eligible: B  # (nf, K)
    fam_iv_received: B  # (nf, K)
    iv_shift: F64  # z added to the decline by the interventions received

    @property
    def n(self) -> int:
        return len(self.dob)

    @property
    def child_id(self) -> I64:
        return self.child_offset + np.arange(self.n, dtype=np.int64)

    @property
    def desa(self) -> I64:
        return self.fam_desa[self.fam]

    @property
    def pos(self) -> I64:
        return self.fam_pos[self.fam]


WATER_SOURCES = (
    "piped",
    "bottled_refill",
    "bored_well",
    "protected_well",
    "protected_spring",
    "unprotected_well",
    "unprotected_spring",
    "surface_water",
    "rainwater",
    "other",
)
# BKKBN's KRS rule (facts.md 3b): improved = bottled/refill, piped, bored well, protected well.
_SAFE_WATER = np.array([0, 1, 2, 3], dtype=np.int64)
_SAFE_WATER_P = np.array([0.30, 0.35, 0.20, 0.15])
_UNSAFE_WATER = np.array([4, 5, 6, 7, 8, 9], dtype=np.int64)
_UNSAFE_WATER_P = np.array([0.10, 0.30, 0.15, 0.25, 0.15, 0.05])
LATRINES = ("own_septic", "shared_septic", "no_septic", "none")


def _pick(rng: np.random.Generator, values: I64, p: F64, n: int) -> I64:
    idx = np.searchsorted(np.cumsum(p), rng.random(n) * p.sum(), side="right")
    out: I64 = values[np.minimum(idx, len(values) - 1)]
    return out


# Risk factors that the improvement removes from a reached child (model.RISK_NAMES order).
REACHABLE = ("low_birth_weight", "maternal_kek", "maternal_anaemia")
_REACHABLE_IDX = np.array([model.RISK_NAMES.index(r) for r in REACHABLE])


def make_chunk(
    cfg: SynthConfig,
    prov: Province,
    index: int,
    n: int,
    offset: int,
    improvement: Improvement | None = None,
) -> Chunk:
    """Families and children of chunk `index` (n children, global ids from `offset`)."""
    rng = np.random.default_rng([cfg.seed, 11, index])
    # Children of the window per family: 1 (60 %), 2 (30 %) or 3 (10 %).
    per_fam = _pick(rng, np.array([1, 2, 3]), np.array([0.6, 0.3, 0.1]), n)
    cs = np.cumsum(per_fam)
    nf = int(np.searchsorted(cs, n) + 1)
    per_fam = per_fam[:nf].copy()
    per_fam[-1] -= int(cs[nf - 1] - n)

    cum_desa = np.cumsum(prov.desa_weight)
    fam_desa = np.minimum(
        np.searchsorted(cum_desa, rng.random(nf) * cum_desa[-1], side="right"),
        len(cum_desa) - 1,
    ).astype(np.int64)
    fam_pos = prov.pos_first[fam_desa] + np.floor(
        rng.random(nf) * prov.pos_count[fam_desa]
    ).astype(np.int64)
    is_kota = np.array([c[3] == "7" for c in prov.kab_codes])[prov.desa_kab[fam_desa]]
    ses = rng.normal(size=nf) + np.where(is_kota, 0.3, -0.15)
    decile = np.clip(np.ceil(ndtr(ses) * 10.0), 1, 10).astype(np.int64)
    # Poorer families more often lack safe water and a proper latrine (approximate prevalence
    # kept near the national level: the slope shifts the mean only slightly).
    unsafe = rng.random(nf) < expit(logit(model.P_UNSAFE_WATER) - 0.6 * ses)
    no_lat = rng.random(nf) < expit(logit(model.P_NO_LATRINE) - 0.6 * ses)
    water = np.where(
        unsafe,
        _pick(rng, _UNSAFE_WATER, _UNSAFE_WATER_P, nf),
        _pick(rng, _SAFE_WATER, _SAFE_WATER_P, nf),
    )
    latrine = np.where(
        no_lat,
        _pick(rng, np.array([2, 3]), np.array([0.6, 0.4]), nf),
        _pick(rng, np.array([0, 1]), np.array([0.85, 0.15]), nf),
    )
    # Mother's age at her first child of the window; earlier births (parity) rise with age.
    age_first = np.clip(
        rng.normal(model.MOTHER_AGE_FIRST_MEAN, model.MOTHER_AGE_FIRST_SD, nf),
        15.0,
        45.0,
    )
    prior = rng.poisson(
        np.clip(
            (age_first - model.PRIOR_BIRTHS_FROM_AGE) / model.YEARS_PER_PRIOR_BIRTH,
            0.05,
            None,
        )
    ).astype(np.int64)
    prior = np.minimum(prior, 8)

    w0, w1 = cfg.birth_window()
    span_max = float(w1 - w0)
    # Birth intervals: model.BIRTH_GAP_MIN_MONTHS + gamma(2, model.BIRTH_GAP_SCALE_MONTHS).
    gaps = (
        model.BIRTH_GAP_MIN_MONTHS
        + rng.gamma(2.0, model.BIRTH_GAP_SCALE_MONTHS, size=(nf, 3))
    ) * 30.4375
    gaps[:, 0] = 0.0
    col = np.arange(3)[None, :]
    gaps = np.where(col < per_fam[:, None], gaps, 0.0)
    span = gaps.sum(axis=1)
    # The window births of a family must fit in the window: a family whose intervals would
    # overflow it draws them again (own stream, up to 8 times); the few left are compressed.
    # Compressing them all piled births up at the window's two ends (1.8 times the births
    # of the other years in 2017 and 2025 with these intervals).
    redraw = np.random.default_rng([cfg.seed, 19, index])
    for _ in range(8):
        over = np.nonzero(span > model.MAX_SPAN_SHARE * span_max)[0]
        if len(over) == 0:
            break
        again = (
            model.BIRTH_GAP_MIN_MONTHS
            + redraw.gamma(2.0, model.BIRTH_GAP_SCALE_MONTHS, size=(len(over), 3))
        ) * 30.4375
        again[:, 0] = 0.0
        gaps[over] = np.where(col < per_fam[over, None], again, 0.0)
        span = gaps.sum(axis=1)
    scale = np.minimum(1.0, (span_max - 1.0) / np.maximum(span, 1.0))
    gaps = gaps * scale[:, None]
    span = gaps.sum(axis=1)
    first = w0 + np.floor(rng.random(nf) * (span_max - span)).astype(np.int64)
    fam = np.repeat(np.arange(nf), per_fam)
    rank = np.arange(n) - np.repeat(np.cumsum(per_fam) - per_fam, per_fam)
    cum_gaps = np.cumsum(gaps, axis=1)
    dob = first[fam] + np.floor(cum_gaps[fam, rank]).astype(np.int64)

    # Older siblings born before the window (the last one spaced before the first child).
    last_prior = np.minimum(
        first
        - np.floor(
            (
                model.BIRTH_GAP_MIN_MONTHS
                + rng.gamma(2.0, model.BIRTH_GAP_SCALE_MONTHS, nf)
            )
            * 30.4375
        ).astype(np.int64),
        w0 - 30 - rng.integers(0, 700, nf),
    )
    prior_dobs: list[I64] = []
    d = last_prior.copy()
    for _ in range(8):
        prior_dobs.append(d.copy())
        d = d - np.floor(
            (
                model.BIRTH_GAP_MIN_MONTHS
                + rng.gamma(2.0, model.BIRTH_GAP_SCALE_MONTHS, nf)
            )
            * 30.4375
        ).astype(np.int64)

    prev = np.where(rank == 0, last_prior[fam], np.roll(dob, 1))
    spacing_days = np.where((rank == 0) & (prior[fam] == 0), 10**6, dob - prev)
    mother_dob = first - np.floor(age_first * 365.25).astype(np.int64)
    father_dob = mother_dob - np.floor(rng.normal(4.0, 3.0, nf) * 365.25).astype(
        np.int64
    )
    mother_age = (dob - mother_dob[fam]) / 365.25
    birth_order = prior[fam] + rank + 1

    fses = ses[fam]
    sex = np.where(rng.random(n) < 0.512, 1, 2).astype(np.int64)
    kek = rng.random(n) < expit(logit(model.P_KEK) - 0.4 * fses)
    anaemia = rng.random(n) < model.P_ANAEMIA
    young = mother_age < 20.0
    iv = _decide_interventions(
        cfg, prov, index, fam, fam_desa, ses, decile, unsafe, no_lat, kek
    )
    iv_eligible, iv_received, fam_iv_eligible, fam_iv_received = iv
    effects = cfg.intervention_effects
    lbw_mult = np.ones(n)
    for k, spec in enumerate(model.INTERVENTIONS):
        if spec.outcome == "lbw_rr" and effects:
            lbw_mult = np.where(iv_received[:, k], lbw_mult * spec.effect, lbw_mult)
    # Maternal KEK, anaemia and adolescent pregnancy raise the risk of LBW (Beal 2018); TTD
    # and PMT for KEK mothers lower it by their risk ratios (model.INTERVENTIONS).
    lbw = rng.random(n) < lbw_mult * expit(
        logit(model.P_LBW_UNTREATED if effects else model.P_LBW)
        + math.log(1.8) * kek
        + math.log(1.3) * anaemia
        + math.log(1.3) * young
    )
    rng.random(n)  # the draw that decided missed immunisation before interventions did
    missed = ~iv_received[:, _IV["imunisasi"]]
    iv_shift = np.zeros(n)
    if effects:
        k = _IV["mpasi"]
        food = fam_iv_received[fam, _IV["bansos_pangan"]] & (
            decile[fam] <= model.FOOD_INSECURE_DECILE
        )
        shift = np.where(
            food, model.MPASI_WITH_FOOD_SHIFT, model.INTERVENTIONS[k].effect
        )
        iv_shift = np.where(iv_received[:, k], shift, 0.0)
    reach_u = rng.random(n)
    born_from = improvement.born_from if improvement is not None else 10**9
    eligible = dob >= born_from
    if improvement is not None and improvement.reach is not None:
        kab = prov.desa_kab[fam_desa[fam]]
        reached = eligible & (reach_u < improvement.reach[kab])
        kek = kek & ~reached
        anaemia = anaemia & ~reached
        lbw = lbw & ~reached
        # PMT for KEK mothers: only mothers who still have KEK are eligible.
        k = _IV["pmt_bumil_kek"]
        iv_eligible[:, k] &= kek
        iv_received[:, k] &= kek
    risk = np.column_stack(
        [
            lbw,
            kek,
            anaemia,
            spacing_days < 730,
            young,
            mother_age > 35.0,
            birth_order > 3,
            unsafe[fam],
            no_lat[fam],
            decile[fam] <= 2,
            missed,
        ]
    )
    birth_weight = np.where(
        lbw, rng.uniform(1.6, 2.49, n), np.clip(rng.normal(3.15, 0.4, n), 2.5, 4.8)
    )
    b0_plain = model.BIRTH_HAZ_MEAN + model.BIRTH_HAZ_SD * rng.normal(size=n)
    b0 = b0_plain + model.LBW_BIRTH_SHIFT * lbw
    decline_plain = (
        model.MEAN_DECLINE
        + risk.astype(np.float64) @ model.RISK_SHIFT
        - risk[:, _REACHABLE_IDX].astype(np.float64) @ model.RISK_SHIFT[_REACHABLE_IDX]
        + model.SLOPE_SD * rng.normal(size=n)
        + iv_shift
    )
    # partial catch-up of LBW babies: net LBW effect = its OR shift
    decline = (
        decline_plain
        + risk[:, _REACHABLE_IDX].astype(np.float64) @ model.RISK_SHIFT[_REACHABLE_IDX]
        - model.LBW_BIRTH_SHIFT * lbw
    )
    birth_length = (
        np.round(
            2.0
            * _lms.value_from_z(
                _lms.length_for_age(), sex, np.zeros(n), np.clip(b0, -4.0, 4.0)
            )
        )
        / 2.0
    )
    waz_resid = model.WAZ_MEAN + model.WAZ_RESID_SD * rng.normal(size=n)
    months = cfg.n_months
    ar = np.empty((n, months), dtype=np.float32)
    innov = math.sqrt(1.0 - model.AR_RHO**2) * model.AR_SD
    ar[:, 0] = model.AR_SD * rng.standard_normal(n, dtype=np.float32)
    for m in range(1, months):
        ar[:, m] = model.AR_RHO * ar[:, m - 1] + innov * rng.standard_normal(
            n, dtype=np.float32
        )
    return Chunk(
        index=index,
        child_offset=offset,
        fam_desa=fam_desa,
        fam_pos=fam_pos,
        fam_ses=ses,
        fam_decile=decile,
        fam_water=water,
        fam_latrine=latrine,
        fam_unsafe_water=unsafe,
        fam_no_latrine=no_lat,
        mother_dob=mother_dob,
        father_dob=father_dob,
        mother_name=rng.integers(0, 1 << 16, nf),
        father_name=rng.integers(0, 1 << 16, nf),
        fam_contraception=rng.random(nf) < model.P_MODERN_CONTRACEPTION,
        fam_rt=rng.integers(1, 16, nf),
        fam_rw=rng.integers(1, 9, nf),
        fam_street=rng.integers(0, 1 << 16, nf),
        fam_house=rng.integers(1, 120, nf),
        prior_dobs=prior_dobs,
        prior_count=prior,
        fam=fam,
        sex=sex,
        dob=dob,
        risk=risk,
        birth_weight=birth_weight,
        birth_length=birth_length,
        b0=b0,
        decline=decline,
        waz_resid=waz_resid,
        ar=ar,
        given=rng.integers(0, 1 << 16, n),
        second=rng.integers(0, 1 << 16, n),
        kek=kek,
        anaemia=anaemia,
        mother_age_at_birth=mother_age,
        eligible=eligible,
        reach_u=reach_u,
        b0_plain=b0_plain,
        decline_plain=decline_plain,
        iv_eligible=iv_eligible,
        iv_received=iv_received,
        fam_iv_eligible=fam_iv_eligible,
        fam_iv_received=fam_iv_received,
        iv_shift=iv_shift,
    )


_IV = {code: k for k, code in enumerate(model.INTERVENTION_CODES)}


def family_survey_days(cfg: SynthConfig, ch: Chunk) -> I64:
    """Day each family is listed (Tanggal Pendataan): June-September of the middle year.

    The family file lists the children born by that day; stream (seed, 15, chunk)."""
    rng = np.random.default_rng([cfg.seed, 15, ch.index])
    mid = cfg.years[len(cfg.years) // 2]
    out: I64 = day_number(mid, 6, 1) + rng.integers(0, 120, len(ch.fam_desa))
    return out


def _decide_interventions(
    cfg: SynthConfig,
    prov: Province,
    index: int,
    fam: I64,
    fam_desa: I64,
    ses: F64,
    decile: I64,
    unsafe: B,
    no_lat: B,
    kek: B,
) -> tuple[B, B, B, B]:
    """Who is eligible for and who received each kind of model.INTERVENTIONS.

    A unit (a pregnancy, a child or a family) is reached with its desa's probability for the
    kind (model.intervention_coverage); immunisation also follows the family's welfare.
    Drawn from the chunk's own stream (seed, 16, chunk), so the other draws do not move.
    """
    rng = np.random.default_rng([cfg.seed, 16, index])
    n, nf, k_all = len(fam), len(fam_desa), len(model.INTERVENTIONS)
    cov = model.intervention_coverage(len(prov.desa_codes), cfg.seed)
    at_risk = (decile <= model.AT_RISK_DECILE) | unsafe | no_lat
    eligible = np.zeros((n, k_all), dtype=bool)
    received = np.zeros((n, k_all), dtype=bool)
    fam_eligible = np.zeros((nf, k_all), dtype=bool)
    fam_received = np.zeros((nf, k_all), dtype=bool)
    child_desa = fam_desa[fam]
    for k, spec in enumerate(model.INTERVENTIONS):
        if spec.unit == "family":
            p = cov[fam_desa, k]
            ok = {"air_minum": unsafe, "sanitasi": no_lat}.get(spec.code, at_risk)
            fam_eligible[:, k] = ok
            fam_received[:, k] = ok & (rng.random(nf) < p)
            continue
        p = cov[child_desa, k]
        if spec.outcome == "immunisation":
            p = expit(logit(p) + model.IV_SES_SLOPE_IMMUNISATION * ses[fam])
        ok = kek if spec.code == "pmt_bumil_kek" else np.ones(n, dtype=bool)
        eligible[:, k] = ok
        received[:, k] = ok & (rng.random(n) < p)
    return eligible, received, fam_eligible, fam_received


def latent_haz_base(
    ch: Chunk, idx: I64, age: F64, month: I64, ramp: F64 | None = None
) -> F64:
    """Latent HAZ without the district effect."""
    if ramp is None:
        ramp = model.faltering_ramp(age)
    return ch.b0[idx] + ch.decline[idx] * ramp + ch.ar[idx, month].astype(np.float64)


# Calibration ---------------------------------------------------------------------------------

CAL_LO, CAL_HI, CAL_STEP = -20.0, 20.0, 0.002
CAL_BINS = int(round((CAL_HI - CAL_LO) / CAL_STEP))


REACH_BINS = 20  # the reach of the improvement is solved in steps of 1/20
COARSE = 5  # eligible children are binned 5 calibration bins (0.01 z) at a time
COARSE_BINS = CAL_BINS // COARSE


@dataclass
class CalibrationCounts:
    """Pass-1 counts: `hist[kab, year, bin]` of the district effect c* each child needs to
    be stunted at mid-year; for the extrapolated years, the children born when the
    improvement applies are counted apart, by reach draw, as they are (`with_factors`) and as
    they would be if reached (`reached`): `[kab, extrapolated year, reach bin, coarse bin]`."""

    hist: I64
    with_factors: I64
    reached: I64

    def add(self, other: CalibrationCounts) -> None:
        self.hist += other.hist
        self.with_factors += other.with_factors
        self.reached += other.reached


def _cstar_bins(base: F64, age: F64) -> I64:
    cstar = (-2.0 - base) / model.district_weight(age)
    out: I64 = np.clip(((cstar - CAL_LO) / CAL_STEP).astype(np.int64), 0, CAL_BINS - 1)
    return out


def calibration_histogram(
    cfg: SynthConfig, prov: Province, ch: Chunk, extrapolated: tuple[int, ...] = ()
) -> CalibrationCounts:
    """Counts of the district effect each child needs to be stunted at each mid-year.

    A child alive at mid-year is stunted iff base + c * w(age) < -2, i.e. c < c* = (-2 - base)
    / w. Summing histograms of c* over chunks gives, for each kab/kota x year, prevalence as a
    function of c, so the district effect can be solved exactly without holding all children.
    `extrapolated` are the indices of the years after the last published survey.
    """
    n_kab, years = len(prov.kab_codes), cfg.years
    hist = np.zeros((n_kab, len(years), CAL_BINS), dtype=np.int64)
    shape = (n_kab, len(extrapolated), REACH_BINS, COARSE_BINS)
    with_factors = np.zeros(shape, dtype=np.int64)
    reached = np.zeros(shape, dtype=np.int64)
    kab = prov.desa_kab[ch.desa]
    for y, mid in enumerate(cfg.mid_years()):
        age = (mid - ch.dob).astype(np.float64)
        alive = (age >= 0) & (age < DAYS_0_59_MONTHS)
        if y in extrapolated:
            counted = alive & ~ch.eligible
        else:
            counted = alive
        idx = np.nonzero(counted)[0]
        month = 12 * y + 6
        base = latent_haz_base(ch, idx, age[idx], np.full(len(idx), month))
        b = _cstar_bins(base, age[idx])
        flat = np.bincount(kab[idx] * CAL_BINS + b, minlength=n_kab * CAL_BINS)
        hist[:, y, :] += flat.reshape(n_kab, CAL_BINS)
        if y not in extrapolated:
            continue
        e = extrapolated.index(y)
        idx = np.nonzero(alive & ch.eligible)[0]
        a = age[idx]
        ramp = model.faltering_ramp(a)
        ar = ch.ar[idx, month].astype(np.float64)
        u = np.minimum((ch.reach_u[idx] * REACH_BINS).astype(np.int64), REACH_BINS - 1)
        key = kab[idx] * REACH_BINS + u
        size = n_kab * REACH_BINS * COARSE_BINS
        for target, b0, decline in (
            (with_factors, ch.b0[idx], ch.decline[idx]),
            (reached, ch.b0_plain[idx], ch.decline_plain[idx]),
        ):
            cb = _cstar_bins(b0 + decline * ramp + ar, a) // COARSE
            counts = np.bincount(key * COARSE_BINS + cb, minlength=size)
            target[:, e] += counts.reshape(n_kab, REACH_BINS, COARSE_BINS)
    return CalibrationCounts(hist, with_factors, reached)


def solve_district_effects(hist: I64, targets_pct: F64) -> F64:
    """District x year effect c so that the share of children with c* > c is the target."""
    n_kab, n_year, _ = hist.shape
    out = np.zeros((n_kab, n_year))
    edges = CAL_LO + CAL_STEP * np.arange(CAL_BINS)
    for k in range(n_kab):
        for y in range(n_year):
            h = hist[k, y]
            total = h.sum()
            if total == 0:
                continue
            tail = np.cumsum(h[::-1])[::-1]  # tail[j] = children with c* in bins >= j
            j = int(np.argmin(np.abs(tail - targets_pct[k, y] / 100.0 * total)))
            out[k, y] = edges[j]
    return out


def solve_improvement(
    counts: CalibrationCounts,
    effects: F64,
    targets_pct: F64,
    extrapolated: tuple[int, ...],
    held_from: int,
) -> tuple[F64, F64]:
    """Reach per kab/kota and the district effects for the extrapolated years.

    The district effect of each extrapolated year is held at year `held_from` (the last
    published survey), so the same risk factors are as harmful as before. The reach of the
    improvement is the smallest multiple of 1/REACH_BINS, at most model.MAX_REACH, whose
    prevalence in the first extrapolated year is at or below that year's target; where even
    the largest reach leaves it above, the year ends between the last published level and the
    target (see truth/survey_prevalence.csv) rather than moving the district effect.
    """
    n_kab = effects.shape[0]
    effects = effects.copy()
    reach = np.zeros(n_kab)
    edges = CAL_LO + CAL_STEP * np.arange(CAL_BINS)
    q_max = int(round(model.MAX_REACH * REACH_BINS))
    for y in extrapolated:
        effects[:, y] = effects[:, held_from]
    if not extrapolated:
        return reach, effects
    y = extrapolated[0]
    for k in range(n_kab):
        c = effects[k, held_from]
        j = int(np.searchsorted(edges, c, side="right"))  # bins with c* > c
        jc = (j + COARSE - 1) // COARSE
        other = counts.hist[k, y]
        wf, rc = counts.with_factors[k, 0], counts.reached[k, 0]
        total = other.sum() + wf.sum()
        if total == 0:
            continue
        wf_tail = wf[:, jc:].sum(axis=1)
        rc_tail = rc[:, jc:].sum(axis=1)
        goal = targets_pct[k, y] / 100.0 * total
        q = q_max
        for cand in range(q_max + 1):
            # stunted children when the reach is cand / REACH_BINS
            stunted = other[j:].sum() + rc_tail[:cand].sum() + wf_tail[cand:].sum()
            if stunted <= goal:
                q = cand
                break
        reach[k] = q / REACH_BINS
    return reach, effects


def district_effect_at(cfg: SynthConfig, effects: F64, kab: I64, day: I64) -> F64:
    """District effect on calendar day: linear between mid-years, constant outside them."""
    mids = cfg.mid_years().astype(np.float64)
    if len(day) == 0:
        return np.zeros(0)
    d0, d1 = int(day.min()), int(day.max())
    days = np.arange(d0, d1 + 1, dtype=np.float64)
    table = np.stack([np.interp(days, mids, row) for row in effects])
    out: F64 = table[kab, day - d0]
    return out


# Visits --------------------------------------------------------------------------------------


@dataclass
class Visits:
    """Posyandu visit rows of one chunk (after injected problems), in child x month order."""

    child: I64  # local child index
    month: I64
    day: I64  # NO_DATE = date left blank (missing_dates problem)
    true_day: I64
    age: I64
    haz_latent: F64
    waz_latent: F64
    weight: F64  # as exported (grams_as_kg rows are in grams)
    lenhei: F64
    standing: B  # Cara Ukur Berdiri
    problems: NDArray[np.int16]  # bitmask over model.PROBLEM_NAMES
    duplicate: B
    # The row's posyandu rounds lengths up at the cut-off and the row's draw hit: its
    # length is rounded when it falls just below -2 (see make_visits).
    cutoff_ok: B


def make_visits(
    cfg: SynthConfig,
    prov: Province,
    ch: Chunk,
    effects: F64,
    problems: NDArray[np.bool_],
    pos_precision: F64,
    *,
    cutoff_rounding: bool = True,
) -> Visits:
    """The chunk's posyandu visits as exported. ``cutoff_rounding=False`` leaves the
    lengths just below -2 as measured (``cutoff_ok`` still says which rows would be
    rounded): the routine probe (service) solves the routine shift from them."""
    rng = np.random.default_rng([cfg.seed, 12, ch.index])
    starts = cfg.month_starts()
    pos = ch.pos
    meet = prov.pos_day[pos] - 1
    # Months in which the child is 0-59 months old on the posyandu day: a contiguous run.
    m0 = np.searchsorted(starts, ch.dob - meet, side="left")
    m1 = np.searchsorted(starts, ch.dob + DAYS_0_59_MONTHS - meet, side="left")
    runs = np.maximum(m1 - m0, 0)
    ci = np.repeat(np.arange(ch.n, dtype=np.int64), runs)
    first_row = np.cumsum(runs) - runs
    mi = m0[ci] + (np.arange(len(ci), dtype=np.int64) - first_row[ci])
    day = starts[mi] + meet[ci]
    age = day - ch.dob[ci]
    agef = age.astype(np.float64)
    desa = ch.fam_desa[ch.fam[ci]]
    month_of_year = mi % 12
    boost = np.where(
        (month_of_year == 1) | (month_of_year == 7), model.WEIGHING_MONTH_BOOST, 1.0
    )
    # Children who do not take part in posyandu weighing come at a fraction of the rate
    # (their own stream, so every other draw is unchanged by the share engaged).
    engaged = (
        np.random.default_rng([cfg.seed, 18, ch.index]).random(ch.n)
        < (prov.kab_engaged[prov.desa_kab[ch.desa]])
    )
    rate = prov.desa_coverage[desa] * np.where(
        engaged[ci], 1.0, model.NONENGAGED_ATTENDANCE
    )
    p_max = np.minimum(rate * boost, 0.99)
    draw = rng.random(len(ci))
    # A child-month whose draw misses even the unstunted probability is never kept: drop it
    # before computing its HAZ (same draws, same output, about half the work).
    cand = np.nonzero(draw < p_max)[0]
    ci, mi, day, age, agef, desa, rate = (
        ci[cand],
        mi[cand],
        day[cand],
        age[cand],
        agef[cand],
        desa[cand],
        rate[cand],
    )
    ramp = model.faltering_ramp(agef)
    weight_d = model.DISTRICT_AT_BIRTH + (1.0 - model.DISTRICT_AT_BIRTH) * ramp
    haz = (
        latent_haz_base(ch, ci, agef, mi, ramp)
        + district_effect_at(cfg, effects, prov.desa_kab[desa], day) * weight_d
    )
    p = np.minimum(
        rate * boost[cand] * np.where(haz < -2.0, model.STUNTED_ATTENDANCE, 1.0),
        0.99,
    )
    keep = np.nonzero(draw[cand] < p)[0]
    ci, mi, day, age, agef, haz, desa = (
        ci[keep],
        mi[keep],
        day[keep],
        age[keep],
        agef[keep],
        haz[keep],
        desa[keep],
    )
    sex = ch.sex[ci]
    waz = model.WAZ_ON_HAZ * haz + ch.waz_resid[ci]
    # Routine measurement runs long against the survey's (a constant per kab/kota):
    # the exported values, not the latent truth, carry the shift.
    shift = prov.kab_routine_shift[prov.desa_kab[desa]]
    length = _lms.value_from_z(_lms.length_for_age(), sex, agef, haz + shift)
    weight = _lms.value_from_z(_lms.weight_for_age(), sex, agef, waz + shift)
    nv = len(ci)
    length = np.round(length + model.LENGTH_ERROR_SD_CM * rng.standard_normal(nv), 1)
    vpos = pos[ci]
    prec = pos_precision[vpos]
    weight = np.maximum(
        weight + model.WEIGHT_ERROR_SD_KG * rng.standard_normal(nv), 0.8
    )
    weight = np.round(weight / prec) * prec
    standing = age >= 731
    flags = np.zeros(nv, dtype=np.int16)
    has = problems[vpos]  # (nv, n_problems)

    def hit(name: str, among: I64 | None = None) -> I64:
        """Rows of posyandu with problem `name`, each picked with the problem's row rate."""
        j = model.PROBLEM_NAMES.index(name)
        cand = np.nonzero(has[:, j])[0] if among is None else among[has[among, j]]
        out: I64 = cand[rng.random(len(cand)) < model.PROBLEMS[j].row_rate]
        flags[out] |= np.int16(1 << j)
        return out

    # Lengths of children just below -2 rounded up to just above the cut-off (facts.md s8).
    # Its draws come from their own stream, one pair per row whatever the lengths: which
    # rows fall just below -2 depends on the routine shift, which is solved per seed from
    # a probe of these visits (service), and must not move any other draw.
    j_cut = model.PROBLEM_NAMES.index("cutoff_rounding")
    cut_rng = np.random.default_rng([cfg.seed, 20, ch.index])
    cut_u = cut_rng.random(nv)
    cut_to = cut_rng.uniform(0.0, 0.06, nv)
    cutoff_ok = has[:, j_cut] & (cut_u < model.PROBLEMS[j_cut].row_rate)
    if cutoff_rounding:
        lt = _lms.length_for_age()
        cand = np.nonzero(cutoff_ok)[0]
        zl = _lms.z_from_value(lt, sex[cand], agef[cand], length[cand])
        rows = cand[(zl >= -2.5) & (zl < -2.0)]
        flags[rows] |= np.int16(1 << j_cut)
        up = _lms.value_from_z(lt, sex[rows], agef[rows], -2.0 + cut_to[rows])
        length[rows] = np.ceil(up * 10.0) / 10.0

    rows = hit("heaping_05")
    length[rows] = np.round(length[rows] * 2.0) / 2.0
    weight[rows] = np.round(weight[rows] * 2.0) / 2.0

    rows = hit("cara_ukur_age")
    # Lying at 24 months and over adds 0.7 cm; standing under 24 months loses 0.7 cm (WHO).
    length[rows] = np.where(standing[rows], length[rows] + 0.7, length[rows] - 0.7)
    standing[rows] = ~standing[rows]

    rows = hit("implausible")
    k = len(rows)
    factor = np.where(
        rng.random(k) < 0.5, rng.uniform(1.45, 1.7, k), rng.uniform(0.45, 0.6, k)
    )
    on_length = rng.random(k) < 0.5
    lr, wr = rows[on_length], rows[~on_length]
    length[lr] = np.round(length[lr] * factor[on_length], 1)
    weight[wr] = np.round(weight[wr] * rng.uniform(3.0, 4.5, len(wr)), 1)

    rows = hit("grams_as_kg")
    weight[rows] = np.round(weight[rows] * 1000.0)

    rows = hit("missing_dates")
    shown_day = day.copy()
    shown_day[rows] = NO_DATE

    dup_rows = hit("duplicates")
    times = np.ones(nv, dtype=np.int64)
    times[dup_rows] = 2
    order = np.repeat(np.arange(nv), times)
    is_dup = np.zeros(len(order), dtype=bool)
    is_dup[1:] = order[1:] == order[:-1]
    flags_out = flags[order]
    # The first copy of a duplicated row is a normal row; only the copy is the problem.
    first_copy = np.zeros(len(order), dtype=bool)
    first_copy[:-1] = is_dup[1:]
    flags_out[first_copy] &= np.int16(~(1 << model.PROBLEM_NAMES.index("duplicates")))
    return Visits(
        child=ci[order],
        month=mi[order],
        day=shown_day[order],
        true_day=day[order],
        age=age[order],
        haz_latent=haz[order],
        waz_latent=waz[order],
        weight=weight[order],
        lenhei=length[order],
        standing=standing[order],
        problems=flags_out,
        duplicate=is_dup,
        cutoff_ok=cutoff_ok[order],
    )


def survey_latent(
    cfg: SynthConfig, prov: Province, ch: Chunk, effects: F64
) -> tuple[F64, F64]:
    """Latent HAZ and WAZ of every child at each mid-year (NaN when not 0-59 months)."""
    n, ny = ch.n, len(cfg.years)
    haz = np.full((n, ny), np.nan)
    waz = np.full((n, ny), np.nan)
    kab = prov.desa_kab[ch.desa]
    for y, mid in enumerate(cfg.mid_years()):
        age = (mid - ch.dob).astype(np.float64)
        idx = np.nonzero((age >= 0) & (age < DAYS_0_59_MONTHS))[0]
        h = latent_haz_base(ch, idx, age[idx], np.full(len(idx), 12 * y + 6)) + effects[
            kab[idx], y
        ] * model.district_weight(age[idx])
        haz[idx, y] = h
        waz[idx, y] = model.WAZ_ON_HAZ * h + ch.waz_resid[idx]
    return haz, waz


# Routine shift ------------------------------------------------------------------------------

# The routine shift of a kab/kota with a published routine figure is solved on this many
# children (the first chunks; all when fewer), and kept from the table when fewer than
# ROUTINE_PROBE_MIN_CHILDREN of them are weighed in the year's weighing months.
ROUTINE_PROBE_CHILDREN = 500_000
ROUTINE_PROBE_MIN_CHILDREN = 200
ROUTINE_SHIFT_GRID = np.round(np.arange(-1.5, 1.5005, 0.001), 3)
_WEIGHING_MONTHS = (1, 7)  # February and August (0-based month of the year)


@dataclass
class RoutineProbe:
    """Per child weighed in the year's weighing months: its kab/kota, the length-for-age z
    of its latest weighing-month length as exported with no routine shift and no cut-off
    rounding, and whether that row would be rounded up at the cut-off."""

    kab: I64
    z: F64
    cutoff_ok: B

    @staticmethod
    def join(parts: list[RoutineProbe]) -> RoutineProbe:
        return RoutineProbe(
            np.concatenate([p.kab for p in parts]),
            np.concatenate([p.z for p in parts]),
            np.concatenate([p.cutoff_ok for p in parts]),
        )


def routine_probe(
    cfg: SynthConfig,
    prov: Province,
    ch: Chunk,
    effects: F64,
    problems: NDArray[np.bool_],
    pos_precision: F64,
    year: int,
) -> RoutineProbe:
    """The chunk's :class:`RoutineProbe` for ``year`` (``prov``'s routine shift set to 0
    where it is to be solved; rows with a missing date, an implausible value, a Cara Ukur
    switched or a duplicate left out, as the indicator engine leaves them out)."""
    v = make_visits(
        cfg, prov, ch, effects, problems, pos_precision, cutoff_rounding=False
    )
    bad = 0
    for name in ("missing_dates", "implausible", "cara_ukur_age"):
        bad |= 1 << model.PROBLEM_NAMES.index(name)
    y = cfg.years[0] + v.month // 12
    keep = (
        (y == year)
        & np.isin(v.month % 12, _WEIGHING_MONTHS)
        & ~v.duplicate
        & ((v.problems & bad) == 0)
    )
    rows = np.nonzero(keep)[0]
    # Rows are in child x month order: the last row of each child is its latest.
    last = (
        rows[np.r_[v.child[rows][1:] != v.child[rows][:-1], True]]
        if len(rows)
        else rows
    )
    child = v.child[last]
    z = _lms.z_from_value(
        _lms.length_for_age(),
        ch.sex[child],
        v.age[last].astype(np.float64),
        v.lenhei[last],
    )
    kab = prov.desa_kab[ch.fam_desa[ch.fam[child]]]
    return RoutineProbe(kab.astype(np.int64), z, v.cutoff_ok[last])


def routine_prevalence(probe: RoutineProbe, kab: int, shifts: F64) -> F64:
    """Weighing-month stunting prevalence (%) of ``kab`` in the probe for each routine
    shift: a length is stunted when z + shift < -2, unless the row is rounded up at the
    cut-off (z + shift in [-2.5, -2))."""
    sel = probe.kab == kab
    z = np.sort(probe.z[sel])
    kept = np.sort(probe.z[sel & ~probe.cutoff_ok])
    n = max(int(sel.sum()), 1)
    below = np.searchsorted(z, -2.5 - shifts, side="left")
    band = np.searchsorted(kept, -2.0 - shifts, side="left") - np.searchsorted(
        kept, -2.5 - shifts, side="left"
    )
    out: F64 = 100.0 * (below + band) / n
    return out


def solve_routine_shift(probe: RoutineProbe, kab: int, target_pct: float) -> float:
    """The routine shift (on ROUTINE_SHIFT_GRID) whose probe prevalence is nearest
    ``target_pct`` (the smallest such shift in absolute value on ties)."""
    prev = routine_prevalence(probe, kab, ROUTINE_SHIFT_GRID)
    miss = np.abs(prev - target_pct)
    best = np.nonzero(miss == miss.min())[0]
    return float(ROUTINE_SHIFT_GRID[best[np.argmin(np.abs(ROUTINE_SHIFT_GRID[best]))]])
