"""The risk model on the register: load the tables, train/evaluate, store scores.

Functions take a SQLAlchemy ``Session`` (keyword arguments after it) and flush, never commit:
the caller owns the transaction (``tumbuh.db.session.unit_of_work``).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.i18n import dumps
from tumbuh.register.models import Family, Measurement, Person, Pregnancy, Screening
from tumbuh.risk.config import KrsRules
from tumbuh.risk.model import (
    KRS_FACTORS,
    MODEL_VERSION,
    Evaluation,
    RegisterFrames,
    TrainedModel,
    evaluate,
    score,
    train,
)
from tumbuh.risk.models import RiskScore

__all__ = [
    "evaluate_register",
    "load_frames",
    "load_model",
    "save_model",
    "score_register",
    "train_register",
]


def _frame(session: Session, stmt: object) -> pd.DataFrame:
    result = session.execute(stmt)  # type: ignore[call-overload]
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def load_frames(session: Session) -> RegisterFrames:
    """The register tables the model needs, as pandas frames (whole register)."""
    families = _frame(
        session,
        select(
            Family.id.label("family_id"),
            Family.desa_code,
            Family.water_source,
            Family.latrine,
            Family.wife_pregnant,
            Family.wife_modern_contraception,
            Family.welfare_decile,
            Family.surveyed_on,
        ),
    )
    persons = _frame(
        session,
        select(
            Person.id.label("person_id"),
            Person.family_id,
            Person.family_role,
            Person.sex,
            Person.birth_date,
            Person.birth_weight_kg,
        ).where(Person.family_id.is_not(None)),
    )
    measurements = _frame(
        session,
        select(
            Measurement.person_id,
            Measurement.measured_on,
            Measurement.weight_kg,
            Measurement.zlen,
            Measurement.zwei,
            Measurement.flen,
            Measurement.fwei,
        ),
    )
    screenings = _frame(
        session,
        select(
            Screening.person_id,
            Screening.kind,
            Screening.screened_on,
            Screening.muac_cm,
            Screening.hb_g_dl,
            Pregnancy.due_date,
        ).outerjoin(Pregnancy, Screening.pregnancy_id == Pregnancy.id),
    )
    return RegisterFrames(families, persons, measurements, screenings)


def train_register(session: Session, *, rules: KrsRules | None = None) -> TrainedModel:
    """Train on every labelled year of the register (see :func:`tumbuh.risk.model.train`)."""
    return train(load_frames(session), rules=rules)


def evaluate_register(
    session: Session,
    *,
    year: int | None = None,
    rules: KrsRules | None = None,
    trend: bool = True,
) -> Evaluation:
    """Model against the KRS rule alone on a held-out year of the register."""
    return evaluate(load_frames(session), year=year, rules=rules, trend=trend)


def score_register(
    session: Session, *, model: TrainedModel, year: int | None = None
) -> pd.DataFrame:
    """Score every family in the unit for ``year`` (default: the year after the last
    measurement) and store the scores (replacing that year's). Returns the scored table."""
    table = score(model, load_frames(session), year=year)
    if table.empty:
        return table
    year = int(table["year"].iloc[0])
    session.execute(delete(RiskScore).where(RiskScore.year == year))
    factors = np.full(len(table), "", dtype=object)
    for name in KRS_FACTORS:
        flag = table[name].to_numpy(dtype=bool)
        factors = np.where(
            flag, factors + np.where(factors == "", "", ";") + name, factors
        )
    desa = table["desa_code"].astype(object).where(table["desa_code"].notna(), None)
    rows = [
        {
            "family_id": fam,
            "year": year,
            "desa_code": d,
            "risk": risk,
            "krs": krs,
            "krs_factors": str(f),
            "reason_keys": keys,
            # The columns keep their names; new rows hold the reasons as messages (JSON
            # of catalogue keys and parameters, tumbuh.i18n.dumps) in *_id and nothing in
            # *_en. Rows scored before that hold sentences, and are read as they are.
            "reasons_id": dumps(reasons),
            "reasons_en": "",
            "signal_keys": skeys,
            "signals_id": dumps(sigs),
            "signals_en": "",
            "model_trained_at": model.trained_at,
        }
        for fam, d, risk, krs, f, keys, reasons, skeys, sigs in zip(
            table["family_id"].astype(int).tolist(),
            desa.tolist(),
            table["risk"].astype(float).tolist(),
            table["krs"].astype(bool).tolist(),
            factors.tolist(),
            table["reason_keys"].tolist(),
            table["reasons"].tolist(),
            table["signal_keys"].tolist(),
            table["signals"].tolist(),
            strict=True,
        )
    ]
    session.execute(insert(RiskScore), rows)
    session.flush()
    return table


def save_model(model: TrainedModel, path: Path) -> None:
    """Write the trained model (pickle: load only files you wrote yourself)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def load_model(path: Path) -> TrainedModel:
    """Read a model written by :func:`save_model`."""
    if not path.exists():
        raise NotFound(f"no trained model at {path}: run `tumbuh risk train` first")
    with path.open("rb") as fh:
        model = pickle.load(fh)  # our own file, written by save_model
    if not isinstance(model, TrainedModel):
        raise InvalidInput(f"{path} does not hold a tumbuh risk model")
    if getattr(model, "version", 0) != MODEL_VERSION:
        raise InvalidInput(
            f"{path} holds a risk model of version {getattr(model, 'version', '?')}; "
            f"this tumbuh reads version {MODEL_VERSION}: run `tumbuh risk train` again"
        )
    return model
