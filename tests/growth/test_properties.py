"""Properties that hold for any input (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tumbuh.growth import value_from_z, z_from_lms, zscores

lam = st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 0.05)
median = st.floats(1.0, 200.0)
cv = st.floats(0.02, 0.3)
zs = st.floats(-8.0, 8.0)
ages = st.floats(0.0, 1900.0)
sexes = st.sampled_from([1, 2])


class TestLmsProperties:
    @given(lam, median, cv, zs, st.booleans())
    def test_value_from_z_and_z_from_lms_invert_each_other(
        self, L: float, M: float, S: float, z: float, restricted: bool
    ) -> None:
        y = value_from_z(z, L, M, S, restricted=restricted)
        if np.isfinite(y) and y > 0:
            back = float(z_from_lms(y, L, M, S, restricted=restricted)[()])
            assert abs(back - z) < 1e-7

    @given(lam, median, cv, st.floats(0.1, 400.0), st.floats(0.1, 400.0))
    def test_z_rises_with_the_measurement(
        self, L: float, M: float, S: float, y1: float, y2: float
    ) -> None:
        lo, hi = sorted((y1, y2))
        z = z_from_lms(np.array([lo, hi]), L, M, S, restricted=True)
        assert z[0] <= z[1]


class TestZScoresProperties:
    @settings(max_examples=40, deadline=None)
    @given(
        sexes,
        ages,
        hnp.arrays(np.float64, st.integers(2, 30), elements=st.floats(0.5, 30.0)),
    )
    def test_weight_for_age_is_monotone_in_weight(
        self, sex: int, age: float, weights: np.ndarray
    ) -> None:
        w = np.sort(weights)
        z = zscores(sex=sex, age_days=age, weight_kg=w, indicators=["wei"]).zwei
        finite = z[np.isfinite(z)]
        assert (np.diff(finite) >= 0).all()

    @settings(max_examples=40, deadline=None)
    @given(
        hnp.arrays(
            np.float64,
            st.integers(1, 40),
            elements=st.floats(-5, 130) | st.just(np.nan),
        ),
        st.data(),
    )
    def test_nan_inputs_give_nan_outputs_and_the_shape_is_kept(
        self, length: np.ndarray, data: st.DataObject
    ) -> None:
        n = length.shape[0]
        age = data.draw(
            hnp.arrays(np.float64, n, elements=st.floats(0, 2000) | st.just(np.nan))
        )
        weight = data.draw(
            hnp.arrays(np.float64, n, elements=st.floats(0.5, 40) | st.just(np.nan))
        )
        r = zscores(
            sex=1, age_days=age, weight_kg=weight, lenhei_cm=length, measure="h"
        )
        for name, col in r.to_dict().items():
            assert col.shape == (n,), name
        assert np.isnan(r.zwei[np.isnan(weight) | np.isnan(age)]).all()
        assert np.isnan(r.zlen[np.isnan(length)]).all()
        assert np.isnan(r.zwfl[np.isnan(weight) | np.isnan(length)]).all()
        assert np.isnan(r.cbmi[np.isnan(weight) | np.isnan(length)]).all()
        flags_where_z = np.isfinite(r.zwei) == np.isfinite(r.fwei)
        assert flags_where_z.all()

    @settings(max_examples=25, deadline=None)
    @given(st.integers(0, 2**32 - 1))
    def test_rows_are_scored_independently_of_their_order(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        n = 200
        kw = {
            "sex": rng.integers(1, 3, n),
            "age_days": rng.uniform(0, 1900, n),
            "weight_kg": rng.uniform(2, 25, n),
            "lenhei_cm": rng.uniform(40, 125, n),
            "measure": rng.choice(np.array(["l", "h"]), n),
        }
        perm = rng.permutation(n)
        a = zscores(**kw)
        b = zscores(**{k: v[perm] for k, v in kw.items()})
        for col in ("zlen", "zwei", "zwfl", "zbmi", "clenhei", "cbmi"):
            np.testing.assert_array_equal(getattr(a, col)[perm], getattr(b, col))
