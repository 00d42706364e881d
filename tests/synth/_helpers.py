"""Read the synthetic e-PPGBM exports back the way a user's spreadsheet tool would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")


def parse_dates(text: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        missing = out.isna()
        out[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    return out


def read_eppgbm(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    semicolon = raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(
        path,
        sep=";" if semicolon else ",",
        skiprows=1,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    for col in ("Berat", "Tinggi"):
        frame[col] = pd.to_numeric(
            frame[col].str.replace(",", ".", regex=False), errors="coerce"
        )
    frame["_born"] = parse_dates(frame["Tgl Lahir"])
    frame["_measured"] = parse_dates(frame["Tanggal Pengukuran"])
    frame["_file"] = path.name
    return frame


def read_all_eppgbm(out_dir: Path) -> pd.DataFrame:
    return pd.concat(
        [read_eppgbm(p) for p in sorted((out_dir / "eppgbm").rglob("*.csv"))],
        ignore_index=True,
    )


def score(frame: pd.DataFrame) -> pd.DataFrame:
    from tumbuh.growth import zscores

    age = (frame["_measured"] - frame["_born"]).dt.days.to_numpy(dtype=np.float64)
    z = zscores(
        sex=np.where(frame["JK"] == "L", 1, 2),
        age_days=age,
        weight_kg=frame["Berat"].to_numpy(dtype=np.float64),
        lenhei_cm=frame["Tinggi"].to_numpy(dtype=np.float64),
        measure=np.where(frame["Cara Ukur"] == "Berdiri", "h", "l"),
        validate="row",
    )
    return pd.DataFrame(
        {
            "zlen": z.zlen,
            "zwei": z.zwei,
            "zwfl": z.zwfl,
            "flen": z.flen,
            "fwei": z.fwei,
            "fwfl": z.fwfl,
        }
    )
