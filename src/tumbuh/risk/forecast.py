"""Forecast: expected new stunting cases next year per desa, kecamatan and kab/kota, from the
summed family risks, next to the current stock of stunted children.

Expected new cases = sum of the stored family risks (:class:`tumbuh.risk.models.RiskScore`)
for the year; its uncertainty is that of a sum of independent Bernoulli trials (variance
sum p(1-p)), shown as a 95 % normal interval. The current stock is the number of children
under 5 whose latest non-flagged length/height in the 12 months before the year was stunted
(zlen < -2), with the number of children measured, by the desa of the measurement.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.register.models import Measurement, Region
from tumbuh.risk.models import RiskScore

__all__ = ["LEVELS", "Level", "forecast"]

Level = Literal["desa", "kecamatan", "kabkota"]
LEVELS: dict[str, int] = {"kabkota": 2, "kecamatan": 3, "desa": 4}


def _parent(codes: pd.Series, parts: int) -> pd.Series:
    return codes.astype(str).str.split(".").str[:parts].str.join(".")


def forecast(
    session: Session,
    *,
    level: str = "desa",
    year: int | None = None,
    within: str | None = None,
) -> pd.DataFrame:
    """One row per region of ``level`` (``desa``, ``kecamatan``, ``kabkota``) with scores:
    ``code, name, families_scored, krs_families, expected_new_cases, expected_low,
    expected_high, current_stunted, current_measured, current_prevalence_pct``.
    ``within`` limits to the regions under a code (e.g. a kab/kota ``64.72``)."""
    if level not in LEVELS:
        raise InvalidInput(
            f"--level must be one of {', '.join(LEVELS)} (got {level!r})"
        )
    parts = LEVELS[level]
    if year is None:
        year = session.scalar(select(func.max(RiskScore.year)))
        if year is None:
            raise NotFound("no risk scores stored: run `tumbuh risk score` first")
    result = session.execute(
        select(RiskScore.desa_code, RiskScore.risk, RiskScore.krs).where(
            RiskScore.year == year
        )
    )
    scores = pd.DataFrame(result.all(), columns=["desa_code", "risk", "krs"])
    if scores.empty:
        raise NotFound(
            f"no risk scores for {year}: run `tumbuh risk score --year {year}`"
        )
    scores = scores.loc[scores["desa_code"].notna()]
    scores["code"] = _parent(scores["desa_code"], parts)
    scores["var"] = scores["risk"] * (1.0 - scores["risk"])
    g = scores.groupby("code")
    out = pd.DataFrame(
        {
            "families_scored": g.size(),
            "krs_families": g["krs"].sum().astype(int),
            "expected_new_cases": g["risk"].sum(),
            "_var": g["var"].sum(),
        }
    )

    ref = dt.date(int(year), 1, 1)
    start = ref - dt.timedelta(days=365)
    meas = session.execute(
        select(
            Measurement.person_id,
            Measurement.measured_on,
            Measurement.desa_code,
            Measurement.zlen,
        ).where(
            Measurement.measured_on >= start,
            Measurement.measured_on < ref,
            Measurement.zlen.is_not(None),
            (Measurement.flen.is_(None)) | (Measurement.flen.is_(False)),
            Measurement.age_days < 1826,
        )
    )
    m = pd.DataFrame(meas.all(), columns=["person_id", "date", "desa_code", "zlen"])
    if len(m):
        m = m.sort_values(["person_id", "date"]).groupby("person_id").tail(1)
        m = m.loc[m["desa_code"].notna()]
        m["code"] = _parent(m["desa_code"], parts)
        gm = m.groupby("code")
        out = out.join(
            pd.DataFrame(
                {
                    "current_stunted": gm["zlen"].apply(
                        lambda z: int((z < -2.0).sum())
                    ),
                    "current_measured": gm.size(),
                }
            ),
            how="outer",
        )
    else:
        out["current_stunted"] = 0
        out["current_measured"] = 0
    out = out.fillna(
        {
            "families_scored": 0,
            "krs_families": 0,
            "expected_new_cases": 0.0,
            "_var": 0.0,
            "current_stunted": 0,
            "current_measured": 0,
        }
    )
    if within:
        out = out.loc[
            out.index.str.startswith(within.rstrip(".") + ".") | (out.index == within)
        ]
    sd = np.sqrt(out["_var"].to_numpy(dtype=np.float64))
    exp = out["expected_new_cases"].to_numpy(dtype=np.float64)
    codes = list(out.index)
    names = dict(
        session.execute(
            select(Region.code, Region.name).where(Region.code.in_(codes))
        ).all()
    )
    measured = out["current_measured"].to_numpy(dtype=np.float64)
    stunted = out["current_stunted"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        prevalence = np.where(measured > 0, 100.0 * stunted / measured, np.nan)
    table = pd.DataFrame(
        {
            "code": codes,
            "name": [names.get(c, "") for c in codes],
            "year": int(year),
            "families_scored": out["families_scored"].astype(int).to_numpy(),
            "krs_families": out["krs_families"].astype(int).to_numpy(),
            "expected_new_cases": np.round(exp, 1),
            "expected_low": np.round(np.maximum(exp - 1.96 * sd, 0.0), 1),
            "expected_high": np.round(exp + 1.96 * sd, 1),
            "current_stunted": stunted.astype(int),
            "current_measured": measured.astype(int),
            "current_prevalence_pct": np.round(prevalence, 1),
        }
    )
    return table.sort_values(
        ["expected_new_cases", "code"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
