"""Coverage against targets, convergence of the package on families at risk, and gap lists.

Definitions (also in ``docs/interventions.md``):

- denominator: units (persons or families) of the kind's target group in the region, counted
  from the register as of the period end (:mod:`tumbuh.interventions.groups`); for JKN PBI,
  PKH and food aid (``WELFARE_KINDS``) the families eligible by welfare decile, as the
  indicator engine counts them (one number for ``tumbuh coverage`` and ``tumbuh indicators``);
- numerator: units of the denominator with at least one ``given`` or ``verified`` record of the
  kind dated in the period (``planned`` records do not count);
- a family at risk (KRS) must receive every active kind whose ``in_package_for`` names a group
  the family or one of its members is in: family kinds once for the family, person kinds once
  for each member in one of those groups. It has the full package when nothing is missing.
  JKN PBI, PKH and food aid (``WELFARE_KINDS``) are required only of a family eligible by
  welfare decile (``welfare_eligible``, the indicator engine's rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput
from tumbuh.interventions import repository as repo
from tumbuh.interventions.groups import (
    WELFARE_ELIGIBLE_MAX_DECILE,
    WELFARE_KINDS,
    Period,
    Register,
    is_family_group,
    load_register,
    welfare_eligible,
)
from tumbuh.interventions.models import InterventionKind


@dataclass(frozen=True)
class CoverageRow:
    code: str
    name_id: str
    name_en: str
    kind: str
    sector: str
    target_group: str
    indicator: str
    numerator: int
    denominator: int
    coverage_pct: float | None  # None when the denominator is 0
    target_pct: float | None  # None when no source gives a target (NOT FOUND)
    target_year: int | None
    gap_pts: float | None  # target - coverage (positive = behind)
    met: bool | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SectorRow:
    sector: str
    indicators: int
    with_target: int
    below_target: int
    mean_gap_pts: (
        float | None
    )  # mean shortfall over indicators with a target and a denominator

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CoverageResult:
    region: str | None
    period: Period
    rows: list[CoverageRow]
    sectors: list[SectorRow]

    def row(self, code: str) -> CoverageRow:
        return next(r for r in self.rows if r.code == code)

    @property
    def behind(self) -> str | None:
        """The sector furthest below its targets, if any is below."""
        worst = [
            s for s in self.sectors if s.mean_gap_pts is not None and s.mean_gap_pts > 0
        ]
        return worst[0].sector if worst else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "period": {
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "indicators": [r.to_dict() for r in self.rows],
            "sectors": [s.to_dict() for s in self.sectors],
            "sector_behind": self.behind,
        }


def _records(session: Session, reg: Register, region: str | None) -> pd.DataFrame:
    return repo.given_records(
        session, start=reg.period.start, end=reg.period.end, region=region
    )


def _reached(
    reg: Register, recs: pd.DataFrame, kind: InterventionKind, welfare_max_decile: int
) -> pd.DataFrame:
    """The units of the kind's target group (``unit``, ``desa_code``) and ``reached``: a
    given/verified record of the kind in the period. Welfare kinds count the families
    eligible by welfare decile, whatever their risk."""
    mine = recs.loc[recs["code"] == kind.code]
    if kind.code in WELFARE_KINDS:
        fams = reg.families
        members = fams.loc[welfare_eligible(fams["welfare_decile"], welfare_max_decile)]
        col = "family_id"
    else:
        members = reg.members(kind.target_group)
        col = "family_id" if is_family_group(kind.target_group) else "person_id"
    units = pd.DataFrame(
        {
            "unit": members[col].astype("int64").to_numpy(),
            "desa_code": members["desa_code"].to_numpy(),
        }
    ).drop_duplicates("unit")
    got = set(pd.to_numeric(mine[col]).dropna().astype("int64"))
    units["reached"] = units["unit"].isin(got)
    return units


AREA_LEVELS = {"province": 1, "kabkota": 2, "kecamatan": 3, "desa": 4}


def coverage_by_area(
    session: Session,
    *,
    kinds: list[InterventionKind],
    region: str | None,
    period: Period,
    level: str,
    register: Register | None = None,
    welfare_max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE,
) -> pd.DataFrame:
    """Coverage of each kind per area of `region` at `level` (kabkota, kecamatan, desa).

    One row per (area, kind) with at least one unit in the denominator. Units without a
    desa are under area code ``""``, so the areas add up to the region.
    """
    if level not in AREA_LEVELS:
        raise InvalidInput(
            f"level must be one of {', '.join(AREA_LEVELS)}, not {level!r}"
        )
    parts = AREA_LEVELS[level]
    reg = register or load_register(session, region=region, period=period)
    recs = _records(session, reg, region)
    frames: list[pd.DataFrame] = []
    for k in kinds:
        reached = _reached(reg, recs, k, welfare_max_decile)
        if reached.empty:
            continue
        area = reached["desa_code"].map(
            lambda c: ".".join(str(c).split(".")[:parts]) if isinstance(c, str) else ""
        )
        g = reached.assign(area_code=area).groupby("area_code")["reached"]
        f = pd.DataFrame({"numerator": g.sum(), "denominator": g.size()}).reset_index()
        f["code"] = k.code
        f["sector"] = k.sector
        f["target_pct"] = k.target_pct
        frames.append(f)
    cols = [
        "area_code",
        "area_name",
        "code",
        "sector",
        "numerator",
        "denominator",
        "coverage_pct",
        "target_pct",
        "gap_pts",
    ]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.concat(frames, ignore_index=True)
    out["numerator"] = out["numerator"].astype("int64")
    out["denominator"] = out["denominator"].astype("int64")
    out["coverage_pct"] = (100.0 * out["numerator"] / out["denominator"]).round(2)
    out["gap_pts"] = (out["target_pct"] - out["coverage_pct"]).round(2)
    names = repo.region_names(session, sorted(set(out["area_code"]) - {""}))
    out["area_name"] = out["area_code"].map(names).fillna("")
    return out.sort_values(["area_code", "code"]).reset_index(drop=True)[cols]


def coverage(
    session: Session,
    *,
    kinds: list[InterventionKind],
    region: str | None,
    period: Period,
    register: Register | None = None,
    welfare_max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE,
) -> CoverageResult:
    """Coverage of every kind in `kinds` for `region` over `period`."""
    reg = register or load_register(session, region=region, period=period)
    recs = _records(session, reg, region)
    rows: list[CoverageRow] = []
    for k in kinds:
        reached = _reached(reg, recs, k, welfare_max_decile)
        units = set(reached["unit"])
        got = set(reached.loc[reached["reached"], "unit"])
        den = len(units)
        num = len(units & got)
        pct = round(100.0 * num / den, 2) if den else None
        gap = (
            round(k.target_pct - pct, 2)
            if pct is not None and k.target_pct is not None
            else None
        )
        rows.append(
            CoverageRow(
                code=k.code,
                name_id=k.name_id,
                name_en=k.name_en,
                kind=k.kind,
                sector=k.sector,
                target_group=k.target_group,
                indicator=k.indicator,
                numerator=num,
                denominator=den,
                coverage_pct=pct,
                target_pct=k.target_pct,
                target_year=k.target_year,
                gap_pts=gap,
                met=None if gap is None else gap <= 0,
            )
        )
    return CoverageResult(
        region=region, period=period, rows=rows, sectors=_sectors(rows)
    )


def _sectors(rows: list[CoverageRow]) -> list[SectorRow]:
    out: list[SectorRow] = []
    for sector in sorted({r.sector for r in rows}):
        mine = [r for r in rows if r.sector == sector]
        gaps = [r.gap_pts for r in mine if r.gap_pts is not None]
        out.append(
            SectorRow(
                sector=sector,
                indicators=len(mine),
                with_target=sum(r.target_pct is not None for r in mine),
                below_target=sum(r.met is False for r in mine),
                mean_gap_pts=round(sum(gaps) / len(gaps), 2) if gaps else None,
            )
        )
    # Furthest behind first; sectors without a measurable target last.
    out.sort(key=lambda s: (s.mean_gap_pts is None, -(s.mean_gap_pts or 0.0), s.sector))
    return out


# ------------------------------------------------------------------------ convergence

GAP_COLUMNS = (
    "desa_code",
    "desa_name",
    "family_id",
    "no_kk",
    "head_name",
    "code",
    "name_id",
    "name_en",
    "sector",
    "person_id",
    "person_name",
    "nik",
    "target_group",
)


@dataclass
class ConvergenceResult:
    region: str | None
    period: Period
    required: pd.DataFrame  # family_id, person_id (NaN for family kinds), code, group
    missing: pd.DataFrame  # the gap list, GAP_COLUMNS, sorted by sector, desa, family
    by_desa: (
        pd.DataFrame
    )  # desa_code, desa_name, krs_families, full_package, full_package_pct
    families: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # one row per KRS family

    @property
    def krs_families(self) -> int:
        return int(self.by_desa["krs_families"].sum()) if len(self.by_desa) else 0

    @property
    def full_package(self) -> int:
        return int(self.by_desa["full_package"].sum()) if len(self.by_desa) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "period": {
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "krs_families": self.krs_families,
            "full_package": self.full_package,
            "by_desa": self.by_desa.to_dict(orient="records"),
            "gaps_by_sector": self.missing.groupby("sector")
            .size()
            .astype(int)
            .to_dict()
            if len(self.missing)
            else {},
        }


def convergence(
    session: Session,
    *,
    kinds: list[InterventionKind],
    region: str | None,
    period: Period,
    register: Register | None = None,
    welfare_max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE,
) -> ConvergenceResult:
    """For each family at risk: the package it should get, what is missing, per desa shares."""
    reg = register or load_register(session, region=region, period=period)
    recs = _records(session, reg, region)
    fg = reg.family_groups
    krs = fg.loc[
        fg["group"] == "krs_family", ["family_id", "desa_code"]
    ].drop_duplicates("family_id")
    krs_ids = set(krs["family_id"].astype("int64"))
    fams = reg.families
    eligible = welfare_eligible(fams["welfare_decile"], welfare_max_decile)
    welfare_ids = set(fams.loc[eligible, "family_id"].astype("int64"))
    rules = [
        (k.code, g, is_family_group(k.target_group))
        for k in kinds
        for g in (k.in_package_for or [])
    ]
    req_parts: list[pd.DataFrame] = []
    for code, group, family_kind in rules:
        if is_family_group(group):
            fam = fg.loc[(fg["group"] == group) & fg["family_id"].isin(krs_ids)]
            if family_kind:
                req_parts.append(
                    fam[["family_id"]].assign(person_id=np.nan, code=code, group=group)
                )
            else:
                continue  # a person kind cannot be required of a family group as a whole
        else:
            pg = reg.person_groups
            mem = pg.loc[(pg["group"] == group) & pg["family_id"].isin(krs_ids)]
            if family_kind:
                req_parts.append(
                    mem[["family_id"]].assign(person_id=np.nan, code=code, group=group)
                )
            else:
                req_parts.append(
                    mem[["family_id", "person_id"]].assign(code=code, group=group)
                )
    cols = ["family_id", "person_id", "code", "group"]
    required = (
        pd.concat(req_parts, ignore_index=True)[cols]
        if req_parts
        else pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    )
    required["family_id"] = required["family_id"].astype("int64")
    required["person_id"] = pd.to_numeric(required["person_id"]).astype("Int64")
    required = required.drop_duplicates(["family_id", "person_id", "code"])
    entitled = ~required["code"].isin(WELFARE_KINDS) | required["family_id"].isin(
        welfare_ids
    )
    required = required.loc[entitled.to_numpy(dtype=bool)].reset_index(drop=True)

    got_person = set(
        zip(
            recs["code"],
            pd.to_numeric(recs["person_id"]).astype("Int64"),
            strict=True,
        )
    )
    got_family = set(
        zip(recs["code"], pd.to_numeric(recs["family_id"]).astype("Int64"), strict=True)
    )
    is_person = required["person_id"].notna()
    received = [
        ((c, p) in got_person) if person else ((c, f) in got_family)
        for c, p, f, person in zip(
            required["code"],
            required["person_id"],
            required["family_id"],
            is_person,
            strict=True,
        )
    ]
    required["received"] = pd.Series(received, index=required.index, dtype=bool)
    missing = required.loc[~required["received"]]

    families = _family_table(session, reg, krs, required)
    by_desa = _by_desa(session, families)
    gap = _gap_list(reg, kinds, missing, families)
    return ConvergenceResult(
        region=region,
        period=reg.period,
        required=required,
        missing=gap,
        by_desa=by_desa,
        families=families,
    )


def _family_table(
    session: Session, reg: Register, krs: pd.DataFrame, required: pd.DataFrame
) -> pd.DataFrame:
    """One row per family at risk: desa, No KK, head, required and missing counts."""
    fam = krs.merge(reg.families[["family_id", "no_kk"]], on="family_id", how="left")
    n_req = required.groupby("family_id").size()
    n_miss = required.loc[~required["received"]].groupby("family_id").size()
    fam["required"] = fam["family_id"].map(n_req).fillna(0).astype("int64")
    fam["missing"] = fam["family_id"].map(n_miss).fillna(0).astype("int64")
    fam["full_package"] = fam["missing"] == 0
    fam["head_name"] = fam["family_id"].map(_heads(reg)).astype(object).fillna("")
    names = repo.region_names(session, sorted(set(fam["desa_code"].dropna())))
    fam["desa_name"] = fam["desa_code"].map(names).fillna("")
    return fam.reset_index(drop=True)


def _heads(reg: Register) -> pd.Series:
    """Name of each family's head (kepala), by family id."""
    people = reg.persons
    role = people["family_role"].astype(str).str.lower()
    heads = people.loc[role.isin(["kepala", "head"])].drop_duplicates("family_id")
    return heads.set_index("family_id")["name"]


def _by_desa(session: Session, families: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "desa_code",
        "desa_name",
        "krs_families",
        "full_package",
        "full_package_pct",
    ]
    if families.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    f = families.assign(desa_code=families["desa_code"].fillna(""))
    g = f.groupby("desa_code").agg(
        krs_families=("family_id", "size"), full_package=("full_package", "sum")
    )
    g = g.reset_index()
    names = repo.region_names(session, [c for c in g["desa_code"] if c])
    g["desa_name"] = g["desa_code"].map(names).fillna("")
    g["krs_families"] = g["krs_families"].astype("int64")
    g["full_package"] = g["full_package"].astype("int64")
    g["full_package_pct"] = (100.0 * g["full_package"] / g["krs_families"]).round(2)
    return g[cols]


def _gap_list(
    reg: Register,
    kinds: list[InterventionKind],
    missing: pd.DataFrame,
    families: pd.DataFrame,
) -> pd.DataFrame:
    if missing.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in GAP_COLUMNS})
    cat = pd.DataFrame(
        [(k.code, k.name_id, k.name_en, k.sector) for k in kinds],
        columns=["code", "name_id", "name_en", "sector"],
    )
    out = missing.rename(columns={"group": "target_group"}).merge(
        cat, on="code", how="left"
    )
    fam_cols = ["family_id", "no_kk", "desa_code", "desa_name", "head_name"]
    out = out.merge(families[fam_cols], on="family_id", how="left")
    names = reg.persons.set_index("person_id")
    pid = out["person_id"]
    out["person_name"] = pid.map(names["name"]).where(pid.notna(), "")
    out["nik"] = pid.map(names["nik"]).where(pid.notna(), "")
    out = out.sort_values(["sector", "desa_code", "no_kk", "code"], na_position="last")
    return out[list(GAP_COLUMNS)].reset_index(drop=True)
