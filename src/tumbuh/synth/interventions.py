"""Intervention records of the synthetic province and what they are known to have done.

The generator decides who received what (`generate._decide_interventions`, before the
outcomes); this module turns those decisions into

- ``interventions.csv``: records in the import layout of ``tumbuh import interventions``
  (docs/interventions.md): ``Kode Intervensi, NIK, No KK, Tanggal, Status, Sektor, Jumlah``
  (tablets, on TTD records only);
- ``truth/intervention_effects.csv``: the effect table used (model.INTERVENTIONS);
- ``truth/interventions.csv``: eligible and reached units per kab/kota and kind;
- ``truth/package_new_cases.csv``: new cases among children whose mother/child missed an
  effective intervention against those who received every one (the cost of the gaps).

Records. A reached unit gets a ``given`` record (``verified`` for 30 %), an eligible unit not
reached gets a ``planned`` one in 10 % of cases, dated:

- pregnancy kinds (the mother's NIK), counting from the last menstrual period (birth - 280
  days): ANC at 8 weeks to birth, TTD at 12-30 weeks, PMT for KEK at 14-30 weeks; post-partum
  family planning in the 6 weeks after birth;
- child kinds (the child's NIK): one record for each calendar year in which the child is in
  the age window (exclusive breastfeeding 0-5 months, immunisation 0-23, MP-ASI 6-23), for
  the children the register knows (in the family file, or weighed at least once);
- growth monitoring (``pantau_tumbuh``): the child's first dated posyandu visit of each year
  in the e-PPGBM exports (so its coverage is the weighing coverage);
- family kinds (the family's No KK): one record per year of the range.

Only dates inside the synthetic years are written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tumbuh.synth import generate, model, writers
from tumbuh.synth.generate import Chunk, SynthConfig, Visits
from tumbuh.synth.regions import Province

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

IMPORT_COLUMNS = (
    "Kode Intervensi",
    "NIK",
    "No KK",
    "Tanggal",
    "Status",
    "Sektor",
    "Jumlah",
)
# Iron-folic-acid tablets on a pregnancy's TTD record (``Jumlah``): 30, 60, 90 or 120 with
# these probabilities, so that about 60 % of the women reached have >= 90 (indicator
# ttd_hamil_90). Illustrative, not calibrated to a survey; the outcome model only knows
# whether TTD was received. Drawn from a stream of its own: the other columns keep their bytes.
TTD_TABLETS = (30, 60, 90, 120)
TTD_TABLET_P = (0.15, 0.25, 0.45, 0.15)
FILE_NAME = "interventions.csv"

# Date windows in days: pregnancy kinds from the last menstrual period (birth - 280), or
# from birth for post-partum family planning; child kinds as ages [start, end).
_GESTATION = 280
PREGNANCY_WINDOWS: dict[str, tuple[str, int, int]] = {
    "anc": ("lmp", 8 * 7, _GESTATION - 1),
    "ttd_hamil": ("lmp", 12 * 7, 30 * 7),
    "pmt_bumil_kek": ("lmp", 14 * 7, 30 * 7),
    "kb_pascapersalinan": ("birth", 0, 41),
}
CHILD_WINDOWS: dict[str, tuple[int, int]] = {
    "asi_eksklusif": (0, 183),
    "imunisasi": (0, 731),
    "mpasi": (183, 731),
}
GROWTH_MONITORING = "pantau_tumbuh"
# Catalogue kinds whose records the generator writes (the others are not decided here).
GENERATED_CODES: tuple[str, ...] = (*model.INTERVENTION_CODES, GROWTH_MONITORING)
# The kinds with an effect on an outcome (model.INTERVENTIONS outcome lbw_rr or haz_shift):
# a child "missed" the effective package when any of them it was eligible for was missed.
EFFECTIVE: tuple[int, ...] = tuple(
    k
    for k, spec in enumerate(model.INTERVENTIONS)
    if spec.outcome in ("lbw_rr", "haz_shift")
)


def full_package(ch: Chunk) -> B:
    """Children (and their mothers) who received every effective kind they were eligible
    for."""
    cols = list(EFFECTIVE)
    missed = ch.iv_eligible[:, cols] & ~ch.iv_received[:, cols]
    out: B = np.logical_not(np.any(missed, axis=1))
    return out


def truth_columns(ch: Chunk) -> dict[str, object]:
    """Per child: 1 received, 0 eligible and not received, -1 not eligible, for every kind
    (family kinds through the child's family); the HAZ shift the interventions gave; the
    package status (1 full, 0 missing)."""
    cols: dict[str, object] = {}
    for k, spec in enumerate(model.INTERVENTIONS):
        if spec.unit == "family":
            el = ch.fam_iv_eligible[ch.fam, k]
            got = ch.fam_iv_received[ch.fam, k]
        else:
            el, got = ch.iv_eligible[:, k], ch.iv_received[:, k]
        cols[f"iv_{spec.code}"] = np.where(el, got.astype(np.int8), -1).astype(np.int8)
    cols["iv_haz_shift_z"] = np.round(ch.iv_shift, 3)
    cols["iv_full_package"] = full_package(ch).astype(np.int8)
    return cols


@dataclass
class Counts:
    """Per kab/kota: eligible and reached units per kind; children at risk of becoming a new
    case and new cases, by package status (0 full, 1 missing), summed over years."""

    eligible: I64  # (n_kab, K)
    received: I64  # (n_kab, K)
    at_risk: I64  # (n_kab, 2)
    new_cases: I64  # (n_kab, 2)

    @classmethod
    def zeros(cls, n_kab: int) -> Counts:
        k = len(model.INTERVENTIONS)
        return cls(
            np.zeros((n_kab, k), dtype=np.int64),
            np.zeros((n_kab, k), dtype=np.int64),
            np.zeros((n_kab, 2), dtype=np.int64),
            np.zeros((n_kab, 2), dtype=np.int64),
        )

    def add(self, other: Counts) -> None:
        self.eligible += other.eligible
        self.received += other.received
        self.at_risk += other.at_risk
        self.new_cases += other.new_cases


def new_cases(haz_mid: F64) -> tuple[B, B]:
    """(at risk, new case) per child x year from the second year: 0-59 months at both
    mid-years, not stunted at the previous one; a new case is stunted at this one."""
    prev, now = haz_mid[:, :-1], haz_mid[:, 1:]
    at_risk = ~np.isnan(prev) & ~np.isnan(now) & (prev >= -2.0)
    return at_risk, at_risk & (now < -2.0)


def accumulate(prov: Province, ch: Chunk, haz_mid: F64, counts: Counts) -> None:
    nk = counts.eligible.shape[0]
    kab = prov.desa_kab[ch.desa]
    fam_kab = prov.desa_kab[ch.fam_desa]
    for k, spec in enumerate(model.INTERVENTIONS):
        if spec.unit == "family":
            units, el, got = fam_kab, ch.fam_iv_eligible[:, k], ch.fam_iv_received[:, k]
        else:
            units, el, got = kab, ch.iv_eligible[:, k], ch.iv_received[:, k]
        counts.eligible[:, k] += np.bincount(units[el], minlength=nk)
        counts.received[:, k] += np.bincount(units[el & got], minlength=nk)
    at_risk, new = new_cases(haz_mid)
    missing = (~full_package(ch)).astype(np.int64)
    key = np.repeat(kab * 2 + missing, at_risk.shape[1]).reshape(at_risk.shape)
    counts.at_risk += np.bincount(key[at_risk], minlength=nk * 2).reshape(nk, 2)
    counts.new_cases += np.bincount(key[new], minlength=nk * 2).reshape(nk, 2)


def relative_risk(
    a: int, n1: int, c: int, n2: int
) -> tuple[float, float, float] | None:
    """Risk ratio (a/n1)/(c/n2) with its 95 % Wald interval on the log scale; None when a
    count is 0."""
    if min(a, c) == 0 or min(n1, n2) == 0:
        return None
    rr = (a / n1) / (c / n2)
    se = math.sqrt(1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2)
    return rr, rr * math.exp(-1.96 * se), rr * math.exp(1.96 * se)


def _status(
    rng: np.random.Generator, received: B, eligible: B
) -> tuple[B, NDArray[np.object_]]:
    """Which units get a record, and its status."""
    n = len(received)
    verified = rng.random(n) < model.IV_VERIFIED_SHARE
    planned = eligible & ~received & (rng.random(n) < model.IV_PLANNED_SHARE)
    status = np.where(
        received, np.where(verified, "verified", "given"), "planned"
    ).astype(object)
    return received | planned, status


def write_records(
    out_dir: Path,
    cfg: SynthConfig,
    ch: Chunk,
    v: Visits,
    child_nik: I64,
    mother_nik: I64,
    kk: I64,
) -> int:
    """Append the chunk's records to ``interventions.csv``; returns the number written."""
    rng = np.random.default_rng([cfg.seed, 17, ch.index])
    tablets_rng = np.random.default_rng([cfg.seed, 18, ch.index])
    lo = generate.day_number(cfg.first_year, 1, 1)
    hi = generate.day_number(cfg.last_year, 12, 31)
    codes: list[NDArray[np.object_]] = []
    niks: list[NDArray[np.object_]] = []
    kks: list[NDArray[np.object_]] = []
    days: list[I64] = []
    statuses: list[NDArray[np.object_]] = []
    amounts: list[NDArray[np.object_]] = []
    sectors: list[str] = []
    sizes: list[int] = []

    def emit(
        code: str,
        sector: str,
        start: I64,
        end: I64,
        status: NDArray[np.object_],
        nik: NDArray[np.object_] | None,
        no_kk: NDArray[np.object_] | None,
    ) -> None:
        start = np.maximum(start, lo)
        end = np.minimum(end, hi)
        ok = start <= end
        day = start + np.floor(rng.random(len(start)) * (end - start + 1)).astype(
            np.int64
        )
        m = int(ok.sum())
        blank = np.full(m, "", dtype=object)
        codes.append(np.full(m, code, dtype=object))
        niks.append(nik[ok] if nik is not None else blank)
        kks.append(no_kk[ok] if no_kk is not None else blank)
        days.append(day[ok])
        statuses.append(status[ok])
        amount = np.full(m, "", dtype=object)
        if code == "ttd_hamil":
            drawn = tablets_rng.choice(TTD_TABLETS, size=m, p=TTD_TABLET_P)
            amount = drawn.astype(str).astype(object)
        amounts.append(amount)
        sectors.append(sector)
        sizes.append(m)

    lmp = ch.dob - _GESTATION
    years = cfg.years
    # Child records only for children the register knows: in the family file (born by the
    # family's survey date) or weighed at a posyandu (a dated e-PPGBM row); the others
    # still had the intervention, but nobody could record it.
    known = ch.dob <= generate.family_survey_days(cfg, ch)[ch.fam]
    known[v.child[v.day >= 0]] = True
    for k, spec in enumerate(model.INTERVENTIONS):
        if spec.unit == "family":
            keep, status = _status(
                rng, ch.fam_iv_received[:, k], ch.fam_iv_eligible[:, k]
            )
            fidx = np.nonzero(keep)[0]
            no_kk = writers.digits(kk[fidx])
            for year in years:
                y0 = np.full(len(fidx), generate.day_number(year, 1, 1))
                y1 = np.full(len(fidx), generate.day_number(year, 12, 31))
                emit(spec.code, spec.sector, y0, y1, status[fidx], None, no_kk)
            continue
        keep, status = _status(rng, ch.iv_received[:, k], ch.iv_eligible[:, k])
        if spec.unit == "child":
            keep &= known
        cidx = np.nonzero(keep)[0]
        if spec.code in PREGNANCY_WINDOWS:
            anchor, a0, a1 = PREGNANCY_WINDOWS[spec.code]
            base = (lmp if anchor == "lmp" else ch.dob)[cidx]
            nik = writers.digits(mother_nik[ch.fam[cidx]])
            emit(spec.code, spec.sector, base + a0, base + a1, status[cidx], nik, None)
        elif spec.code in CHILD_WINDOWS:
            a0, a1 = CHILD_WINDOWS[spec.code]
            nik = writers.digits(child_nik[cidx])
            dob = ch.dob[cidx]
            for year in years:
                s = np.maximum(dob + a0, generate.day_number(year, 1, 1))
                e = np.minimum(dob + a1 - 1, generate.day_number(year, 12, 31))
                emit(spec.code, spec.sector, s, e, status[cidx], nik, None)
    # Growth monitoring: the first posyandu visit of each child and year.
    real = np.nonzero(~v.duplicate & (v.day >= 0))[0]
    key = v.child[real] * len(years) + v.month[real] // 12
    _, first = np.unique(key, return_index=True)
    rows = real[first]
    day = v.true_day[rows]
    emit(
        GROWTH_MONITORING,
        "Dinkes",
        day,
        day,
        np.full(len(rows), "given", dtype=object),
        writers.digits(child_nik[v.child[rows]]),
        None,
    )
    n = int(sum(sizes))
    columns: dict[str, object] = {
        "Kode Intervensi": np.concatenate(codes),
        "NIK": np.concatenate(niks),
        "No KK": np.concatenate(kks),
        "Tanggal": writers.iso_dates(np.concatenate(days)),
        "Status": np.concatenate(statuses),
        "Sektor": np.repeat(np.array(sectors, dtype=object), sizes),
        "Jumlah": np.concatenate(amounts),
    }
    writers.write_csv(out_dir / FILE_NAME, columns, n=n)
    return n


def effects_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [i.code for i in model.INTERVENTIONS],
            "unit": [i.unit for i in model.INTERVENTIONS],
            "sector": [i.sector for i in model.INTERVENTIONS],
            "eligible": [i.eligible for i in model.INTERVENTIONS],
            "outcome": [i.outcome for i in model.INTERVENTIONS],
            "effect": [i.effect for i in model.INTERVENTIONS],
            "ci_low": [i.ci[0] if i.ci else None for i in model.INTERVENTIONS],
            "ci_high": [i.ci[1] if i.ci else None for i in model.INTERVENTIONS],
            "verified": [i.verified for i in model.INTERVENTIONS],
            "source": [i.source for i in model.INTERVENTIONS],
        }
    )


def package_table(prov: Province, province: str, counts: Counts) -> pd.DataFrame:
    """New-case rate by package status per kab/kota and for the province, with the risk
    ratio (missing / full) and its 95 % interval (children counted once per year)."""
    rows: list[dict[str, object]] = []
    groups = [(code, prov.kab_names[k], [k]) for k, code in enumerate(prov.kab_codes)]
    groups.append((province, prov.name, list(range(len(prov.kab_codes)))))
    for code, name, ks in groups:
        at = counts.at_risk[ks].sum(axis=0)
        new = counts.new_cases[ks].sum(axis=0)
        rr = relative_risk(int(new[1]), int(at[1]), int(new[0]), int(at[0]))

        def pct(a: int, b: int) -> str:
            return f"{100.0 * a / b:.2f}" if b else ""

        rows.append(
            {
                "region_code": code,
                "region_name": name,
                "at_risk_full": int(at[0]),
                "new_cases_full": int(new[0]),
                "rate_full_pct": pct(int(new[0]), int(at[0])),
                "at_risk_missing": int(at[1]),
                "new_cases_missing": int(new[1]),
                "rate_missing_pct": pct(int(new[1]), int(at[1])),
                "rr_missing_vs_full": f"{rr[0]:.3f}" if rr else "",
                "rr_ci_low": f"{rr[1]:.3f}" if rr else "",
                "rr_ci_high": f"{rr[2]:.3f}" if rr else "",
            }
        )
    return pd.DataFrame(rows)


def write_truth(
    out_dir: Path, cfg: SynthConfig, prov: Province, counts: Counts
) -> None:
    truth = out_dir / "truth"
    effects_table().to_csv(
        truth / "intervention_effects.csv", index=False, lineterminator="\n"
    )
    rows: list[dict[str, object]] = []
    for k, code in enumerate(prov.kab_codes):
        for j, spec in enumerate(model.INTERVENTIONS):
            el, got = int(counts.eligible[k, j]), int(counts.received[k, j])
            rows.append(
                {
                    "region_code": code,
                    "code": spec.code,
                    "sector": spec.sector,
                    "eligible": el,
                    "received": got,
                    "received_pct": f"{100.0 * got / el:.2f}" if el else "",
                }
            )
    pd.DataFrame(rows).to_csv(
        truth / "interventions.csv", index=False, lineterminator="\n"
    )
    package_table(prov, cfg.province, counts).to_csv(
        truth / "package_new_cases.csv", index=False, lineterminator="\n"
    )
