"""KRS by BKKBN's rule: boundaries of every factor, target families, blanks and bad cells."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tumbuh.errors import InvalidInput
from tumbuh.risk.config import JMP_IMPROVED_WATER, KrsRules, Latrine, WaterSource
from tumbuh.risk.krs import (
    FACTORS_2024,
    FACTORS_BASE,
    INPUT_COLUMNS,
    classify_family_table,
    classify_krs,
    classify_krs_frame,
    family_inputs,
)

# A target family (wife 28, one child under two) with no risk factor at all.
CLEAN: dict[str, str] = {
    "family_id": "F1",
    "wife_age": "28",
    "pregnant": "n",
    "children_count": "2",
    "min_birth_interval_months": "36",
    "has_child_0_23": "y",
    "has_child_24_59": "n",
    "water_source": "piped",
    "latrine": "own_septic",
    "modern_contraception": "y",
    "welfare_decile": "5",
}


def family(**changes: Any) -> pd.DataFrame:
    row = {**CLEAN, **{k: str(v) for k, v in changes.items()}}
    return pd.DataFrame([row])


def classify_one(rules: KrsRules | None = None, /, **changes: Any) -> pd.Series:
    out: pd.Series = classify_family_table(family(**changes), rules).iloc[0]
    return out


class TestBoundaries:
    @pytest.mark.parametrize(
        ("changes", "factors"),
        [
            ({"wife_age": 19}, "too_young"),
            ({"wife_age": 20}, ""),
            ({"wife_age": "19.9"}, "too_young"),
            ({"wife_age": 35}, ""),
            ({"wife_age": "35.9"}, ""),
            ({"wife_age": 36}, "too_old"),
            ({"min_birth_interval_months": 24}, ""),
            ({"min_birth_interval_months": "23.9"}, "too_close"),
            ({"min_birth_interval_months": 23}, "too_close"),
            ({"children_count": 3}, ""),
            ({"children_count": 4}, "too_many"),
            ({"water_source": "protected_spring"}, "water"),
            ({"water_source": "rainwater"}, "water"),
            ({"water_source": "unprotected_well"}, "water"),
            ({"water_source": "bottled_refill"}, ""),
            ({"water_source": "bored_well"}, ""),
            ({"water_source": "protected_well"}, ""),
            ({"latrine": "shared_septic"}, ""),
            ({"latrine": "no_septic"}, "latrine"),
            ({"latrine": "none"}, "latrine"),
            (
                {"water_source": "surface_water", "latrine": "none", "wife_age": 17},
                "water;latrine;too_young",
            ),
            (
                {"wife_age": 40, "children_count": 5, "min_birth_interval_months": 12},
                "too_old;too_close;too_many",
            ),
        ],
        ids=[
            "age19-too-young",
            "age20-not-too-young",
            "age19.9-floored-19-too-young",
            "age35-not-over-35",
            "age35.9-completed-35-not-too-old",
            "age36-too-old",
            "interval24-not-too-close",
            "interval23.9-too-close",
            "interval23-too-close",
            "3-children-not-too-many",
            "4-children-too-many",
            "protected-spring-unimproved-bkkbn",
            "rainwater-unimproved-bkkbn",
            "unprotected-well",
            "bottled-refill-improved",
            "bored-well-improved",
            "protected-well-improved",
            "shared-septic-is-proper",
            "no-septic-improper",
            "no-latrine-improper",
            "three-factors-in-fixed-order",
            "terlalu-in-fixed-order",
        ],
    )
    def test_default_rule(self, changes: dict[str, Any], factors: str) -> None:
        out = classify_one(**changes)
        assert out["risk_factors"] == factors
        assert out["krs"] == ("y" if factors else "n")
        assert out["target_family"] == "y"

    @pytest.mark.parametrize(
        ("rules", "changes", "krs"),
        [
            (KrsRules(too_old_over=34), {"wife_age": 35}, "y"),
            (KrsRules(too_old_over=34), {"wife_age": 34}, "n"),
            (KrsRules(too_many_over=2), {"children_count": 3}, "y"),
            (KrsRules(too_many_over=2), {"children_count": 2}, "n"),
            (
                KrsRules(improved_water=JMP_IMPROVED_WATER),
                {"water_source": "protected_spring"},
                "n",
            ),
            (
                KrsRules(improved_water=JMP_IMPROVED_WATER),
                {"water_source": "rainwater"},
                "n",
            ),
            (
                KrsRules(
                    improper_latrine=frozenset(
                        {Latrine.shared_septic, Latrine.no_septic, Latrine.none}
                    )
                ),
                {"latrine": "shared_septic"},
                "y",
            ),
            (
                KrsRules(too_close_under_months=36),
                {"min_birth_interval_months": 30},
                "y",
            ),
        ],
        ids=[
            "sulbar-35-too-old",
            "sulbar-34-not",
            "3-plus-children",
            "3-plus-2-children-not",
            "jmp-spring-improved",
            "jmp-rain-improved",
            "shared-latrine-improper-setting",
            "spacing-36-months",
        ],
    )
    def test_settings_move_the_boundary(
        self, rules: KrsRules, changes: dict[str, Any], krs: str
    ) -> None:
        assert classify_one(rules, **changes)["krs"] == krs


class TestTargetFamily:
    @pytest.mark.parametrize(
        ("changes", "target"),
        [
            ({"has_child_0_23": "n"}, "y"),  # PUS alone (wife 28) is a target family
            ({"wife_age": 15, "has_child_0_23": "n"}, "y"),
            ({"wife_age": 49, "has_child_0_23": "n"}, "y"),
            ({"wife_age": 50, "has_child_0_23": "n"}, "n"),
            ({"wife_age": 14, "has_child_0_23": "n"}, "n"),
            ({"wife_age": 52, "has_child_0_23": "y"}, "y"),
            ({"wife_age": 52, "has_child_0_23": "n", "has_child_24_59": "y"}, "y"),
            ({"wife_age": "", "has_child_0_23": "n", "pregnant": "y"}, "y"),
            ({"wife_age": "", "has_child_0_23": "n"}, "n"),
        ],
        ids=[
            "pus-only",
            "wife-15",
            "wife-49",
            "wife-50-no-children",
            "wife-14-no-children",
            "baduta",
            "balita",
            "pregnant-age-unknown",
            "nothing-known",
        ],
    )
    def test_target_family(self, changes: dict[str, Any], target: str) -> None:
        assert classify_one(**changes)["target_family"] == target

    def test_not_a_target_family_is_never_krs(self) -> None:
        out = classify_one(
            wife_age=55,
            has_child_0_23="n",
            water_source="surface_water",
            latrine="none",
        )
        assert (out["target_family"], out["krs"]) == ("n", "n")
        assert out["risk_factors"] == "water;latrine;too_old"

    def test_terlalu_only_for_pus_when_set(self) -> None:
        rules = KrsRules(terlalu_requires_pus=True)
        assert classify_one(rules, wife_age=14)["risk_factors"] == ""
        assert classify_one(wife_age=14)["risk_factors"] == "too_young"


class TestFactors2024:
    on = KrsRules(include_2024_factors=True)

    @pytest.mark.parametrize(
        ("rules", "changes", "factors"),
        [
            (KrsRules(), {"modern_contraception": "n", "welfare_decile": 1}, ""),
            (on, {"modern_contraception": "n"}, "no_modern_contraception"),
            (on, {"modern_contraception": "n", "pregnant": "y"}, ""),
            (on, {"modern_contraception": "n", "wife_age": 50}, "too_old"),
            (on, {"welfare_decile": 1}, "poorest_decile"),
            (on, {"welfare_decile": 2}, ""),
            (
                on,
                {"welfare_decile": 1, "latrine": "none", "modern_contraception": "n"},
                "latrine;no_modern_contraception;poorest_decile",
            ),
        ],
        ids=[
            "off-by-default",
            "no-kb",
            "pregnant-not-counted-as-no-kb",
            "not-pus-not-counted",
            "decile-1",
            "decile-2",
            "order",
        ],
    )
    def test_2024_factors(
        self, rules: KrsRules, changes: dict[str, Any], factors: str
    ) -> None:
        assert classify_one(rules, **changes)["risk_factors"] == factors

    def test_optional_columns_may_be_absent_when_off(self) -> None:
        table = family().drop(columns=["modern_contraception", "welfare_decile"])
        assert classify_family_table(table)["krs"].tolist() == ["n"]

    def test_optional_columns_required_when_on(self) -> None:
        table = family().drop(columns=["welfare_decile"])
        with pytest.raises(InvalidInput, match="welfare_decile"):
            classify_family_table(table, self.on)


class TestBlanksAndIssues:
    def test_blank_factor_input_is_not_counted_but_listed(self) -> None:
        out = classify_one(water_source="", latrine="none", wife_age="")
        assert out["risk_factors"] == "latrine"
        assert out["missing_inputs"] == "wife_age;water_source"
        assert out["issues"] == ""

    def test_interval_not_asked_for_fewer_than_two_children(self) -> None:
        one_child = classify_one(children_count=1, min_birth_interval_months="")
        unknown = classify_one(children_count="", min_birth_interval_months="")
        assert one_child["missing_inputs"] == ""
        assert unknown["missing_inputs"] == "children_count;min_birth_interval_months"

    @pytest.mark.parametrize(
        ("changes", "column", "reason"),
        [
            ({"water_source": "sumur"}, "water_source", "unknown code 'sumur'"),
            ({"latrine": "cubluk"}, "latrine", "unknown code 'cubluk'"),
            ({"pregnant": "maybe"}, "pregnant", "not y/n 'maybe'"),
            ({"wife_age": "abc"}, "wife_age", "not a number 'abc'"),
            ({"wife_age": "150"}, "wife_age", "outside 10-99 '150'"),
            ({"children_count": "2.5"}, "children_count", "whole number '2.5'"),
            ({"welfare_decile": "0"}, "welfare_decile", "outside 1-10 '0'"),
        ],
        ids=[
            "water",
            "latrine",
            "yes-no",
            "nan-age",
            "age-range",
            "fraction",
            "decile",
        ],
    )
    def test_invalid_cell_is_reported_and_row_kept(
        self, changes: dict[str, Any], column: str, reason: str
    ) -> None:
        table = pd.concat([family(), family(family_id="F2", **changes)])
        out = classify_family_table(table)
        assert len(out) == 2
        assert out["issues"].iloc[0] == ""
        issue = out["issues"].iloc[1]
        assert issue.startswith(f"{column}: ")
        assert reason in issue

    def test_cell_issues_say_both_languages_from_the_catalogue(self) -> None:
        table = pd.concat(
            [family(wife_age="abc"), family(family_id="F2", children_count="1.234")]
        )
        out = classify_family_table(table)
        assert out["issues"].iloc[0] == "wife_age: bukan angka / not a number 'abc'"
        # a count: 1.234 is a thousand and some, not one child
        assert out["issues"].iloc[1] == (
            "children_count: di luar rentang 0-30 / outside 0-30 '1.234'"
        )

    def test_invalid_code_is_not_a_risk_factor(self) -> None:
        out = classify_one(water_source="sumur", latrine="none")
        assert out["risk_factors"] == "latrine"

    @pytest.mark.parametrize(
        ("changes", "factors"),
        [
            ({"water_source": " Sumur Tak Terlindung "}, "water"),
            ({"water_source": "PIPED"}, ""),
            ({"latrine": "tanpa septic tank"}, "latrine"),
            ({"pregnant": "Ya", "children_count": "4"}, "too_many"),
            ({"min_birth_interval_months": "23,5"}, "too_close"),
        ],
        ids=["id-label", "upper-case", "id-latrine", "ya", "decimal-comma"],
    )
    def test_accepted_spellings(self, changes: dict[str, Any], factors: str) -> None:
        out = classify_one(**changes)
        assert (out["risk_factors"], out["issues"]) == (factors, "")

    def test_contradiction_is_reported_but_used(self) -> None:
        out = classify_one(children_count=0, has_child_0_23="y")
        assert "children_count" in out["issues"]
        assert out["target_family"] == "y"

    def test_input_columns_are_kept_unchanged(self) -> None:
        table = family(family_id="0007", wife_age=" 31 ")
        table["extra"] = ["keep me"]
        out = classify_family_table(table)
        pd.testing.assert_frame_equal(out[table.columns], table)
        assert list(out.columns[-5:]) == [
            "target_family",
            "krs",
            "risk_factors",
            "missing_inputs",
            "issues",
        ]

    def test_headers_match_case_insensitively(self) -> None:
        table = family().rename(columns=str.upper)
        assert classify_family_table(table)["krs"].tolist() == ["n"]

    def test_missing_required_columns_are_named(self) -> None:
        with pytest.raises(InvalidInput, match="latrine, water_source|water_source"):
            classify_family_table(family().drop(columns=["water_source", "latrine"]))


class TestKernel:
    def test_lengths_must_match(self) -> None:
        with pytest.raises(ValueError, match="pregnant"):
            classify_krs(
                wife_age=[20, 30],
                pregnant=[1.0],
                children_count=[1, 1],
                min_birth_interval_months=[np.nan, np.nan],
                has_child_0_23=[1, 1],
                has_child_24_59=[0, 0],
                water_source=["piped", "piped"],
                latrine=["none", "none"],
            )

    def test_counts(self) -> None:
        res = classify_krs(
            wife_age=[20, 40, 60],
            pregnant=[0, 0, 0],
            children_count=[1, 1, 1],
            min_birth_interval_months=[np.nan] * 3,
            has_child_0_23=[1, 0, 0],
            has_child_24_59=[0, 0, 0],
            water_source=["piped", "piped", "piped"],
            latrine=["none", "own_septic", "none"],
        )
        assert res.counts() == {
            "families": 3,
            "target_families": 2,
            "krs": 2,
            "water": 0,
            "latrine": 1,
            "too_young": 0,
            "too_old": 1,
            "too_close": 0,
            "too_many": 0,
        }


class TestRules:
    def test_rejects_unknown_water_code(self) -> None:
        with pytest.raises(ValueError, match="sumur"):
            KrsRules(improved_water=frozenset({"sumur"}))  # type: ignore[arg-type]

    def test_defaults_are_the_cited_ones(self) -> None:
        rules = KrsRules()
        assert (rules.too_old_over, rules.too_many_over) == (35, 3)
        assert rules.include_2024_factors is False
        assert WaterSource.protected_spring not in rules.improved_water
        assert rules.improper_latrine == {Latrine.no_septic, Latrine.none}


def _code(options: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from([*options, ""])


family_rows = st.fixed_dictionaries(
    {
        "family_id": st.just("F"),
        "wife_age": st.one_of(st.integers(10, 60).map(str), st.just("")),
        "pregnant": _code(["y", "n"]),
        "children_count": st.one_of(st.integers(0, 8).map(str), st.just("")),
        "min_birth_interval_months": st.one_of(
            st.integers(0, 60).map(str), st.just("")
        ),
        "has_child_0_23": _code(["y", "n"]),
        "has_child_24_59": _code(["y", "n"]),
        "water_source": _code([str(w) for w in WaterSource]),
        "latrine": _code([str(x) for x in Latrine]),
        "modern_contraception": _code(["y", "n"]),
        "welfare_decile": st.one_of(st.integers(1, 10).map(str), st.just("")),
    }
)


class TestProperties:
    @settings(max_examples=40, deadline=None)
    @given(rows=st.lists(family_rows, min_size=1, max_size=8), with_2024=st.booleans())
    def test_krs_means_target_and_a_listed_factor(
        self, rows: list[dict[str, str]], with_2024: bool
    ) -> None:
        rules = KrsRules(include_2024_factors=with_2024)
        out = classify_family_table(pd.DataFrame(rows, columns=INPUT_COLUMNS), rules)
        order = FACTORS_BASE + (FACTORS_2024 if with_2024 else ())
        for target, krs, factors in zip(
            out["target_family"], out["krs"], out["risk_factors"], strict=True
        ):
            listed = factors.split(";") if factors else []
            assert krs == ("y" if target == "y" and listed else "n")
            assert listed == [f for f in order if f in listed]  # fixed order, no dups
        # Valid codes give no cell issues (only the children_count contradiction may show).
        assert not out["issues"].str.contains("y/n|code|number|outside").any()

    @settings(max_examples=30, deadline=None)
    @given(row=family_rows, column=st.sampled_from(INPUT_COLUMNS[1:]))
    def test_filling_a_blank_never_removes_a_factor(
        self, row: dict[str, str], column: str
    ) -> None:
        """A blank is 'not counted': learning the value can add factors, never remove."""
        full = dict(row)
        if full[column] != "":
            blanked = {**full, column: ""}
            before = classify_one(**blanked)["risk_factors"]
            after = classify_one(**full)["risk_factors"]
            assert set(filter(None, before.split(";"))) <= set(after.split(";"))


class TestFamilyInputs:
    """Deriving the inputs from register member rows (family_role, birth_date, sex)."""

    members = pd.DataFrame(
        {
            "family_id": [1, 1, 1, 1, 2, 2, 3, 4],
            "family_role": [
                "kepala",
                "istri",
                "anak",
                "anak",
                "kepala",
                "anak",
                "kepala",
                "istri",
            ],
            "sex": ["M", "F", "F", "M", "F", "M", "M", "F"],
            "birth_date": [
                "1985-01-01",
                "1989-06-02",  # 35 on 2024-06-01: the day before her 35th birthday -> 34
                "2022-07-01",  # 23 completed months on 2024-06-01
                "2020-07-15",  # 46 months; born 23.5 months before the sibling
                "1994-06-01",  # female head, 30 on 2024-06-01
                "2022-05-31",  # 24 completed months
                "1970-01-01",
                "2006-06-02",  # 17
            ],
        }
    )
    families = pd.DataFrame(
        {
            "family_id": [1, 2, 3, 4],
            "water_source": ["piped", "rainwater", None, "piped"],
            "latrine": ["own_septic", "own_septic", "none", "none"],
            "wife_pregnant": [False, None, None, True],
            "wife_modern_contraception": [True, False, None, False],
            "welfare_decile": [3, 1, None, 2],
            "surveyed_on": ["2024-06-01", "2024-06-01", None, "2024-06-01"],
        }
    )

    def test_derived_columns(self) -> None:
        out = family_inputs(self.members, self.families, as_of="2024-06-01")
        assert out["wife_age"].tolist()[:2] == [34.0, 30.0]
        assert np.isnan(out["wife_age"].iloc[2])  # male head, no wife
        assert out["children_count"].tolist() == [2.0, 1.0, 0.0, 0.0]
        assert out["min_birth_interval_months"].iloc[0] == pytest.approx(716 / 30.4375)
        assert out["has_child_0_23"].tolist() == [1.0, 0.0, 0.0, 0.0]
        assert out["has_child_24_59"].tolist() == [1.0, 1.0, 0.0, 0.0]
        assert out["pregnant"].tolist()[0] == 0.0
        assert np.isnan(out["pregnant"].iloc[1])

    def test_classified(self) -> None:
        res = classify_krs_frame(
            family_inputs(self.members, self.families, as_of="2024-06-01")
        )
        assert res.target_family.tolist() == [True, True, False, True]
        assert res.krs.tolist() == [True, True, False, True]
        assert res.risk_factors_text().tolist() == [
            "too_close",
            "water",
            "latrine",
            "latrine;too_young",
        ]


class TestRerun:
    def test_classifying_an_output_again_replaces_its_columns(self) -> None:
        first = classify_family_table(family(latrine="none"))
        first["krs"] = ["n"]  # a stale or hand-edited answer
        again = classify_family_table(first)
        assert list(again.columns) == list(first.columns)
        assert again["krs"].tolist() == ["y"]
