"""The register path: load_frames reads the tables the model needs; score_register stores
scores (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sqlalchemy import select
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.register.models import (
    Family,
    Measurement,
    Person,
    Pregnancy,
    Region,
    Screening,
)
from tumbuh.risk.model import FEATURE_NAMES, TrainedModel, build_family_years
from tumbuh.risk.models import RiskScore
from tumbuh.risk.read import said
from tumbuh.risk.service import (
    evaluate_register,
    load_frames,
    load_model,
    save_model,
    score_register,
    train_register,
)

DESA = "64.72.03.1005"


def _regions(session: Session) -> None:
    for code, level, parent in (
        ("64", 1, None),
        ("64.72", 2, "64"),
        ("64.72.03", 3, "64.72"),
        (DESA, 4, "64.72.03"),
    ):
        if session.get(Region, code) is None:
            session.add(
                Region(code=code, name=f"R{code}", level=level, parent_code=parent)
            )
    session.flush()


def _populate(session: Session) -> dict[str, int]:
    """A family with a child who becomes stunted in 2024, a family with a KEK pregnancy, a
    family whose child was already stunted, and a flagged measurement."""
    _regions(session)
    fams = {
        k: Family(
            no_kk=f"64720301012400{i:02d}", desa_code=DESA, water_source=w, latrine=lat
        )
        for i, (k, w, lat) in enumerate(
            (
                ("a", "surface_water", "none"),
                ("b", "piped", "own_septic"),
                ("c", "piped", "own_septic"),
            )
        )
    }
    session.add_all(fams.values())
    session.flush()

    def person(
        name: str, fam: str, role: str, born: str, bw: float | None = None
    ) -> Person:
        p = Person(
            name=name,
            name_key=name.lower(),
            sex="F" if role == "istri" else "M",
            birth_date=dt.date.fromisoformat(born),
            family_id=fams[fam].id,
            family_role=role,
            desa_code=DESA,
            birth_weight_kg=bw,
        )
        session.add(p)
        return p

    person("Ani", "a", "istri", "2006-05-01")
    kid_a = person("Budi", "a", "anak", "2022-06-01", 2.3)
    mom_b = person("Citra", "b", "istri", "1995-01-01")
    person("Dewi", "c", "istri", "1990-01-01")
    kid_c = person("Eko", "c", "anak", "2022-09-01")
    session.flush()
    for i, (kid, day, z, flag) in enumerate(
        (
            (kid_a, "2023-11-10", -1.8, False),
            (kid_a, "2024-03-10", -2.3, False),
            (kid_a, "2023-05-10", -6.0, True),
            (kid_c, "2023-06-10", -2.5, False),
            (kid_c, "2024-06-10", -2.6, False),
        )
    ):
        session.add(
            Measurement(
                person_id=kid.id,
                measured_on=dt.date.fromisoformat(day),
                weight_kg=9.0,
                zlen=z,
                zwei=-1.0,
                flen=flag,
                fwei=False,
                desa_code=DESA,
                age_days=500,
                fingerprint=f"m{i}",
            )
        )
    preg = Pregnancy(
        person_id=mom_b.id,
        lmp_date=dt.date(2023, 5, 26),
        due_date=dt.date(2024, 3, 1),
    )
    session.add(preg)
    session.flush()
    session.add(
        Screening(
            person_id=mom_b.id,
            kind="hamil",
            screened_on=dt.date(2023, 10, 1),
            desa_code=DESA,
            muac_cm=22.8,
            hb_g_dl=10.2,
            pregnancy_id=preg.id,
            fingerprint="s1",
        )
    )
    session.flush()
    return {k: f.id for k, f in fams.items()}


def _model(weights: dict[str, float]) -> TrainedModel:
    n = len(FEATURE_NAMES)
    return TrainedModel(
        fill=dict.fromkeys(FEATURE_NAMES, 0.0),
        mean=np.zeros(n),
        scale=np.ones(n),
        coef=np.array([weights.get(name, 0.0) for name in FEATURE_NAMES]),
        intercept=-1.0,
        calibrator=IsotonicRegression(out_of_bounds="clip").fit([0.0, 1.0], [0.0, 1.0]),
        fit_years=[2024],
        calibration_years=[2024],
        calibration_method="test",
        trained_at="2026-01-01T00:00:00+00:00",
    )


def test_load_frames_gives_the_family_years(session: Session) -> None:
    ids = _populate(session)
    t = build_family_years(load_frames(session), 2024).set_index("family_id")
    assert sorted(t.index) == sorted([ids["a"], ids["b"]])
    assert t.loc[ids["a"], "label"] == 1
    assert t.loc[ids["a"], "haz_last"] == pytest.approx(
        -1.8
    )  # the flagged -6 is ignored
    assert bool(t.loc[ids["a"], "lbw"])
    assert bool(t.loc[ids["b"], "pregnant"])
    assert bool(t.loc[ids["b"], "kek"])
    assert t.loc[ids["b"], "label"] == 0


def test_score_register_stores_and_replaces_the_year(session: Session) -> None:
    ids = _populate(session)
    model = _model({"kek": 2.0, "water": 1.0, "haz_near_cut": 1.0})
    table = score_register(session, model=model, year=2024)
    assert set(table["family_id"]) == {ids["a"], ids["b"]}
    rows = session.scalars(select(RiskScore).where(RiskScore.year == 2024)).all()
    assert len(rows) == 2
    by_family = {r.family_id: r for r in rows}
    # Stored as messages (catalogue keys + parameters), said in the reader's language.
    b = by_family[ids["b"]]
    assert b.reasons_id.startswith('[["risk.reason.kek",{"muac":"22.8"}]')
    assert b.reasons_en == ""
    assert said(b.reasons_id, b.reasons_en, "id").startswith(
        "Ibu hamil KEK (LiLA 22,8 cm)"
    )
    assert said(b.reasons_id, b.reasons_en, "en").startswith(
        "Mother with chronic energy deficiency in pregnancy (MUAC 22.8 cm)"
    )
    assert by_family[ids["a"]].krs_factors == "water;latrine;too_young"
    assert by_family[ids["a"]].desa_code == DESA
    score_register(session, model=model, year=2024)
    assert len(session.scalars(select(RiskScore)).all()) == 2


def test_train_and_evaluate_refuse_a_short_history(session: Session) -> None:
    _populate(session)
    with pytest.raises(InvalidInput, match="history too short to train"):
        train_register(session)
    with pytest.raises(InvalidInput, match="history too short to evaluate"):
        evaluate_register(session)


def test_model_file_round_trip(tmp_path: Path) -> None:
    model = _model({"kek": 1.5})
    path = tmp_path / "m" / "risk.pkl"
    save_model(model, path)
    back = load_model(path)
    assert np.array_equal(back.coef, model.coef)
    with pytest.raises(NotFound, match="tumbuh risk train"):
        load_model(tmp_path / "missing.pkl")


def test_a_model_file_of_an_older_version_is_refused(tmp_path: Path) -> None:
    model = _model({"kek": 1.5})
    model.version = 1
    path = tmp_path / "old.pkl"
    save_model(model, path)
    with pytest.raises(InvalidInput, match="run `tumbuh risk train` again"):
        load_model(path)
