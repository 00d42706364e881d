"""Packaged WHO tables: checksums from SOURCE.md and dense-array layout."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import numpy as np
import pytest

from tumbuh.growth import Indicator
from tumbuh.growth.tables import length_tables, lms_table

DATA = resources.files("tumbuh.growth.data")


def _checksums() -> dict[str, str]:
    text = DATA.joinpath("SOURCE.md").read_text(encoding="utf-8")
    return dict(re.findall(r"\| `([\w/]+\.csv)` \| `([0-9a-f]{64})` \|", text))


class TestPackagedTables:
    def test_source_lists_all_twelve_tables(self) -> None:
        assert len(_checksums()) == 12

    @pytest.mark.parametrize("name", sorted(_checksums()))
    def test_table_matches_its_recorded_checksum(self, name: str) -> None:
        digest = hashlib.sha256(DATA.joinpath(name).read_bytes()).hexdigest()
        assert digest == _checksums()[name]

    def test_day_tables_end_with_a_nan_sentinel(self) -> None:
        t = lms_table(Indicator.weight_for_age)
        assert t.L.shape == (2 * 1827 + 1,)
        assert np.isnan(t.M[t.sentinel])
        assert t.M[1827] == 3.2322  # girls at day 0
        assert not t.M.flags.writeable

    def test_length_tables_pad_each_block_with_its_last_row(self) -> None:
        lt = length_tables()
        last = lt.offset[3] + 1200  # girls' height table at 120.0 cm
        assert lt.M[last] == lt.M[last + 1]
        assert np.isnan(lt.M[lt.sentinel])

    def test_length_and_head_tables_have_l_equal_one(self) -> None:
        assert lms_table(Indicator.length_for_age).l_is_one
        assert lms_table(Indicator.head_circumference_for_age).l_is_one
        assert not lms_table(Indicator.weight_for_age).l_is_one

    def test_length_indexed_tables_are_not_day_tables(self) -> None:
        with pytest.raises(ValueError, match="length"):
            lms_table(Indicator.weight_for_length)
