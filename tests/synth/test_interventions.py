"""Interventions in the synthetic province: decided before the outcomes, written in the import
layout, with the published effects put in the model, and the cost of the gaps measurable."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tumbuh.register.models import Person
from tumbuh.synth import SynthConfig, model, synthesize
from tumbuh.synth import interventions as iv

N_CHILDREN = 4_000


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("synth_iv")
    synthesize(SynthConfig(children=N_CHILDREN, seed=21), d)
    return d


@pytest.fixture(scope="module")
def kids(out: Path) -> pd.DataFrame:
    return pd.read_csv(
        out / "truth" / "children.csv", dtype={"nik": str, "kode_desa": str}
    )


@pytest.fixture(scope="module")
def records(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / iv.FILE_NAME, dtype=str, keep_default_na=False)


def _risk_ratio(a: int, n1: int, c: int, n2: int) -> tuple[float, float, float]:
    """Independent of iv.relative_risk: (rr, low, high), 95 % on the log scale."""
    p1, p2 = a / n1, c / n2
    se = math.sqrt((1 - p1) / a + (1 - p2) / c)
    rr = p1 / p2
    return rr, rr / math.exp(1.96 * se), rr * math.exp(1.96 * se)


class TestRecords:
    def test_the_file_has_the_columns_the_importer_reads(
        self, records: pd.DataFrame
    ) -> None:
        from tumbuh.imports.interventions import COLUMNS

        assert list(records.columns) == list(iv.IMPORT_COLUMNS)
        matched = COLUMNS.match(list(records.columns))
        assert {
            "code",
            "nik",
            "no_kk",
            "given_on",
            "status",
            "sector",
            "quantity",
        } <= set(matched)

    def test_ttd_records_carry_their_tablets_and_other_records_none(
        self, records: pd.DataFrame
    ) -> None:
        ttd = records["Kode Intervensi"] == "ttd_hamil"
        tablets = pd.to_numeric(records.loc[ttd, "Jumlah"])
        assert set(tablets) == set(iv.TTD_TABLETS)
        share_90 = float((tablets >= 90).mean())
        assert 0.5 < share_90 < 0.7  # 0.60 expected
        assert (records.loc[~ttd, "Jumlah"] == "").all()

    def test_every_record_is_dated_in_the_years_and_names_one_subject(
        self, records: pd.DataFrame
    ) -> None:
        assert records["Tanggal"].between("2022-01-01", "2025-12-31").all()
        person = records["NIK"] != ""
        family = records["No KK"] != ""
        assert (person ^ family).all()
        fam_codes = {i.code for i in model.INTERVENTIONS if i.unit == "family"}
        assert set(records.loc[family, "Kode Intervensi"]) == fam_codes
        assert set(records["Status"]) == {"given", "verified", "planned"}
        assert not records.duplicated(
            ["Kode Intervensi", "NIK", "No KK", "Tanggal"]
        ).any()

    def test_child_records_go_to_children_who_received_the_kind(
        self, records: pd.DataFrame, kids: pd.DataFrame
    ) -> None:
        for code in ("mpasi", "imunisasi", "asi_eksklusif"):
            given = records.loc[
                (records["Kode Intervensi"] == code) & (records["Status"] != "planned"),
                "NIK",
            ]
            got = kids.set_index("nik")[f"iv_{code}"]
            assert len(given) > 100
            assert (got.reindex(given.unique()) == 1).all()

    def test_pmt_goes_only_to_kek_pregnancies_and_wash_only_to_families_lacking_it(
        self, kids: pd.DataFrame
    ) -> None:
        assert ((kids["iv_pmt_bumil_kek"] >= 0) == (kids["maternal_kek"] == 1)).all()
        assert ((kids["iv_sanitasi"] >= 0) == (kids["no_proper_latrine"] == 1)).all()
        assert ((kids["iv_air_minum"] >= 0) == (kids["unsafe_water"] == 1)).all()
        # the missed_immunisation risk factor is "immunisation not received"
        assert ((kids["iv_imunisasi"] == 0) == (kids["missed_immunisation"] == 1)).all()

    def test_coverage_differs_by_sector_and_by_desa(self, kids: pd.DataFrame) -> None:
        def share(code: str) -> pd.Series:
            el = kids.loc[kids[f"iv_{code}"] >= 0]
            return el.groupby("kode_desa")[f"iv_{code}"].mean()

        health, works = share("ttd_hamil"), share("sanitasi")
        # sector bases: Dinkes 0.75, PUPR/Perkim 0.3 (model.IV_SECTOR_BASE)
        assert health.mean() > works.mean() + 0.2
        big = kids.groupby("kode_desa").size()
        sd = share("ttd_hamil")[big[big >= 15].index].std()
        assert sd > 0.12  # beyond the binomial SD of ~0.11 at 15 children

    def test_growth_monitoring_records_are_the_first_weighing_of_each_year(
        self, out: Path, records: pd.DataFrame
    ) -> None:
        pm = records.loc[records["Kode Intervensi"] == "pantau_tumbuh"]
        assert pm["NIK"].str.cat(pm["Tanggal"].str[:4]).is_unique
        assert (pm["Status"] == "given").all()


class TestEffects:
    def test_iron_tablets_lower_low_birth_weight_by_about_the_published_risk_ratio(
        self, tmp_path: Path
    ) -> None:
        synthesize(SynthConfig(children=40_000, seed=4), tmp_path, "parquet")
        kids = pd.read_parquet(tmp_path / "children")
        no_pmt = kids["iv_pmt_bumil_kek"] != 1  # PMT has its own risk ratio
        got = kids.loc[no_pmt & (kids["iv_ttd_hamil"] == 1), "low_birth_weight"]
        missed = kids.loc[no_pmt & (kids["iv_ttd_hamil"] == 0), "low_birth_weight"]
        rr, lo, hi = _risk_ratio(
            int(got.sum()), len(got), int(missed.sum()), len(missed)
        )
        assert lo < 0.81 < hi  # the risk ratio put in (Pena-Rosas 2012)
        assert hi < 1.0

    def test_mpasi_shifts_the_decline_by_0_25_or_0_41_with_food(
        self, kids: pd.DataFrame
    ) -> None:
        food = (kids["iv_bansos_pangan"] == 1) & (kids["poverty_decile_1_2"] == 1)
        expected = np.where(kids["iv_mpasi"] == 1, np.where(food, 0.41, 0.25), 0.0)
        assert np.allclose(kids["iv_haz_shift_z"], expected)
        assert (kids["iv_haz_shift_z"] == 0.41).sum() > 10

    def test_without_effects_the_same_people_are_reached(self, tmp_path: Path) -> None:
        a = synthesize(SynthConfig(children=1_500, seed=9), tmp_path / "a", "parquet")
        b = synthesize(
            SynthConfig(children=1_500, seed=9, intervention_effects=False),
            tmp_path / "b",
            "parquet",
        )
        ka = pd.read_parquet(a.out_dir / "children")
        kb = pd.read_parquet(b.out_dir / "children")
        cols = [c for c in ka.columns if c.startswith("iv_") and c != "iv_haz_shift_z"]
        cols.remove("iv_pmt_bumil_kek")  # eligibility follows KEK, the same here
        pd.testing.assert_frame_equal(ka[cols], kb[cols])
        assert (kb["iv_haz_shift_z"] == 0).all()
        assert (ka["iv_haz_shift_z"] > 0).any()


@pytest.fixture(scope="module")
def gaps(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    out: dict[bool, Path] = {}
    for effects in (True, False):
        d = tmp_path_factory.mktemp(f"gaps_{effects}")
        cfg = SynthConfig(children=40_000, seed=3, intervention_effects=effects)
        synthesize(cfg, d, "parquet")
        out[effects] = d
    return out


def _province(d: Path) -> pd.Series:
    table = pd.read_csv(
        d / "truth" / "package_new_cases.csv", dtype={"region_code": str}
    )
    return table.loc[table["region_code"] == "64"].iloc[0]


class TestCostOfGaps:
    def test_the_table_equals_a_count_from_the_children_truth(
        self, gaps: dict[bool, Path]
    ) -> None:
        kids = pd.read_parquet(gaps[True] / "children")
        years = sorted(int(c[8:]) for c in kids.columns if c.startswith("stunted_"))
        at_risk = np.zeros(2, dtype=np.int64)
        new = np.zeros(2, dtype=np.int64)
        missing = (kids["iv_full_package"] == 0).to_numpy()
        for y0, y1 in zip(years, years[1:], strict=False):
            before, now = kids[f"stunted_{y0}"], kids[f"stunted_{y1}"]
            risk = ((before == 0) & (now >= 0)).to_numpy()
            case = risk & (now == 1).to_numpy()
            for m in (0, 1):
                sel = missing == bool(m)
                at_risk[m] += int((risk & sel).sum())
                new[m] += int((case & sel).sum())
        row = _province(gaps[True])
        assert (row["at_risk_full"], row["at_risk_missing"]) == tuple(at_risk)
        assert (row["new_cases_full"], row["new_cases_missing"]) == tuple(new)

    def test_children_who_missed_an_effective_intervention_become_new_cases_more_often(
        self, gaps: dict[bool, Path]
    ) -> None:
        on, off = _province(gaps[True]), _province(gaps[False])
        # With the effects: missing the package raises the new-case rate, clearly.
        assert on["rr_ci_low"] > 1.1
        # Without them the same comparison shows only the confounding (KEK mothers have
        # one more kind to miss and KEK is itself a risk factor): near 1. Measured 1.12
        # (1.055-1.188) at seed 3 since the realism calibration (issue 14: fewer families
        # at risk for other reasons, so KEK weighs more); 1.03-1.05 before.
        assert (
            off["rr_ci_low"] < 1.0 < off["rr_ci_high"]
            or off["rr_missing_vs_full"] < 1.2
        )
        # The difference is the effect put in: about a fifth more new cases (measured
        # 1.38 against 1.12 at seed 3, docs/synthetic.md; 1.26 against 1.03 before).
        assert on["rr_missing_vs_full"] / off["rr_missing_vs_full"] > 1.12

    def test_the_calibration_still_holds_with_the_effects(
        self, gaps: dict[bool, Path]
    ) -> None:
        survey = pd.read_csv(
            gaps[True] / "truth" / "survey_prevalence.csv", dtype={"region_code": str}
        )
        kab = survey.loc[
            (survey["region_code"].str.len() == 5)
            & (survey["target_basis"] == "published")
        ]
        assert (kab["survey_pct"] - kab["target_pct"]).abs().max() < 2.0


@pytest.mark.slow
class TestImportedProvince:
    """The province imported through the real importers: the records land, and the package
    status tumbuh reads back from the register equals the generator's truth."""

    def test_package_status_from_the_register_equals_the_truth(
        self, tmp_path: Path
    ) -> None:
        from sqlalchemy import create_engine, func, select
        from sqlalchemy.orm import Session
        from typer.testing import CliRunner

        from tumbuh.cli import app
        from tumbuh.interventions.models import Intervention
        from tumbuh.interventions.outcomes import new_cases_by_package, package_status

        url = f"sqlite:///{tmp_path / 'p.db'}"
        out = tmp_path / "o"
        res = CliRunner().invoke(
            app,
            ["--lang", "en", "synth", "--children", "2500", "--seed", "8",
             "--out", str(out), "--db", url],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        line = next(
            x for x in res.output.splitlines() if x.startswith("interventions:")
        )
        written = (out / iv.FILE_NAME).read_text().count("\n") - 1
        assert f"read {written:,}, inserted " in line
        truth = pd.read_csv(out / "truth" / "children.csv", dtype={"nik": str})
        engine = create_engine(url)
        with Session(engine) as session:
            n_db = session.scalar(
                select(func.count())
                .select_from(Intervention)
                .where(Intervention.source_file == iv.FILE_NAME)
            )
            assert n_db is not None
            assert n_db >= written - 5  # a handful may name a child never registered
            status = package_status(session)
            nik = dict(
                session.execute(
                    select(Person.id, Person.nik).where(
                        Person.id.in_(status["child_id"].tolist())
                    )
                ).all()
            )
            rows = new_cases_by_package(session)
        engine.dispose()
        status["nik"] = status["child_id"].map(nik)
        both = status.merge(truth, on="nik")
        assert len(both) == len(status) > 300
        assert (both["ttd"] == (both["iv_ttd_hamil"] == 1)).all()
        assert (both["kek"] == (both["maternal_kek"] == 1)).all()
        assert (both["mpasi"] == (both["iv_mpasi"] == 1)).all()
        assert (both["full"] == (both["iv_full_package"] == 1)).all()
        province = [r for r in rows if r.region_code == "64"]
        assert {r.year for r in province} >= {2024, 2025}
        assert all(r.at_risk_full + r.at_risk_missing > 0 for r in province)
        cli = CliRunner().invoke(
            app,
            [
                "--lang",
                "en",
                "interventions",
                "outcomes",
                "--db",
                url,
                "--year",
                "2025",
            ],
        )
        assert cli.exit_code == 0, cli.output
        assert cli.output.startswith("observational")
        r25 = next(r for r in province if r.year == 2025)
        assert f"full {r25.new_cases_full}/{r25.at_risk_full} " in cli.output
