"""Routine prevalence, coverage, suppression and new cases on hand-made and synthetic data."""

from __future__ import annotations

import datetime as dt
from math import sqrt
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from tumbuh.analytics import routine

Z = 1.959963984540054


def wilson_by_hand(x: int, n: int) -> tuple[float, float]:
    """Textbook Wilson interval (Wilson 1927), written out for one proportion."""
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


class TestWilsonInterval:
    @pytest.mark.parametrize(
        ("x", "n"), [(0, 10), (5, 10), (1, 7), (30, 120), (120, 120), (3, 2000)]
    )
    def test_matches_the_hand_formula(self, x: int, n: int) -> None:
        low, high = routine.wilson_interval([x], [n])
        hl, hh = wilson_by_hand(x, n)
        assert low[0] == pytest.approx(max(hl, 0.0), abs=1e-12)
        assert high[0] == pytest.approx(min(hh, 1.0), abs=1e-12)

    def test_published_values(self) -> None:
        # 0/10: upper limit 0.2775 (Brown, Cai & DasGupta 2001); 5/10: 0.2366-0.7634.
        low, high = routine.wilson_interval([0, 5], [10, 10])
        assert low[0] == 0.0
        assert high[0] == pytest.approx(0.2775, abs=5e-5)
        assert low[1] == pytest.approx(0.2366, abs=5e-5)
        assert high[1] == pytest.approx(0.7634, abs=5e-5)

    def test_empty_cell_is_nan_and_bad_counts_raise(self) -> None:
        low, high = routine.wilson_interval([0], [0])
        assert np.isnan(low[0])
        assert np.isnan(high[0])
        with pytest.raises(ValueError, match="0 <= cases <= n"):
            routine.wilson_interval([3], [2])


def row(child: int, day: str, desa: str, pos: int, zlen: float, **kw: object) -> dict:
    base = {
        "child_id": child,
        "measured_on": pd.Timestamp(day),
        "age_days": 400,
        "desa_code": desa,
        "posyandu_id": pos,
        "zlen": zlen,
        "zwei": 0.0,
        "zwfl": 0.0,
        "flen": False,
        "fwei": False,
        "fwfl": False,
    }
    base.update(kw)
    return base


D1, D2, D3 = "64.01.01.2001", "64.01.01.2002", "64.01.02.2001"


def small_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # child 1: stunted in January, not in March -> the latest (March) counts
            row(1, "2024-01-10", D1, 1, -2.5),
            row(1, "2024-03-10", D1, 1, -1.5),
            row(2, "2024-03-11", D1, 1, -2.2),
            row(3, "2024-03-12", D2, 2, -3.4, zwfl=-2.5),
            # flagged length: out of stunting, still in wasting
            row(4, "2024-03-12", D2, 2, -7.0, flen=True, zwfl=2.5),
            # 60 months or older: out of everything
            row(5, "2024-03-12", D3, 3, -2.5, age_days=1830),
            row(6, "2024-08-01", D3, 3, -0.5),
            row(7, "2024-08-01", D3, None, -2.1),
        ]
    )


class TestPrevalence:
    def test_latest_measurement_flags_age_and_rollup(self) -> None:
        out = routine.prevalence(small_frame(), freqs=("year",))
        st = out.filter(pl.col("indicator") == "stunting")
        got = {
            (r["level"], r["code"]): (r["measured"], r["n"], r["cases"])
            for r in st.iter_rows(named=True)
        }
        assert got[("desa", D1)] == (2, 2, 1)
        assert got[("desa", D2)] == (2, 1, 1)
        assert got[("desa", D3)] == (2, 2, 1)
        assert got[("kecamatan", "64.01.01")] == (4, 3, 2)
        assert got[("kabkota", "64.01")] == (6, 5, 3)
        assert got[("province", "64")] == (6, 5, 3)
        assert got[("posyandu", "3")] == (1, 1, 0)
        assert ("posyandu", "None") not in got
        sev = out.filter(
            (pl.col("indicator") == "severe_stunting") & (pl.col("level") == "province")
        )
        assert sev["cases"].to_list() == [1]
        wasting = out.filter(
            (pl.col("indicator") == "wasting") & (pl.col("code") == D2)
        ).row(0, named=True)
        overweight = out.filter(
            (pl.col("indicator") == "overweight") & (pl.col("code") == D2)
        ).row(0, named=True)
        assert (wasting["n"], wasting["cases"]) == (2, 1)
        assert (overweight["n"], overweight["cases"]) == (2, 1)
        prov = st.filter(pl.col("level") == "province").row(0, named=True)
        assert prov["prevalence"] == pytest.approx(3 / 5)
        low, high = wilson_by_hand(3, 5)
        assert (prov["ci_low"], prov["ci_high"]) == pytest.approx((low, high))

    def test_period_labels_and_one_period(self) -> None:
        out = routine.prevalence(
            small_frame(), levels=("province",), indicators=("stunting",)
        )
        labels = set(zip(out["freq"].to_list(), out["period"].to_list(), strict=True))
        assert ("year", "2024") in labels
        assert ("quarter", "2024-Q1") in labels
        assert ("quarter", "2024-Q3") in labels
        assert ("month", "2024-01") in labels
        assert ("month", "2024-08") in labels
        jan = routine.prevalence(
            small_frame(),
            levels=("province",),
            indicators=("stunting",),
            period="2024-01",
        ).row(0, named=True)
        assert (jan["period"], jan["n"], jan["cases"]) == ("2024-01", 1, 1)
        q1 = routine.prevalence(
            small_frame(), levels=("desa",), indicators=("stunting",), period="2024-Q1"
        )
        assert q1["period"].unique().to_list() == ["2024-Q1"]

    @pytest.mark.parametrize("bad", ["24", "2024-13", "2024-Q5", "last year"])
    def test_bad_period_is_named(self, bad: str) -> None:
        with pytest.raises(ValueError, match="2024-Q3"):
            routine.prevalence(small_frame(), period=bad)

    def test_missing_columns_are_named(self) -> None:
        with pytest.raises(ValueError, match="desa_code"):
            routine.prevalence(small_frame().drop(columns="desa_code"))


class TestCoverageAndSuppression:
    def test_registered_children_by_birth_month(self) -> None:
        children = pd.DataFrame(
            {
                "birth_date": [
                    dt.date(
                        2019, 1, 1
                    ),  # 60 months in Jan 2024: counts in 2024 (month precision)
                    dt.date(2018, 12, 31),  # 5 years old before 2024: never in 2024
                    dt.date(2024, 12, 1),  # born in the period
                    dt.date(2025, 1, 1),  # born after
                    dt.date(2022, 5, 5),
                ],
                "desa_code": [D1, D1, D2, D2, D3],
                "posyandu_id": [1, 1, 2, None, 3],
            }
        )
        reg = routine.registered_counts(children, periods=["2024", "2024-03"])
        got = {
            (r["level"], r["code"], r["period"]): r["registered"]
            for r in reg.iter_rows(named=True)
        }
        assert got[("desa", D1, "2024")] == 1
        assert got[("desa", D2, "2024")] == 1
        assert got[("desa", D2, "2024-03")] == 0
        assert got[("kabkota", "64.01", "2024")] == 3
        assert got[("posyandu", "3", "2024")] == 1
        prev = routine.prevalence(
            small_frame(), freqs=("year",), indicators=("stunting",)
        )
        cov = routine.add_coverage(prev, reg).filter(pl.col("code") == D1)
        assert cov["coverage"].to_list() == [pytest.approx(2.0)]

    def test_small_cells_lose_their_figures(self) -> None:
        prev = routine.prevalence(
            small_frame(), freqs=("year",), indicators=("stunting",)
        )
        pub = routine.suppress(prev, threshold=5)
        small = pub.filter(pl.col("level") == "desa")
        assert small["suppressed"].all()
        assert small["prevalence"].null_count() == len(small)
        assert small["cases"].null_count() == len(small)
        prov = pub.filter(pl.col("level") == "province").row(0, named=True)
        assert prov["suppressed"] is False
        assert prov["cases"] == 3


class TestSecondarySuppression:
    @staticmethod
    def cells(level: str, sizes: dict[str, int], period: str = "2024") -> pl.DataFrame:
        codes = list(sizes)
        return pl.DataFrame(
            {
                "level": [level] * len(codes),
                "code": codes,
                "freq": ["year"] * len(codes),
                "period": [period] * len(codes),
                "indicator": ["stunting"] * len(codes),
                "n": [sizes[c] for c in codes],
                "cases": [max(1, sizes[c] // 4) for c in codes],
                "prevalence": [0.25] * len(codes),
            }
        )

    def test_a_parent_with_one_suppressed_child_shows_at_least_two(self) -> None:
        # Kecamatan 64.01.01: one small desa (3), siblings of 40, 12 and 25 children.
        # Kecamatan 64.01.02: nothing small, nothing hidden.
        frame = self.cells(
            "desa",
            {
                "64.01.01.2001": 40,
                "64.01.01.2002": 3,
                "64.01.01.2003": 12,
                "64.01.01.2004": 25,
                "64.01.02.2001": 30,
                "64.01.02.2002": 7,
            },
        )
        pub = routine.suppress(frame, threshold=5)
        got = dict(zip(pub["code"], pub["suppression"], strict=True))
        assert got["64.01.01.2002"] == "primary"
        assert got["64.01.01.2003"] == "secondary"  # the next-smallest sibling
        for shown_code in ("64.01.01.2001", "64.01.01.2004", "64.01.02.2001"):
            assert got[shown_code] is None
        assert got["64.01.02.2002"] is None
        parent = pub.filter(pl.col("code").str.starts_with("64.01.01"))
        assert parent["suppressed"].sum() >= 2
        assert parent.filter(pl.col("suppressed"))["cases"].null_count() == 2
        # Parent total minus the shown siblings now gives two cells' sum (1 + 3), not the
        # small desa's own count (1).
        total = frame.filter(pl.col("code").str.starts_with("64.01.01"))["cases"].sum()
        shown = parent.filter(~pl.col("suppressed"))["cases"].sum()
        assert total - shown == 1 + 3

    def test_two_small_siblings_need_no_third(self) -> None:
        frame = self.cells(
            "kecamatan", {"64.01.01": 2, "64.01.02": 4, "64.01.03": 50, "64.01.04": 60}
        )
        pub = routine.suppress(frame, threshold=5)
        assert pub["suppression"].to_list() == ["primary", "primary", None, None]

    def test_siblings_are_counted_per_period(self) -> None:
        frame = pl.concat(
            [
                self.cells("desa", {"64.01.01.2001": 3, "64.01.01.2002": 30}, "2023"),
                self.cells("desa", {"64.01.01.2001": 9, "64.01.01.2002": 30}, "2024"),
            ]
        )
        pub = routine.suppress(frame, threshold=5)
        assert pub["suppressed"].to_list() == [True, True, False, False]

    def test_posyandu_siblings_come_from_the_parents_map(self) -> None:
        frame = self.cells("posyandu", {"1": 2, "2": 20, "3": 30, "4": 8})
        parents = {"1": "64.01.01.2001", "2": "64.01.01.2001", "3": "64.01.01.2001"}
        pub = routine.suppress(frame, threshold=5, parents=parents)
        assert pub["suppression"].to_list() == ["primary", "secondary", None, None]
        # Without the map nothing tells the siblings apart: primary suppression only.
        plain = routine.suppress(frame, threshold=5)
        assert plain["suppression"].to_list() == ["primary", None, None, None]

    def test_an_empty_frame_gets_the_columns(self) -> None:
        pub = routine.suppress(self.cells("desa", {}), threshold=5)
        assert {"suppressed", "suppression"} <= set(pub.columns)


class TestNewCases:
    def test_cohort_rules(self) -> None:
        rows = [
            row(1, "2024-01-05", D1, 1, -1.0),
            row(1, "2024-06-05", D1, 1, -2.5),  # new case in 2024
            row(2, "2024-01-05", D1, 1, -1.0),
            row(2, "2024-06-05", D1, 1, -1.5),  # at risk, no case
            row(3, "2024-01-05", D1, 1, -2.5),
            row(3, "2024-06-05", D1, 1, -2.6),  # stunted at baseline: not at risk
            row(4, "2024-06-05", D1, 1, -1.0),  # measured once: not at risk
            row(5, "2023-06-05", D2, 2, -1.0),
            row(5, "2024-02-05", D2, 2, -2.2),  # baseline 2023, case in 2024
            row(6, "2023-01-05", D2, 2, -1.0),
            row(6, "2023-06-05", D2, 2, -2.3),  # case in 2023 ...
            row(6, "2024-06-05", D2, 2, -2.4),  # ... so no longer at risk in 2024
            row(7, "2023-01-05", D2, 2, -1.0),
            row(7, "2023-06-05", D2, 2, -7.0, flen=True),  # flagged: ignored
            row(7, "2024-06-05", D2, 2, -1.2),  # at risk in 2024
        ]
        out = routine.new_cases(pd.DataFrame(rows), freq="year")
        got = {
            (r["level"], r["code"], r["period"]): (r["at_risk"], r["new_cases"])
            for r in out.iter_rows(named=True)
        }
        assert got[("desa", D1, "2024")] == (2, 1)
        assert got[("desa", D2, "2024")] == (2, 1)
        assert got[("desa", D2, "2023")] == (1, 1)  # child 7: only its baseline in 2023
        assert got[("province", "64", "2024")] == (4, 2)
        prov = out.filter(
            (pl.col("level") == "province") & (pl.col("period") == "2024")
        ).row(0, named=True)
        assert prov["incidence"] == pytest.approx(0.5)


@pytest.mark.slow
def test_incidence_on_clean_posyandu_follows_the_latent_truth(tmp_path: Path) -> None:
    """Synthetic province: measured new cases against the same rule on the latent HAZ.

    The generator knows each visit's true HAZ (``haz_latent``); measurement error (0.35 cm
    SD) adds false crossings, so the measured incidence runs somewhat higher. Routine
    lengths also carry a constant shift per kab/kota (the routine runs long against the
    survey, docs/synthetic.md): a known bias, added to the latent HAZ here so that what is
    compared is the random measurement error.
    """
    from tests.analytics._routine_synth import scored_visits

    from tumbuh.synth.regions import KALTIM_ROUTINE_SHIFT

    frame, _ = scored_visits(tmp_path, children=20_000, seed=3, years=(2023, 2025))
    clean = frame[frame["problems"] == 0]
    shift = clean["desa_code"].str.slice(0, 5).map(KALTIM_ROUTINE_SHIFT).fillna(0.0)
    latent = clean.assign(zlen=(clean["haz_latent"] + shift).round(2), flen=False)
    got = routine.new_cases(clean, levels=("province", "kabkota"))
    truth = routine.new_cases(latent, levels=("province", "kabkota"))
    both = got.join(truth, on=["level", "code", "period"], suffix="_true")
    prov = both.filter(pl.col("level") == "province")
    rel = (prov["incidence"] / prov["incidence_true"]).to_numpy()
    assert np.all((rel > 0.95) & (rel < 1.25)), rel
    kab = both.filter((pl.col("level") == "kabkota") & (pl.col("at_risk") >= 300))
    assert len(kab) >= 10
    r = np.corrcoef(kab["incidence"].to_numpy(), kab["incidence_true"].to_numpy())[0, 1]
    assert r > 0.8, r
    # The truth lies inside the measured 95 % CI at most kab/kota-years (bias included).
    inside = (kab["incidence_true"] >= kab["ci_low"] - 0.02) & (
        kab["incidence_true"] <= kab["ci_high"]
    )
    assert inside.mean() >= 0.7
