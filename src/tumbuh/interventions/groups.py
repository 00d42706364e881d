"""Target groups counted from the register at a reference date (the coverage denominators).

Each group is a rule over register rows, written here once and documented in
``docs/interventions.md``. The catalogue names groups by these codes; a new catalogue kind
may use any of them without a code change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput
from tumbuh.interventions import repository as repo
from tumbuh.risk.config import SignalRules
from tumbuh.risk.krs import classify_krs_frame, family_inputs

# Person groups (one unit = a person) and family groups (one unit = a family).
PERSON_GROUPS: tuple[str, ...] = (
    "adolescent_girl",
    "catin",
    "pregnant",
    "pregnant_kek",
    "postpartum",
    "infant_0_5",
    "child_6_23",
    "child_0_23",
    "child_0_59",
    "wasted_child",
    "severely_wasted_child",
)
FAMILY_GROUPS: tuple[str, ...] = (
    "family",
    "krs_family",
    "family_unimproved_water",
    "family_no_latrine",
)
GROUPS: tuple[str, ...] = PERSON_GROUPS + FAMILY_GROUPS

_DAYS_PER_MONTH = 30.4375  # WHO anthro: 365.25 / 12
# Naegele's rule (register/models.py Pregnancy.due_date): HPHT + 280 days.
_GESTATION_DAYS = 280
# Remaja putri TTD is given at school from grade 7 to 12 (about 12-18 years; facts.md §4b
# names grades 7 and 10 for Hb screening). Completed years, both ends inclusive.
ADOLESCENT_AGES = (12, 18)
# Permenkes 2/2020 (facts.md §4e): gizi kurang BB/TB < -2 SD, gizi buruk < -3 SD.
WASTED_Z = -2.0
SEVERELY_WASTED_Z = -3.0


# Kinds only a family eligible by welfare is entitled to (JKN PBI, PKH, food aid): a family at
# risk is not short of them unless its welfare decile is at or below the setting
# `welfare_eligible_max_decile` (tumbuh.config). NOT SOURCED: facts.md gives no eligibility
# decile; 1-4 is the usual "poor and vulnerable" band of DTKS/P3KE. One rule for the gap
# list and the indicator engine (tumbuh.reports.engine imports it).
WELFARE_KINDS: frozenset[str] = frozenset({"jkn_pbi", "pkh", "bansos_pangan"})
WELFARE_ELIGIBLE_MAX_DECILE = 4


def welfare_eligible(
    decile: pd.Series, max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE
) -> np.ndarray:
    """True where a family's welfare decile is known and at most `max_decile`."""
    d = pd.to_numeric(decile, errors="coerce").astype("float64")
    return (d <= max_decile).to_numpy(dtype=bool)


def is_family_group(group: str) -> bool:
    return group in FAMILY_GROUPS


@dataclass(frozen=True)
class Period:
    """Records dated in [start, end] count; the register is read as of `end`."""

    start: dt.date
    end: dt.date

    @classmethod
    def year(cls, year: int, *, as_of: dt.date | None = None) -> Period:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if as_of is not None and as_of < start:
            raise InvalidInput(f"year {year} has not started on {as_of}")
        if as_of is not None and as_of < end:
            end = as_of
        return cls(start, end)


@dataclass
class Register:
    """The register slice of a region at a reference date, with every unit's groups."""

    period: Period
    persons: (
        pd.DataFrame
    )  # person_id, nik, name, sex, birth_date, family_id, family_role, desa_code
    families: pd.DataFrame  # family_id, no_kk, desa_code, ... risk attributes
    person_groups: pd.DataFrame  # person_id, family_id, desa_code, group (long)
    family_groups: pd.DataFrame  # family_id, desa_code, group (long)

    def members(self, group: str) -> pd.DataFrame:
        if is_family_group(group):
            return self.family_groups.loc[self.family_groups["group"] == group]
        return self.person_groups.loc[self.person_groups["group"] == group]


def _int_ids(df: pd.DataFrame) -> pd.DataFrame:
    """Typed person ids (an empty result comes back as object columns)."""
    return df.assign(person_id=df["person_id"].astype("int64"))


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def load_register(session: Session, *, region: str | None, period: Period) -> Register:
    """Read the register of `region` and put every person and family in its groups."""
    end = pd.Timestamp(period.end)
    start = pd.Timestamp(period.start)
    people = repo.persons(session, region=region)
    fams = repo.families(session, region=region)
    pids = [int(p) for p in people["person_id"]]

    birth = _dates(people["birth_date"])
    age_days = (end - birth).dt.days.astype("float64")
    months = np.floor(age_days / _DAYS_PER_MONTH)
    years = (
        end.year
        - birth.dt.year
        - (
            (end.month < birth.dt.month)
            | ((end.month == birth.dt.month) & (end.day < birth.dt.day))
        ).astype("float64")
    )
    born = age_days >= 0
    female = people["sex"].astype(str).str.upper().isin(["F", "P"])

    flags: dict[str, pd.Series] = {
        "adolescent_girl": female
        & (years >= ADOLESCENT_AGES[0])
        & (years <= ADOLESCENT_AGES[1]),
        "infant_0_5": born & (months < 6),
        "child_6_23": (months >= 6) & (months < 24),
        "child_0_23": born & (months < 24),
        "child_0_59": born & (months < 60),
    }

    preg = _int_ids(repo.pregnancies(session, person_ids=pids))
    lmp = _dates(preg["lmp_date"])
    due = _dates(preg["due_date"]).fillna(lmp + pd.Timedelta(days=_GESTATION_DAYS))
    open_preg = preg.loc[(lmp <= end) & (due > end)].assign(lmp=lmp)
    pregnant_lmp = open_preg.groupby("person_id")["lmp"].max().astype("datetime64[ns]")
    flags["pregnant"] = people["person_id"].isin(pregnant_lmp.index)
    delivered = preg.loc[(due >= start) & (due <= end)]
    flags["postpartum"] = people["person_id"].isin(delivered["person_id"])

    hamil = _int_ids(
        repo.screenings(session, person_ids=pids, kind="hamil", end=period.end)
    )
    hamil = hamil.assign(on=_dates(hamil["screened_on"]))
    hamil = hamil.merge(
        pregnant_lmp.rename("lmp").reset_index(), on="person_id", how="inner"
    )
    hamil = hamil.loc[hamil["on"] >= hamil["lmp"]]
    hamil = hamil.loc[hamil["muac_cm"].notna()].sort_values(["person_id", "on"])
    last_muac = hamil.groupby("person_id")["muac_cm"].last().astype("float64")
    kek_cut = SignalRules().kek_lila_under_cm
    kek_ids = last_muac.index[last_muac.to_numpy() < kek_cut]
    flags["pregnant_kek"] = flags["pregnant"] & people["person_id"].isin(kek_ids)

    catin = repo.screenings(session, person_ids=pids, kind="catin", end=period.end)
    catin_on = _dates(catin["screened_on"])
    flags["catin"] = people["person_id"].isin(catin.loc[catin_on >= start, "person_id"])

    child_ids = [int(p) for p in people.loc[flags["child_0_59"], "person_id"]]
    meas = repo.latest_measurements(session, person_ids=child_ids, end=period.end)
    plausible = meas["fwfl"].map(lambda v: v is not True)
    z = pd.to_numeric(meas["zwfl"], errors="coerce").astype("float64")
    latest_z = pd.Series(
        np.where(plausible, z, np.nan), index=meas["person_id"].to_numpy()
    )
    zchild = people["person_id"].map(latest_z).astype("float64")
    flags["wasted_child"] = flags["child_0_59"] & (zchild < WASTED_Z)
    flags["severely_wasted_child"] = flags["child_0_59"] & (zchild < SEVERELY_WASTED_Z)

    parts = [
        people.loc[
            flags[g].fillna(False).to_numpy(dtype=bool),
            ["person_id", "family_id", "desa_code"],
        ].assign(group=g)
        for g in PERSON_GROUPS
    ]
    person_groups = pd.concat(parts, ignore_index=True)

    family_groups = _family_groups(session, fams, people, end)
    return Register(
        period=period,
        persons=people,
        families=fams,
        person_groups=person_groups,
        family_groups=family_groups,
    )


def _family_groups(
    session: Session, fams: pd.DataFrame, people: pd.DataFrame, end: pd.Timestamp
) -> pd.DataFrame:
    cols = ["family_id", "desa_code", "group"]
    if fams.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    members = people.loc[people["family_id"].notna()].copy()
    members["family_id"] = members["family_id"].astype("int64")
    # Ages for the KRS rule are taken at the reference date, not at the survey date:
    # coverage asks who is at risk now.
    fam_in = fams.drop(columns=["surveyed_on"])
    inputs = family_inputs(members, fam_in, as_of=end)
    result = classify_krs_frame(inputs)
    base = fams[["family_id", "desa_code"]].reset_index(drop=True)
    out = [
        base.assign(group="family"),
        base.loc[result.krs].assign(group="krs_family"),
        base.loc[result.factors["water"]].assign(group="family_unimproved_water"),
        base.loc[result.factors["latrine"]].assign(group="family_no_latrine"),
    ]
    return pd.concat(out, ignore_index=True)[cols]
