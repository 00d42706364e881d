"""Input standardisation: containers, text codes, missing values, lengths."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from tumbuh.growth import zscores
from tumbuh.growth.cleaning import (
    BAD,
    MEASURE_CODES,
    MISSING,
    OEDEMA_CODES,
    SEX_CODES,
    as_codes,
    as_float,
    broadcast_length,
)

SEX_TEXT = ["1", "2", "m", "f", "M", "F", "", None, "x", " m", "male", "3"]
SEX_EXPECTED = [1, 2, 1, 2, 1, 2, MISSING, MISSING, BAD, BAD, BAD, BAD]


def _containers(values: list[Any]) -> dict[str, Any]:
    return {
        "list": list(values),
        "object_array": np.array(values, dtype=object),
        "pandas": pd.Series(values, dtype=object),
        "pandas_string": pd.Series(values, dtype="string"),
        "pandas_category": pd.Series(values, dtype="category"),
        "polars": pl.Series(values, dtype=pl.Utf8),
        "polars_categorical": pl.Series(values, dtype=pl.Utf8).cast(pl.Categorical),
        "pyarrow": pa.array(values, type=pa.string()),
        "pyarrow_chunked": pa.chunked_array([values[:3], values[3:]], type=pa.string()),
        "pyarrow_dictionary": pa.array(values, type=pa.string()).dictionary_encode(),
    }


class TestTextCodes:
    @pytest.mark.parametrize("kind", list(_containers(SEX_TEXT)))
    def test_sex_codes_from_every_container(self, kind: str) -> None:
        codes = as_codes(_containers(SEX_TEXT)[kind], "sex", SEX_CODES)
        assert codes.tolist() == SEX_EXPECTED

    def test_numpy_text_arrays_use_the_fast_lookup(self) -> None:
        arr = np.array(["l", "h", "L", "H", "", "x", "lh"])
        assert as_codes(arr, "measure", MEASURE_CODES).tolist() == [
            1,
            2,
            1,
            2,
            0,
            BAD,
            BAD,
        ]

    def test_non_ascii_text_is_invalid(self) -> None:
        assert as_codes(np.array(["é", "m"]), "sex", SEX_CODES).tolist() == [BAD, 1]

    @pytest.mark.parametrize(
        ("values", "expected"),
        [
            ([1, 2, 3, 0], [1, 2, BAD, BAD]),
            ([1.0, 2.0, np.nan, 1.5], [1, 2, MISSING, BAD]),
            (np.array([1, 2], dtype=np.uint8), [1, 2]),
            (pd.Series([1, None, 2], dtype="Int64"), [1, MISSING, 2]),
            (pl.Series([2, None, 1]), [2, MISSING, 1]),
            (pa.array([1, None, 2]), [1, MISSING, 2]),
            ([True, False], [BAD, BAD]),
        ],
        ids=[
            "ints",
            "floats_with_nan",
            "uint8",
            "pandas_nullable",
            "polars_ints",
            "arrow_ints",
            "booleans",
        ],
    )
    def test_numeric_sex_codes(self, values: Any, expected: list[int]) -> None:
        assert as_codes(values, "sex", SEX_CODES).tolist() == expected

    def test_oedema_codes(self) -> None:
        vals = ["y", "Y", "1", "n", "N", "2", None, "yes", 1, 2]
        assert as_codes(
            np.array(vals, dtype=object), "oedema", OEDEMA_CODES
        ).tolist() == [1, 1, 1, 2, 2, 2, MISSING, BAD, 1, 2]

    def test_many_distinct_objects_fall_back_to_arrow(self) -> None:
        vals = np.array([f"{i % 30}" for i in range(300)], dtype=object)
        codes = as_codes(vals, "sex", SEX_CODES)
        assert codes[1] == 1
        assert codes[2] == 2
        assert codes[3] == BAD

    def test_mixed_python_objects(self) -> None:
        vals = np.array(["m", 2, None, float("nan"), b"f", 3.5], dtype=object)
        assert as_codes(vals, "sex", SEX_CODES).tolist() == [
            1,
            2,
            MISSING,
            MISSING,
            2,
            BAD,
        ]

    def test_scalars_and_none(self) -> None:
        assert as_codes("F", "sex", SEX_CODES).tolist() == [2]
        assert as_codes(None, "sex", SEX_CODES).tolist() == [MISSING]


class TestFloats:
    @pytest.mark.parametrize(
        "values",
        [
            [1.5, None],
            np.array([1.5, np.nan]),
            pd.Series([1.5, None], dtype="Float64"),
            pl.Series([1.5, None]),
            pa.array([1.5, None]),
            pa.chunked_array([[1.5], [None]]),
        ],
        ids=["list", "numpy", "pandas_nullable", "polars", "arrow", "arrow_chunked"],
    )
    def test_missing_numbers_become_nan(self, values: Any) -> None:
        got = as_float(values, "weight_kg")
        assert got[0] == 1.5
        assert np.isnan(got[1])

    def test_text_that_is_not_a_number_names_the_parameter(self) -> None:
        with pytest.raises(ValueError, match="weight_kg"):
            as_float(["heavy"], "weight_kg")

    def test_two_dimensional_input_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="one-dimensional"):
            as_float(np.ones((2, 2)), "lenhei_cm")


class TestLengths:
    def test_single_values_broadcast(self) -> None:
        assert broadcast_length({"a": np.ones(5), "b": np.ones(1)}) == 5

    def test_different_lengths_name_the_parameter(self) -> None:
        with pytest.raises(
            ValueError, match="weight_kg has 2 values but age_days has 3"
        ):
            zscores(sex=[1, 2, 1], age_days=[1, 2, 3], weight_kg=[5.0, 6.0])
