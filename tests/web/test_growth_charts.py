"""Growth-chart curves come from the kernel and match WHO's published SD lines."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import bearer, login

from tumbuh.errors import InvalidInput
from tumbuh.web.growth_charts import CHARTS, DAYS_PER_MONTH, curves


def _at(line: list[list[float]], x: float) -> float:
    return next(y for xx, y in line if abs(xx - x) < 1e-3)


class TestCurves:
    @pytest.mark.parametrize("indicator", sorted(CHARTS))
    @pytest.mark.parametrize("sex", ["1", "2"])
    def test_seven_increasing_lines_per_chart(self, indicator: str, sex: str) -> None:
        lines = curves(indicator, sex)["lines"]
        assert isinstance(lines, dict)
        assert list(lines) == ["-3", "-2", "-1", "0", "1", "2", "3"]
        for lower, upper in zip(
            list(lines.values()), list(lines.values())[1:], strict=False
        ):
            assert all(a[1] < b[1] for a, b in zip(lower, upper, strict=True))

    def test_length_for_age_boys_matches_who_sd_lines(self) -> None:
        # WHO length-for-age boys z-score table: birth -2 SD 46.1, 0 SD 49.9, +2 SD 53.7 cm;
        # the kernel doctest gives 71.0 cm at -2 SD at 365 days.
        lines = curves("len", "1")["lines"]
        assert isinstance(lines, dict)
        assert round(_at(lines["-2"], 0.0), 1) == 46.1
        assert round(_at(lines["0"], 0.0), 1) == 49.9
        assert round(_at(lines["2"], 0.0), 1) == 53.7
        assert round(_at(lines["-2"], 364 / DAYS_PER_MONTH), 1) == pytest.approx(
            71.0, abs=0.1
        )

    def test_unknown_indicator_or_sex_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="indicator"):
            curves("xyz", "1")
        with pytest.raises(InvalidInput, match="sex"):
            curves("len", "3")


class TestEndpoints:
    def test_reference_page_embeds_the_curves(
        self, app: FastAPI, accounts_by_role
    ) -> None:  # type: ignore[no-untyped-def]
        from tumbuh.accounts.roles import Role

        with TestClient(app) as client:
            login(client, accounts_by_role[Role.village_team].username)
            html = client.get("/growth?indicator=wfh&sex=2").text
        assert 'id="growth-data"' in html
        assert "Berat badan menurut tinggi badan (BB/TB)" in html

    def test_api_returns_curves_and_refuses_bad_indicators(
        self, app: FastAPI, accounts_by_role
    ) -> None:  # type: ignore[no-untyped-def]
        from tumbuh.accounts.roles import Role

        with TestClient(app) as client:
            headers = bearer(client, accounts_by_role[Role.viewer].username)
            ok = client.get(
                "/api/v1/growth/curves?indicator=wfl&sex=2", headers=headers
            )
            bad = client.get("/api/v1/growth/curves?indicator=nope", headers=headers)
        assert ok.status_code == 200
        assert ok.json()["x_unit"] == "cm"
        assert bad.status_code == 422
        assert "indicator" in bad.json()["detail"]
