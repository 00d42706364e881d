"""Ground truth of new stunting cases (incidence), counted by the generator from its own arrays.

The rule is the one `tumbuh.analytics.routine.new_cases` documents, re-implemented here on
the generator's visit arrays (no tumbuh.analytics import), per desa and calendar year:

* a child's rows are its posyandu visits at 0-59 months with a usable length/height-for-age
  z-score; its *baseline* is the first of them, its *onset* the first with HAZ < -2;
* the child is **at risk** in a year when the baseline HAZ is >= -2, it has a row in the
  year after the baseline, and the onset (if any) is not before the year's first row;
* it is a **new case** in the year when, in addition, the onset is not after the year's
  last row. The region is the child's desa (a synthetic child never moves).

Two versions are counted on the same visits:

``observed``
    the rows a correct import keeps: a date is written (``missing_dates`` rows are not
    kept), the second copy of an exported duplicate is dropped, and HAZ is the z-score of
    the written length/height exactly as WHO scores it (0.7 cm for the wrong Cara Ukur
    except standing under 9 months, 2 decimals, WHO flag |HAZ| > 6 excluded). Injected errors (rounding past the cut-off,
    heaping, impossible values) are in these rows, as they are in the export: this is what
    tumbuh must reproduce exactly.
``latent``
    the error-free truth: every visit (undated ones at their real date), HAZ the latent
    z-score before measurement error and injected problems. It shows how measurement error
    moves incidence (docs/synthetic.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tumbuh.synth import _lms
from tumbuh.synth.generate import DAYS_0_59_MONTHS, Chunk, SynthConfig, Visits
from tumbuh.synth.regions import Province

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

FILE_NAME = "new_cases.csv"
#: WHO flag of length/height-for-age: |HAZ| > 6 is implausible (WHO Anthro manual).
HAZ_FLAG = 6.0
_NONE = np.iinfo(np.int64).max


@dataclass
class NewCases:
    """Counts per desa x year: at risk and new cases, observed and latent."""

    counts: I64  # shape (4, n_desa, n_years): at_risk, new, at_risk_latent, new_latent

    @classmethod
    def zeros(cls, n_desa: int, n_years: int) -> NewCases:
        return cls(np.zeros((4, n_desa, n_years), dtype=np.int64))

    def add(self, other: NewCases) -> None:
        self.counts += other.counts


def written_haz(ch: Chunk, v: Visits, rows: I64) -> F64:
    """HAZ of written rows as WHO scores them: wrong position corrected by 0.7 cm (not for a
    standing height under 9 months), rounded to 2 decimals."""
    age = v.age[rows]
    standing = v.standing[rows]
    # WHO anthro: a standing height under 9 months (30.4375-day months) is implausible, its
    # measure is treated as missing and the length is used as written (no +0.7 cm).
    nine = age / 30.4375 < 9.0
    adj = v.lenhei[rows] + np.where((age < 731) & standing & ~nine, 0.7, 0.0)
    adj = adj - np.where((age >= 731) & ~standing, 0.7, 0.0)
    z = _lms.z_from_value(
        _lms.length_for_age(), ch.sex[v.child[rows]], age.astype(np.float64), adj
    )
    return np.asarray(np.round(z, 2), dtype=np.float64)


def _count(
    child: I64, day: I64, year: I64, z: F64, desa: I64, shape: tuple[int, int]
) -> tuple[I64, I64]:
    """(at_risk, new) per desa x year for usable rows (child, day, year index, HAZ)."""
    n_desa, ny = shape
    at_out = np.zeros(shape, dtype=np.int64)
    new_out = np.zeros(shape, dtype=np.int64)
    if len(child) == 0:
        return at_out, new_out
    order = np.lexsort((day, child))
    child, day, year, z = child[order], day[order], year[order], z[order]
    n = int(child.max()) + 1
    first = np.ones(len(child), dtype=bool)
    first[1:] = child[1:] != child[:-1]
    base_z = np.full(n, np.nan)
    base_day = np.full(n, _NONE, dtype=np.int64)
    base_z[child[first]] = z[first]
    base_day[child[first]] = day[first]
    onset = np.full(n, _NONE, dtype=np.int64)
    low = z < -2.0
    np.minimum.at(onset, child[low], day[low])
    key = child * ny + year  # sorted, since rows are in child x day order
    uk, start = np.unique(key, return_index=True)
    stop = np.r_[start[1:], len(key)] - 1
    kc, ky = uk // ny, uk % ny
    first_d, last_d = day[start], day[stop]
    at = (base_z[kc] >= -2.0) & (last_d > base_day[kc]) & (onset[kc] >= first_d)
    new = at & (onset[kc] <= last_d)
    cell = desa[kc] * ny + ky
    at_out += np.bincount(cell[at], minlength=n_desa * ny).reshape(shape)
    new_out += np.bincount(cell[new], minlength=n_desa * ny).reshape(shape)
    return at_out, new_out


def accumulate(prov: Province, ch: Chunk, v: Visits, out: NewCases) -> None:
    """Add one chunk's new cases (observed and latent) to ``out``."""
    shape = out.counts.shape[1:]
    desa = ch.desa
    under5 = (v.age >= 0) & (v.age < DAYS_0_59_MONTHS) & ~v.duplicate
    rows = np.nonzero(under5 & (v.day >= 0))[0]
    z = written_haz(ch, v, rows)
    ok = np.isfinite(z) & (np.abs(z) <= HAZ_FLAG)
    rows, z = rows[ok], z[ok]
    at, new = _count(v.child[rows], v.day[rows], v.month[rows] // 12, z, desa, shape)
    out.counts[0] += at
    out.counts[1] += new
    rows = np.nonzero(under5)[0]
    at, new = _count(
        v.child[rows],
        v.true_day[rows],
        v.month[rows] // 12,
        v.haz_latent[rows].astype(np.float64),
        desa,
        shape,
    )
    out.counts[2] += at
    out.counts[3] += new


def write(out_dir: Path, cfg: SynthConfig, prov: Province, nc: NewCases) -> Path:
    """truth/new_cases.csv: per level (province, kabkota, desa), region and year."""
    c = nc.counts
    kab = prov.desa_kab
    nk = len(prov.kab_codes)
    by_kab = np.stack(
        [np.stack([c[i][kab == k].sum(axis=0) for k in range(nk)]) for i in range(4)]
    )
    parts = [
        ("province", [cfg.province], c.sum(axis=1, keepdims=True)),
        ("kabkota", list(prov.kab_codes), by_kab),
        ("desa", list(prov.desa_codes), c),
    ]
    rows: list[dict[str, object]] = []
    for level, codes, arr in parts:
        for r, code in enumerate(codes):
            for y, year in enumerate(cfg.years):
                at, new, at_l, new_l = (int(arr[i, r, y]) for i in range(4))
                rows.append(
                    {
                        "level": level,
                        "region_code": code,
                        "year": year,
                        "at_risk": at,
                        "new_cases": new,
                        "incidence_pct": f"{100.0 * new / at:.3f}" if at else "",
                        "at_risk_latent": at_l,
                        "new_cases_latent": new_l,
                        "incidence_latent_pct": (
                            f"{100.0 * new_l / at_l:.3f}" if at_l else ""
                        ),
                    }
                )
    path = out_dir / "truth" / FILE_NAME
    pd.DataFrame(rows).to_csv(path, index=False, lineterminator="\n")
    return path


__all__ = ["FILE_NAME", "NewCases", "accumulate", "write"]
