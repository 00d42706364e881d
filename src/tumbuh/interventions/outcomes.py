"""New cases of stunting by intervention package status, per kab/kota (OBSERVATIONAL).

For each child whose whole pregnancy and MP-ASI age lie inside the period covered by the
intervention records, the *effective package* is what the trials read for the synthetic
province (docs/synthetic.md, "Interventions") found to change birth weight or growth:

- iron tablets in pregnancy: a given/verified ``ttd_hamil`` record of the mother (the
  ``istri`` of the child's family) dated in the pregnancy (birth - 280 days to birth);
- extra food for a KEK pregnancy: a ``pmt_bumil_kek`` record in the pregnancy, needed only
  when a ``hamil`` screening in the pregnancy measured LiLA below the KEK cut-off;
- complementary feeding: a given/verified ``mpasi`` record of the child.

The child has the *full* package when nothing it needed is missing. New cases are counted
with tumbuh's routine rule (``tumbuh.analytics.routine.new_cases``: first measurement not
stunted, onset in the year) separately for the two groups, and compared as a risk ratio with
a 95 % interval on the log scale (children counted once per year).

This is a comparison of groups that chose or were reached differently, not a trial: families
who miss one service often miss others and differ in wealth, so the ratio mixes the effect
of the package with everything that goes with missing it. Read it as "where the gaps are and
how the children in them fare", not as the effect of an intervention.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import polars as pl
from sqlalchemy.orm import Session

from tumbuh.analytics import routine
from tumbuh.errors import InvalidInput
from tumbuh.interventions import repository as repo
from tumbuh.risk.config import SignalRules

GESTATION_DAYS = 280  # Naegele's rule, as register/models.py Pregnancy.due_date
MPASI_FROM_DAYS = 183  # complementary feeding from 6 months


@dataclass(frozen=True)
class PackageRow:
    region_code: str
    region_name: str
    year: int
    children_full: int
    children_missing: int
    at_risk_full: int
    new_cases_full: int
    at_risk_missing: int
    new_cases_missing: int
    rate_full_pct: float | None
    rate_missing_pct: float | None
    rr: float | None  # missing / full
    rr_ci_low: float | None
    rr_ci_high: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def package_status(session: Session, *, region: str | None = None) -> pd.DataFrame:
    """One row per child in scope: child_id, desa_code, ttd, kek, pmt, mpasi, full."""
    people = repo.persons(session, region=region)
    recs = repo.given_records(
        session, start=dt.date(1900, 1, 1), end=dt.date(2999, 12, 31), region=region
    )
    cols = ["child_id", "desa_code", "ttd", "kek", "pmt", "mpasi", "full"]
    if recs.empty or people.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    recs["given_on"] = pd.to_datetime(recs["given_on"])
    first, last = recs["given_on"].min(), recs["given_on"].max()
    birth = pd.to_datetime(people["birth_date"], errors="coerce")
    kids = people.loc[(people["family_role"] == "anak") & birth.notna()].copy()
    kids["birth"] = birth[kids.index]
    kids["lmp"] = kids["birth"] - pd.Timedelta(days=GESTATION_DAYS)
    kids = kids.loc[
        (kids["lmp"] >= first)
        & (kids["birth"] + pd.Timedelta(days=MPASI_FROM_DAYS) <= last)
    ]
    mothers = (
        people.loc[people["family_role"] == "istri", ["family_id", "person_id"]]
        .dropna()
        .drop_duplicates("family_id")
        .rename(columns={"person_id": "mother_id"})
    )
    kids = kids.merge(mothers, on="family_id", how="left")

    def in_pregnancy(events: pd.DataFrame, on: str) -> pd.Series:
        """Children with a mother's event dated in their pregnancy."""
        m = kids[["person_id", "mother_id", "lmp", "birth"]].merge(
            events, left_on="mother_id", right_on="person_id", suffixes=("", "_e")
        )
        hit = m.loc[(m[on] >= m["lmp"]) & (m[on] <= m["birth"]), "person_id"]
        out: pd.Series = kids["person_id"].isin(hit)
        return out

    person_recs = recs.loc[recs["person_id"].notna()].assign(
        person_id=lambda d: d["person_id"].astype("int64")
    )
    ttd = person_recs.loc[person_recs["code"] == "ttd_hamil", ["person_id", "given_on"]]
    pmt = person_recs.loc[
        person_recs["code"] == "pmt_bumil_kek", ["person_id", "given_on"]
    ]
    mother_ids = [int(x) for x in kids["mother_id"].dropna().unique()]
    end = last.date()
    hamil = repo.screenings(session, person_ids=mother_ids, kind="hamil", end=end)
    hamil = hamil.assign(
        screened_on=pd.to_datetime(hamil["screened_on"]),
        person_id=hamil["person_id"].astype("int64"),
    )
    thin = hamil.loc[
        pd.to_numeric(hamil["muac_cm"], errors="coerce")
        < SignalRules().kek_lila_under_cm,
        ["person_id", "screened_on"],
    ]
    mpasi = set(person_recs.loc[person_recs["code"] == "mpasi", "person_id"])
    out = pd.DataFrame(
        {
            "child_id": kids["person_id"].astype("int64").to_numpy(),
            "desa_code": kids["desa_code"].to_numpy(),
            "ttd": in_pregnancy(ttd, "given_on").to_numpy(),
            "kek": in_pregnancy(thin, "screened_on").to_numpy(),
            "pmt": in_pregnancy(pmt, "given_on").to_numpy(),
            "mpasi": kids["person_id"].isin(mpasi).to_numpy(),
        }
    )
    out["full"] = out["ttd"] & (out["pmt"] | ~out["kek"]) & out["mpasi"]
    return out[cols]


def risk_ratio(
    a: int, n1: int, c: int, n2: int
) -> tuple[float | None, float | None, float | None]:
    """(a/n1)/(c/n2) with its 95 % interval (log scale); None where a count is 0."""
    if min(a, c, n1, n2) == 0:
        return None, None, None
    rr = (a / n1) / (c / n2)
    se = math.sqrt(1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2)
    return rr, rr * math.exp(-routine.Z95 * se), rr * math.exp(routine.Z95 * se)


def new_cases_by_package(
    session: Session, *, region: str | None = None, year: int | None = None
) -> list[PackageRow]:
    """New-case rate of children with the full effective package against those missing part
    of it, per kab/kota and for the province, per year (or the one `year`)."""
    status = package_status(session, region=region)
    if status.empty:
        raise InvalidInput(
            "no child has its pregnancy and MP-ASI age inside the period of the "
            "intervention records (import intervention records first)",
            key="error.outcomes.no_package",
        )
    meas = repo.measurements(session, person_ids=status["child_id"].tolist())
    if meas.empty:
        raise InvalidInput(
            "the children in scope have no measurements",
            key="error.outcomes.no_measurements",
        )
    meas["measured_on"] = pd.to_datetime(meas["measured_on"])
    full = set(status.loc[status["full"], "child_id"])
    parts: dict[bool, pl.DataFrame] = {}
    for is_full in (True, False):
        m = meas.loc[meas["child_id"].isin(full) == is_full]
        parts[is_full] = routine.new_cases(
            m,
            freq="year",
            levels=("province", "kabkota"),
            period=None if year is None else str(year),
        )
    keys = ["level", "code", "period"]
    a = parts[True].select([*keys, "at_risk", "new_cases"]).to_pandas()
    b = parts[False].select([*keys, "at_risk", "new_cases"]).to_pandas()
    both = a.merge(b, on=keys, how="outer", suffixes=("_full", "_missing")).fillna(0)
    kab = status["desa_code"].astype(str).str[:5]
    n_full = status.loc[status["full"]].groupby(kab).size()
    n_missing = status.loc[~status["full"]].groupby(kab).size()
    codes = sorted(set(both["code"]))
    names = repo.region_names(session, codes)
    rows: list[PackageRow] = []
    for rec in both.sort_values(["period", "code"]).to_dict("records"):
        code = str(rec["code"])
        af, nf = int(rec["at_risk_full"]), int(rec["new_cases_full"])
        am, nm = int(rec["at_risk_missing"]), int(rec["new_cases_missing"])
        rr, lo, hi = risk_ratio(nm, am, nf, af)
        if len(code) == 5:
            cf, cm = int(n_full.get(code, 0)), int(n_missing.get(code, 0))
        else:
            cf, cm = int(n_full.sum()), int(n_missing.sum())
        rows.append(
            PackageRow(
                region_code=code,
                region_name=names.get(code, code),
                year=int(str(rec["period"])[:4]),
                children_full=cf,
                children_missing=cm,
                at_risk_full=af,
                new_cases_full=nf,
                at_risk_missing=am,
                new_cases_missing=nm,
                rate_full_pct=100.0 * nf / af if af else None,
                rate_missing_pct=100.0 * nm / am if am else None,
                rr=rr,
                rr_ci_low=lo,
                rr_ci_high=hi,
            )
        )
    return rows
