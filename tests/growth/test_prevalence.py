"""``prevalence`` on tiny hand-checkable surveys: the rules and the three estimators."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from tumbuh.growth.prevalence import (
    AGE_GROUP_LABELS,
    PREVALENCE_COLUMNS,
    Grouping,
    prevalence,
    wealth_quintile,
)


@dataclass
class Z:
    """Z-scores and flags as the kernel returns them (NaN = missing)."""

    zlen: list[float]
    zwei: list[float] | None = None
    zbmi: list[float] | None = None
    zwfl: list[float] | None = None
    flen: list[float] | None = None
    fwei: list[float] | None = None
    fbmi: list[float] | None = None
    fwfl: list[float] | None = None

    def __post_init__(self) -> None:
        n = len(self.zlen)
        for name in ("zwei", "zbmi", "zwfl"):
            if getattr(self, name) is None:
                setattr(self, name, [0.0] * n)
        for name in ("flen", "fwei", "fbmi", "fwfl"):
            if getattr(self, name) is None:
                z = np.asarray(getattr(self, "z" + name[1:]), dtype=float)
                setattr(self, name, np.where(np.isnan(z), np.nan, 0.0).tolist())


def t975(df: float) -> float:
    return float(stats.t.ppf(0.975, df))


def expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def logit(p: float) -> float:
    return math.log(p / (1 - p))


AGES = [100.0, 400.0, 800.0, 1200.0, 1600.0]  # one child in five different age groups


class TestSimpleEstimator:
    z = Z(zlen=[-2.0, -2.01, -3.5, 0.0, 1.0])

    def test_prevalence_is_the_share_strictly_below_the_cut_off(self) -> None:
        row = prevalence(self.z, sex=[1, 2, 1, 2, 1], age_days=AGES).row("All")
        assert row["HA_2_r"] == pytest.approx(40.0)  # -2.01 and -3.5; -2.0 is not < -2
        assert row["HA_3_r"] == pytest.approx(20.0)
        assert row["HA1_r"] == 0.0  # 1.0 is not > 1
        assert row["HAZ_pop"] == row["HAZ_unwpop"] == 5

    def test_standard_error_and_logit_interval_by_hand(self) -> None:
        row = prevalence(self.z, sex=[1, 2, 1, 2, 1], age_days=AGES).row("All")
        n = big_n = 5
        p = 0.4
        ss = 2 * (1 - p) ** 2 + 3 * p**2
        se = math.sqrt(big_n / (big_n - 1)) * math.sqrt(ss) / n
        half = t975(big_n - 1) * math.sqrt(big_n / (big_n - 1) / (n * p * (1 - p)))
        assert row["HA_2_se"] == pytest.approx(100 * se, rel=1e-12)
        assert row["HA_2_ll"] == pytest.approx(100 * expit(logit(p) - half), rel=1e-12)
        assert row["HA_2_ul"] == pytest.approx(100 * expit(logit(p) + half), rel=1e-12)

    def test_mean_sd_and_interval_of_z_by_hand(self) -> None:
        zs = self.z.zlen
        row = prevalence(self.z, sex=[1, 2, 1, 2, 1], age_days=AGES).row("All")
        mean = statistics.fmean(zs)
        se = math.sqrt(5 / 4) * math.sqrt(sum((x - mean) ** 2 for x in zs)) / 5
        assert row["HA_r"] == pytest.approx(mean, rel=1e-12)
        assert row["HA_stdev"] == pytest.approx(statistics.stdev(zs), rel=1e-12)
        assert row["HA_se"] == pytest.approx(se, rel=1e-12)
        assert row["HA_ll"] == pytest.approx(mean - t975(4) * se, rel=1e-12)

    def test_group_se_uses_all_rows_for_n_over_n_minus_1(self) -> None:
        row = prevalence(self.z, sex=[1, 2, 1, 2, 1], age_days=AGES).row("Sex: Male")
        vals = [-2.0, -3.5, 1.0]
        mean = statistics.fmean(vals)
        se = math.sqrt(5 / 4) * math.sqrt(sum((x - mean) ** 2 for x in vals)) / 3
        assert row["HA_se"] == pytest.approx(se, rel=1e-12)
        assert row["HA_ul"] == pytest.approx(mean + t975(4) * se, rel=1e-12)

    def test_zero_prevalence_has_a_zero_width_interval(self) -> None:
        row = prevalence(self.z, sex=[1, 2, 1, 2, 1], age_days=AGES).row("All")
        assert (row["HA3_r"], row["HA3_se"], row["HA3_ll"], row["HA3_ul"]) == (
            0,
            0,
            0,
            0,
        )

    def test_a_single_value_has_no_standard_deviation(self) -> None:
        row = prevalence(self.z, sex=[1, 2, 1, 2, 1], age_days=AGES).row(
            "Age group: 00-05 mo"
        )
        assert row["HA_r"] == -2.0
        assert math.isnan(row["HA_stdev"])
        assert row["HA_se"] == 0.0


class TestRules:
    def test_flagged_z_scores_are_missing_but_the_row_still_counts_in_n(self) -> None:
        z = Z(zlen=[-6.5, -2.5, 0.0, 0.0], flen=[1, 0, 0, 0])
        res = prevalence(z, sex=[1, 1, 2, 2], age_days=AGES[:4])
        row = res.row("All")
        assert row["HAZ_unwpop"] == 3
        assert row["HA_2_r"] == pytest.approx(100 / 3)
        assert res.degrees_of_freedom == 3  # N - 1 with N = 4 rows

    def test_oedema_counts_as_minus_3_1_for_weight_prevalences_only(self) -> None:
        z = Z(zlen=[-1.0, -1.0, -1.0], zwei=[0.5, 0.5, np.nan], zwfl=[0.0, 1.0, np.nan])
        res = prevalence(
            z, sex=[1, 1, 2], age_days=AGES[:3], oedema=[False, False, True]
        )
        row = res.row("All")
        assert (
            row["WAZ_pop"] == 3
        )  # the oedema child counts, though its weight is missing
        assert row["WA_3_r"] == pytest.approx(100 / 3)
        assert row["WA_r"] == pytest.approx(0.5)  # but not in the mean z
        assert row["WHZ_pop"] == 3
        assert row["WH_r"] == pytest.approx(0.5)
        assert row["HA_3_r"] == 0.0

    def test_oedema_overrides_a_weight_z_score(self) -> None:
        z = Z(zlen=[0.0, 0.0], zwei=[1.5, 1.5])
        row = prevalence(z, sex=[1, 2], age_days=AGES[:2], oedema=[1, 0]).row("All")
        assert row["WA1_r"] == 50.0
        assert row["WA_r"] == 1.5

    def test_combined_stunting_with_wasting_and_overweight(self) -> None:
        z = Z(zlen=[-2.5, -2.5, -2.5, 0.0, np.nan], zwfl=[-2.5, 2.5, 0.0, -2.5, -2.5])
        row = prevalence(z, sex=[1] * 5, age_days=AGES).row("All")
        assert row["HA_2_WH_2_unwpop"] == 4  # missing if either z is missing
        assert row["HA_2_WH_2_r"] == pytest.approx(25.0)
        assert row["HA_2_WH2_r"] == pytest.approx(25.0)

    def test_rows_above_1826_days_are_dropped_and_missing_ages_kept(self) -> None:
        z = Z(zlen=[-3.0, -3.0, -3.0, -3.0])
        ages = [1826.2, 1826.5, np.nan, 100.0]  # 1826.5 rounds half up to 1827
        res = prevalence(z, sex=[1, 1, 1, 1], age_days=ages)
        assert res.n_used == 3
        assert res.notes[0].startswith("1 rows will be excluded")
        assert res.row("All")["HAZ_unwpop"] == 3
        assert res.row("Sex: Male")["HAZ_unwpop"] == 3
        in_age_groups = sum(
            res.row(f"Age group: {a}")["HAZ_unwpop"] for a in AGE_GROUP_LABELS
        )
        assert in_age_groups == 2  # the child without an age is in no age group

    def test_age_groups_use_the_unrounded_age_in_months(self) -> None:
        # 182.62 days = 5.9998 months (rounded to 183 days it would be 6.01 months)
        res = prevalence(Z(zlen=[0.0, 0.0]), sex=[1, 2], age_days=[182.62, 182.625])
        assert res.row("Age group: 00-05 mo")["HAZ_unwpop"] == 1
        assert res.row("Age group: 06-11 mo")["HAZ_unwpop"] == 1

    def test_age_in_months_is_the_same_as_days(self) -> None:
        z = Z(zlen=[-2.5, 0.0, 1.0])
        months = [5.5, 30.0, 59.9]
        by_months = prevalence(z, sex=[1, 2, 1], age_months=months)
        by_days = prevalence(z, sex=[1, 2, 1], age_days=[m * 30.4375 for m in months])
        np.testing.assert_array_equal(by_months.values, by_days.values)

    def test_empty_groups_have_zero_counts_and_missing_estimates(self) -> None:
        res = prevalence(Z(zlen=[-2.5, 0.0]), sex=[1, 1], age_days=[100.0, 400.0])
        row = res.row("Age + sex: 48-59 mo.Female")
        assert row["HAZ_pop"] == 0
        assert row["HAZ_unwpop"] == 0
        assert math.isnan(row["HA_2_r"])
        assert math.isnan(row["HA_r"])
        assert res.row("Sex: Female")["HAZ_unwpop"] == 0

    def test_groupings_without_any_value_are_left_out(self) -> None:
        res = prevalence(
            Z(zlen=[0.0, 1.0]), sex=[np.nan, np.nan], age_days=[np.nan] * 2
        )
        assert res.groups == ("All",)

    def test_rows_in_anthro_order(self) -> None:
        res = prevalence(Z(zlen=[0.0] * 5), sex=[1, 2, 1, 2, 1], age_days=AGES)
        assert res.groups[:3] == ("All", "Age group: 00-05 mo", "Age group: 06-11 mo")
        assert res.groups[7:9] == ("Sex: Female", "Sex: Male")
        assert res.groups[9] == "Age + sex: 00-05 mo.Female"
        assert res.groups[-1] == "Age + sex: 48-59 mo.Male"
        assert res.values.shape == (21, len(PREVALENCE_COLUMNS)) == (21, 134)


class TestGroupings:
    def test_extra_grouping_rows_in_order_of_first_appearance(self) -> None:
        res = prevalence(
            Z(zlen=[-2.5, 0.0, 0.0]),
            sex=[1, 2, 1],
            age_days=AGES[:3],
            groupings=[Grouping("Area", ["Urban", None, "Rural"])],
        )
        assert res.groups[-2:] == ("Area: Urban", "Area: Rural")
        assert res.row("Area: Urban")["HA_2_r"] == 100.0

    def test_wealth_quintiles_get_anthros_labels_and_all_five_rows(self) -> None:
        res = prevalence(
            Z(zlen=[0.0, 0.0, 0.0]),
            sex=[1, 2, 1],
            age_days=AGES[:3],
            groupings=[wealth_quintile([1, "Q5", "2"])],
        )
        labels = [g for g in res.groups if g.startswith("Wealth")]
        assert labels == [
            "Wealth quintile: Q1: Poorest",
            "Wealth quintile: Q2",
            "Wealth quintile: Q3",
            "Wealth quintile: Q4",
            "Wealth quintile: Q5: Richest",
        ]
        assert res.row("Wealth quintile: Q3")["HAZ_pop"] == 0
        assert res.row("Wealth quintile: Q5: Richest")["HAZ_pop"] == 1

    def test_values_outside_the_levels_are_missing_and_noted(self) -> None:
        res = prevalence(
            Z(zlen=[0.0, 0.0]),
            sex=[1, 2],
            age_days=AGES[:2],
            groupings=[wealth_quintile([1, 7])],
        )
        assert (
            sum(
                res.row(f"Wealth quintile: {q}")["HAZ_pop"]
                for q in ("Q1: Poorest", "Q2")
            )
            == 1
        )
        assert any("outside" in n for n in res.notes)

    def test_numeric_group_values_are_labelled_as_text(self) -> None:
        res = prevalence(
            Z(zlen=[0.0, 0.0]),
            sex=[1, 2],
            age_days=AGES[:2],
            groupings=[Grouping("District", [6401.0, np.nan])],
        )
        assert res.groups[-1] == "District: 6401"


class TestWeightsOnly:
    z = Z(zlen=[0.0, 1.0, 2.0, -2.5])
    w = [1.0, 2.0, 3.0, 4.0]

    def test_all_weights_one_use_the_simple_formulas(self) -> None:
        plain = prevalence(self.z, sex=[1, 2, 1, 2], age_days=AGES[:4])
        ones = prevalence(
            self.z, sex=[1, 2, 1, 2], age_days=AGES[:4], weights=[1.0] * 4
        )
        assert ones.method == plain.method == "simple"
        np.testing.assert_array_equal(ones.values, plain.values)

    def test_weighted_mean_sd_and_se_by_hand(self) -> None:
        res = prevalence(self.z, sex=[1, 2, 1, 2], age_days=AGES[:4], weights=self.w)
        assert res.method == "hybrid"
        row = res.row("All")
        zs, w = self.z.zlen, self.w
        sw = sum(w)
        r = sum(wi * zi for wi, zi in zip(w, zs, strict=True)) / sw
        sd = math.sqrt(
            sum(wi / sw * (zi - r) ** 2 for wi, zi in zip(w, zs, strict=True)) * 4 / 3
        )
        se = (
            math.sqrt(4 / 3)
            * math.sqrt(sum((wi * (zi - r)) ** 2 for wi, zi in zip(w, zs, strict=True)))
            / sw
        )
        assert row["HAZ_pop"] == pytest.approx(10.0)
        assert row["HAZ_unwpop"] == 4
        assert row["HA_r"] == pytest.approx(r, rel=1e-12)
        assert row["HA_stdev"] == pytest.approx(sd, rel=1e-12)
        assert row["HA_se"] == pytest.approx(se, rel=1e-12)
        assert row["HA_ll"] == pytest.approx(r - t975(3) * se, rel=1e-12)

    def test_weighted_prevalence_se_with_every_child_its_own_psu(self) -> None:
        row = prevalence(
            self.z, sex=[1, 2, 1, 2], age_days=AGES[:4], weights=self.w
        ).row("All")
        y = [0, 0, 0, 1]
        sw = sum(self.w)
        p = 4 / sw
        u = [wi * (yi - p) / sw for wi, yi in zip(self.w, y, strict=True)]
        ubar = sum(u) / 4
        se = math.sqrt(4 / 3 * sum((ui - ubar) ** 2 for ui in u))
        assert row["HA_2_r"] == pytest.approx(100 * p)
        assert row["HA_2_se"] == pytest.approx(100 * se, rel=1e-12)

    def test_missing_weights_become_zero_and_are_noted(self) -> None:
        res = prevalence(
            self.z, sex=[1, 2, 1, 2], age_days=AGES[:4], weights=[1.0, np.nan, 3.0, 4.0]
        )
        assert res.notes == (
            "1 rows had missing sampling weights and they will be set to 0. "
            "Doing this excludes them in the prevalence calculation.",
        )
        row = res.row("All")
        assert row["HAZ_unwpop"] == 4  # still counted unweighted
        assert row["HAZ_pop"] == pytest.approx(8.0)
        assert res.degrees_of_freedom == 2  # 3 children with a weight, minus 1

    def test_negative_weights_are_refused(self) -> None:
        with pytest.raises(ValueError, match="negative sampling weights"):
            prevalence(self.z, sex=[1] * 4, age_days=AGES[:4], weights=[1, -1, 1, 1])


def _design_by_hand(
    y: list[float], w: list[float], psu: list[int], stratum_of_psu: dict[int, int]
) -> tuple[float, float]:
    """Ratio estimate and its linearisation SE, written out loop by loop."""
    sw = sum(wi for wi, yi in zip(w, y, strict=True) if not math.isnan(yi))
    r = sum(wi * yi for wi, yi in zip(w, y, strict=True) if not math.isnan(yi)) / sw
    totals = dict.fromkeys(stratum_of_psu, 0.0)
    for yi, wi, pi in zip(y, w, psu, strict=True):
        if not math.isnan(yi):
            totals[pi] += wi * (yi - r) / sw
    var = 0.0
    for h in set(stratum_of_psu.values()):
        us = [totals[p] for p, s in stratum_of_psu.items() if s == h]
        if len(us) == 1:  # lonely PSU, "adjust": deviation from zero
            var += us[0] ** 2
        else:
            mean = sum(us) / len(us)
            var += len(us) / (len(us) - 1) * sum((u - mean) ** 2 for u in us)
    return r, math.sqrt(var)


class TestSurveyDesign:
    # two strata; stratum "a" has clusters 1, 2 (cluster labels reused in "b": nested)
    # and stratum "b" has clusters 1, 2, 3
    strata = ["a", "a", "a", "a", "b", "b", "b", "b", "b"]
    cluster = [1, 1, 2, 2, 1, 1, 2, 3, 3]
    psu = [0, 0, 1, 1, 2, 2, 3, 4, 4]
    stratum_of_psu = {0: 0, 1: 0, 2: 1, 3: 1, 4: 1}
    w = [1.0, 2.0, 1.5, 1.0, 3.0, 1.0, 2.0, 2.5, 1.0]
    zlen = [-2.5, 0.0, -3.1, 0.5, np.nan, -2.2, 1.0, 0.2, -1.0]
    sex = [1, 2, 1, 2, 1, 2, 1, 2, 1]

    def result(self, **kw: object):  # type: ignore[no-untyped-def]
        args = {"weights": self.w, "cluster": self.cluster, "strata": self.strata}
        args.update(kw)
        return prevalence(Z(zlen=self.zlen), sex=self.sex, age_days=[400.0] * 9, **args)  # type: ignore[arg-type]

    def test_mean_z_and_se_match_the_formula_written_out(self) -> None:
        res = self.result()
        assert res.method == "survey"
        r, se = _design_by_hand(self.zlen, self.w, self.psu, self.stratum_of_psu)
        row = res.row("All")
        assert row["HA_r"] == pytest.approx(r, rel=1e-12)
        assert row["HA_se"] == pytest.approx(se, rel=1e-12)
        assert res.degrees_of_freedom == 5 - 2  # PSUs minus strata
        assert row["HA_ul"] == pytest.approx(r + t975(3) * se, rel=1e-12)

    def test_domain_estimates_keep_the_whole_design(self) -> None:
        row = self.result().row("Sex: Male")
        y = [z if s == 1 else np.nan for z, s in zip(self.zlen, self.sex, strict=True)]
        r, se = _design_by_hand(y, self.w, self.psu, self.stratum_of_psu)
        assert row["HA_r"] == pytest.approx(r, rel=1e-12)
        assert row["HA_se"] == pytest.approx(se, rel=1e-12)

    def test_prevalence_se_and_a_logit_interval_close_to_the_delta_method(self) -> None:
        row = self.result().row("All")
        y = [np.nan if math.isnan(z) else float(z < -2) for z in self.zlen]
        p, se = _design_by_hand(y, self.w, self.psu, self.stratum_of_psu)
        assert row["HA_2_r"] == pytest.approx(100 * p, rel=1e-12)
        assert row["HA_2_se"] == pytest.approx(100 * se, rel=1e-12)
        # survey's logistic fit stops near logit(p): the bounds agree to ~1e-6
        half = t975(3) * se / (p * (1 - p))
        assert row["HA_2_ll"] == pytest.approx(100 * expit(logit(p) - half), abs=1e-5)
        assert row["HA_2_ul"] == pytest.approx(100 * expit(logit(p) + half), abs=1e-5)

    def test_a_lonely_psu_contributes_its_total_squared(self) -> None:
        strata = ["a", "a", "a", "a", "b", "b", "c", "c", "c"]  # "b" has one cluster
        cluster = [1, 1, 2, 2, 1, 1, 2, 3, 3]
        res = self.result(strata=strata, cluster=cluster)
        stratum_of_psu = {0: 0, 1: 0, 2: 1, 3: 2, 4: 2}
        r, se = _design_by_hand(self.zlen, self.w, self.psu, stratum_of_psu)
        assert res.row("All")["HA_se"] == pytest.approx(se, rel=1e-12)

    def test_sd_counts_weighted_rows_with_missing_z_in_n(self) -> None:
        row = self.result().row("All")
        vals = [
            (z, w) for z, w in zip(self.zlen, self.w, strict=True) if not math.isnan(z)
        ]
        sw = sum(w for _, w in vals)
        r = sum(z * w for z, w in vals) / sw
        n = 9  # survey's svyvar counts the row whose z is missing too
        var = sum(w * (z - r) ** 2 for z, w in vals) / sw * n / (n - 1)
        assert row["HA_stdev"] == pytest.approx(math.sqrt(var), rel=1e-12)

    def test_rows_without_cluster_or_stratum_are_dropped_and_noted(self) -> None:
        cluster: list[object] = list(self.cluster)
        cluster[0] = None
        res = self.result(cluster=cluster)
        assert res.n_used == 8
        assert res.notes == (
            "1 rows will be excluded for the prevalence computation due to missing "
            "cluster and strata.",
        )

    def test_a_single_cluster_makes_every_child_its_own_psu(self) -> None:
        res = self.result(cluster=[7] * 9, strata=None)
        stratum_of_psu = dict.fromkeys(range(9), 0)
        r, se = _design_by_hand(self.zlen, self.w, list(range(9)), stratum_of_psu)
        assert res.row("All")["HA_se"] == pytest.approx(se, rel=1e-12)
        assert res.degrees_of_freedom == 8

    def test_one_cluster_with_strata_children_are_psus_within_strata(self) -> None:
        strata = ["a", "a", "a", "b", "b", "b", "b", "b", "c"]  # "c": one child
        res = self.result(cluster=[1] * 9, strata=strata)
        stratum_of_psu = {i: "abc".index(h) for i, h in enumerate(strata)}
        for group, keep in (
            ("All", [True] * 9),
            ("Sex: Female", [x == 2 for x in self.sex]),
        ):
            row = res.row(group)
            z = [v if k else np.nan for v, k in zip(self.zlen, keep, strict=True)]
            r, se = _design_by_hand(z, self.w, list(range(9)), stratum_of_psu)
            assert row["HA_se"] == pytest.approx(se, rel=1e-12)
            y = [np.nan if math.isnan(v) else float(v < -2) for v in z]
            p, se_p = _design_by_hand(y, self.w, list(range(9)), stratum_of_psu)
            assert row["HA_2_se"] == pytest.approx(100 * se_p, rel=1e-12)
        assert res.degrees_of_freedom == 9 - 3

    def test_groups_of_a_text_grouping_are_sorted(self) -> None:
        res = self.result(groupings=[Grouping("Area", ["U", "R"] * 4 + ["U"])])
        assert res.groups[-2:] == ("Area: R", "Area: U")


class TestValidation:
    def test_refuses_both_ages(self) -> None:
        with pytest.raises(ValueError, match="age_days or age_months"):
            prevalence(Z(zlen=[0.0]), sex=[1], age_days=[1.0], age_months=[1.0])

    def test_names_the_parameter_with_the_wrong_length(self) -> None:
        with pytest.raises(ValueError, match="weights has 2 values, expected 3"):
            prevalence(Z(zlen=[0.0] * 3), sex=[1, 1, 1], weights=[1.0, 2.0])

    def test_unknown_column_name(self) -> None:
        res = prevalence(Z(zlen=[0.0]), sex=[1], age_days=[1.0])
        with pytest.raises(ValueError, match="unknown prevalence column"):
            res.column("HA_9_r")

    def test_records_start_with_the_group(self) -> None:
        rec = prevalence(Z(zlen=[-2.5]), sex=[1], age_days=[1.0]).records()[0]
        assert list(rec)[:3] == ["Group", "HAZ_pop", "HAZ_unwpop"]
        assert rec["Group"] == "All"
        assert rec["HA_2_r"] == 100.0


def _random_survey(seed: int, n: int = 80) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    zlen = np.round(rng.normal(-1.2, 1.3, n), 2)
    zlen[rng.random(n) < 0.1] = np.nan
    zwfl = np.round(rng.normal(-0.3, 1.2, n), 2)
    return {
        "z": Z(
            zlen=zlen.tolist(),
            zwei=np.round(rng.normal(-1, 1, n), 2).tolist(),
            zwfl=zwfl.tolist(),
        ),  # fmt: skip
        "sex": rng.integers(1, 3, n),
        "age_days": rng.uniform(0, 1850, n),
        "oedema": rng.random(n) < 0.05,
        "weights": rng.uniform(0.2, 3.0, n),
        "cluster": rng.integers(1, 6, n),
        "strata": rng.integers(1, 3, n),
        "area": rng.choice(["Urban", "Rural"], n),
    }


class TestProperties:
    @pytest.mark.parametrize("design", ["simple", "hybrid", "survey"])
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_row_order_does_not_matter(self, design: str, seed: int) -> None:
        s = _random_survey(seed)
        perm = np.random.default_rng(seed + 100).permutation(80)

        def run(idx: np.ndarray) -> np.ndarray:
            z: Z = s["z"]  # type: ignore[assignment]
            zz = Z(**{k: np.asarray(v)[idx].tolist() for k, v in vars(z).items()})
            kw = {k: np.asarray(s[k])[idx] for k in ("sex", "age_days", "oedema")}
            if design != "simple":
                kw["weights"] = np.asarray(s["weights"])[idx]
            if design == "survey":
                kw["cluster"] = np.asarray(s["cluster"])[idx]
                kw["strata"] = np.asarray(s["strata"])[idx]
            res = prevalence(
                zz, groupings=[Grouping("Area", np.asarray(s["area"])[idx])], **kw
            )
            assert res.method == design
            return res.values[np.argsort(res.groups)]

        np.testing.assert_allclose(run(perm), run(np.arange(80)), rtol=1e-9, atol=1e-12)

    @pytest.mark.parametrize("seed", [4, 5])
    def test_scaling_all_weights_scales_only_the_weighted_counts(
        self, seed: int
    ) -> None:
        s = _random_survey(seed)
        kw = {k: s[k] for k in ("sex", "age_days", "oedema", "cluster", "strata")}
        base = prevalence(s["z"], weights=s["weights"], **kw)  # type: ignore[arg-type]
        scaled = prevalence(s["z"], weights=np.asarray(s["weights"]) * 3.7, **kw)  # type: ignore[arg-type]
        pop = np.array([c.endswith("_pop") for c in PREVALENCE_COLUMNS])
        np.testing.assert_allclose(
            scaled.values[:, ~pop], base.values[:, ~pop], rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(
            scaled.values[:, pop], 3.7 * base.values[:, pop], rtol=1e-12
        )

    def test_the_all_row_of_a_group_equals_the_group_alone(self) -> None:
        s = _random_survey(6)
        z: Z = s["z"]  # type: ignore[assignment]
        male = np.asarray(s["sex"]) == 1
        full = prevalence(z, sex=s["sex"], age_days=s["age_days"])  # type: ignore[arg-type]
        only = prevalence(
            Z(**{k: np.asarray(v)[male].tolist() for k, v in vars(z).items()}),
            sex=np.asarray(s["sex"])[male],
            age_days=np.asarray(s["age_days"])[male],
        )
        # same estimates; only N (and so se/CI) differ in the simple estimator
        row_full, row_only = full.row("Sex: Male"), only.row("All")
        for col in ("HAZ_pop", "HA_2_r", "HA_r", "HA_stdev", "WA_1_r"):
            assert row_full[col] == pytest.approx(row_only[col], rel=1e-12)
