"""Invented intervention records for a register already in the database (issue 7, item 7).

The synthetic province decides most interventions itself, before the children's outcomes,
with effects on them, and writes them as an import file (``tumbuh.synth.interventions``,
``interventions.csv``; ``tumbuh demo`` imports it). This module serves what is left: `tumbuh
interventions synthetic` on any register, and in the demo the catalogue kinds the generator
does not decide (adolescent girls, catin, wasted children: `exclude` the others). Records
drawn here are made after the fact and have NO effect on anyone's outcomes.

Coverage varies by sector and by desa: for each catalogue kind and desa the probability that
an eligible unit got the kind is ``logistic(logit(sector base) + desa effect + kind x desa
noise)``. Sector bases are illustrative (health services reach more of their targets than
water/sanitation works do), not estimates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert
from sqlalchemy.orm import Session

from tumbuh.interventions import service
from tumbuh.interventions.groups import Period, Register, is_family_group, load_register
from tumbuh.interventions.models import Intervention, InterventionKind

# Share of eligible units reached, by sector (illustrative defaults; override per call).
SECTOR_BASE: dict[str, float] = {
    "Dinkes": 0.75,
    "DPPKB": 0.55,
    "Kemenag": 0.6,
    "BPJS": 0.6,
    "Dinsos": 0.45,
    "PUPR/Perkim": 0.3,
}
OTHER_SECTOR_BASE = 0.5
DESA_SD = 0.8  # spread of desa effects on the logit scale
KIND_DESA_SD = 0.4  # spread of kind-by-desa effects on the logit scale
VERIFIED_SHARE = 0.3  # of the given records, share already verified
PLANNED_SHARE = 0.1  # of the eligible units not reached, share with a planned record


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def synthetic_records(
    register: Register,
    kinds: list[InterventionKind],
    *,
    seed: int,
    sector_base: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Records for the units of `register`, in the import layout plus ids.

    Columns: ``kind_code, person_id, family_id, nik, no_kk, desa_code, given_on, status,
    sector, unit``. Deterministic for a given register, catalogue and seed.
    """
    rng = np.random.default_rng(seed)
    bases = {**SECTOR_BASE, **(sector_base or {})}
    period = register.period
    days = (period.end - period.start).days + 1
    desas = sorted(
        set(register.persons["desa_code"].dropna())
        | set(register.families["desa_code"].dropna())
    )
    desa_index = {d: i for i, d in enumerate(desas)}
    desa_effect = rng.normal(0.0, DESA_SD, len(desas))
    nik = register.persons.set_index("person_id")["nik"]
    kk = register.families.set_index("family_id")["no_kk"]
    parts: list[pd.DataFrame] = []
    for k in kinds:
        members = register.members(k.target_group)
        family = is_family_group(k.target_group)
        ids = (members["family_id"] if family else members["person_id"]).astype("int64")
        units = (
            pd.DataFrame(
                {"id": ids.to_numpy(), "desa_code": members["desa_code"].to_numpy()}
            )
            .drop_duplicates("id")
            .sort_values("id", kind="stable", ignore_index=True)
        )
        kind_desa = rng.normal(0.0, KIND_DESA_SD, len(desas))
        n = len(units)
        if n == 0:
            continue
        di = np.array(
            [desa_index.get(d, -1) for d in units["desa_code"]], dtype=np.int64
        )
        eff = np.where(di >= 0, desa_effect[di] + kind_desa[di], 0.0)
        base = _logit(bases.get(k.sector, OTHER_SECTOR_BASE))
        p = 1.0 / (1.0 + np.exp(-(base + eff)))
        u = rng.random(n)
        given = u < p
        planned = ~given & (rng.random(n) < PLANNED_SHARE)
        status = np.where(
            given,
            np.where(rng.random(n) < VERIFIED_SHARE, "verified", "given"),
            "planned",
        )
        offset = rng.integers(0, days, n)
        keep = given | planned
        sel = units.loc[keep]
        uid = sel["id"].to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "kind_code": k.code,
                    "person_id": pd.array(
                        [None] * len(sel) if family else uid, dtype="Int64"
                    ),
                    "family_id": pd.array(
                        uid if family else [None] * len(sel), dtype="Int64"
                    ),
                    "nik": None if family else pd.Series(uid).map(nik).to_numpy(),
                    "no_kk": pd.Series(uid).map(kk).to_numpy() if family else None,
                    "desa_code": sel["desa_code"].to_numpy(),
                    "given_on": [
                        period.start + dt.timedelta(days=int(d)) for d in offset[keep]
                    ],
                    "status": status[keep],
                    "sector": k.sector,
                    "unit": None,
                }
            )
        )
    cols = [
        "kind_code",
        "person_id",
        "family_id",
        "nik",
        "no_kk",
        "desa_code",
        "given_on",
        "status",
        "sector",
        "unit",
    ]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    return pd.concat(parts, ignore_index=True)[cols]


def import_layout(records: pd.DataFrame) -> pd.DataFrame:
    """The records as an import file (``tumbuh import interventions``) would have them."""
    return pd.DataFrame(
        {
            "Kode Intervensi": records["kind_code"],
            "NIK": records["nik"],
            "No KK": records["no_kk"],
            "Tanggal": [d.isoformat() for d in records["given_on"]],
            "Status": records["status"],
            "Sektor": records["sector"],
        }
    )


def record_synthetic(
    session: Session,
    *,
    period: Period,
    seed: int,
    region: str | None = None,
    sector_base: dict[str, float] | None = None,
    exclude: Collection[str] = (),
) -> int:
    """Generate and insert synthetic records for the register in the database; returns count.

    Kinds whose code is in `exclude` get none. Records already present (same kind, subject
    and date) are left as they are.
    """
    kinds = [
        k
        for k in service.list_kinds(session, active_only=True)
        if k.code not in exclude
    ]
    reg = load_register(session, region=region, period=period)
    recs = synthetic_records(reg, kinds, seed=seed, sector_base=sector_base)
    rows: list[dict[str, Any]] = []
    keys: set[str] = set()
    for r in recs.to_dict(orient="records"):
        pid = None if pd.isna(r["person_id"]) else int(r["person_id"])
        fid = None if pd.isna(r["family_id"]) else int(r["family_id"])
        key = service.record_key(str(r["kind_code"]), pid, fid, r["given_on"])
        if key in keys:
            continue
        keys.add(key)
        rows.append(
            {
                "kind_code": r["kind_code"],
                "person_id": pid,
                "family_id": fid,
                "desa_code": r["desa_code"],
                "given_on": r["given_on"],
                "status": str(r["status"]),
                "sector": r["sector"],
                "record_key": key,
                "source_file": f"synthetic:seed={seed}",
            }
        )
    existing = set(
        service.existing_record_keys(session, sorted(keys)) if keys else set()
    )
    rows = [r for r in rows if r["record_key"] not in existing]
    for start in range(0, len(rows), 20_000):
        session.execute(insert(Intervention), rows[start : start + 20_000])
    session.flush()
    return len(rows)
