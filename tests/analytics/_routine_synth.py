"""Shared by the routine/quality tests: a synthetic province (Parquet) scored by tumbuh.growth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from tumbuh.growth import zscores
from tumbuh.synth.service import SynthConfig, synthesize


def scored_visits(
    out_dir: Path, *, children: int, seed: int, years: tuple[int, int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(measurements frame with register column names + truth columns, truth posyandu table)."""
    synthesize(
        SynthConfig(
            children=children, first_year=years[0], last_year=years[1], seed=seed
        ),
        out_dir,
        fmt="parquet",
    )
    v = pq.read_table(out_dir / "visits").to_pandas()
    pos = pd.read_csv(
        out_dir / "truth" / "posyandu.csv", dtype=str, keep_default_na=False
    )
    z = zscores(
        sex=v["sex"].to_numpy(),
        age_days=v["age_days"].to_numpy(),
        weight_kg=v["weight_kg"].to_numpy(dtype=np.float64),
        lenhei_cm=v["lenhei_cm"].to_numpy(dtype=np.float64),
        measure=v["measure"].to_numpy(),
        indicators=["len", "wei", "wfl"],
        validate="row",
    )
    frame = pd.DataFrame(
        {
            "child_id": v["child_id"].to_numpy(),
            "measured_on": pd.to_datetime(v["date"]),
            "age_days": v["age_days"].to_numpy(),
            "sex": np.where(v["sex"].to_numpy() == 1, "M", "F"),
            "desa_code": pos["kode_desa"].to_numpy()[v["posyandu"].to_numpy()],
            "posyandu_id": v["posyandu"].to_numpy(),
            "weight_kg": v["weight_kg"].to_numpy(dtype=np.float64).round(3),
            "lenhei_cm": v["lenhei_cm"].to_numpy(dtype=np.float64).round(1),
            "measure": v["measure"].to_numpy(),
            "zlen": z.zlen,
            "zwei": z.zwei,
            "zwfl": z.zwfl,
            "flen": z.flen == 1,
            "fwei": z.fwei == 1,
            "fwfl": z.fwfl == 1,
            "haz_latent": v["haz_latent"].to_numpy(dtype=np.float64),
            "problems": v["problems"].to_numpy(),
        }
    )
    return frame, pos
