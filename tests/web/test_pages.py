"""Page content over the published figures (a private SQLite database, see figures_db)."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import bearer, login


def _province(client: TestClient, query: str = "") -> str:
    login(client, "fig_admin")
    response = client.get(f"/regions/64{query}")
    assert response.status_code == 200
    return response.text


def _map_payload(html: str) -> dict[str, object]:
    match = re.search(
        r'<script type="application/json" id="province-data">(.*?)</script>', html, re.S
    )
    assert match is not None
    return dict(json.loads(match.group(1)))


class TestProvincePage:
    def test_defaults_to_the_latest_survey_round_with_national_rate_and_target(
        self, figures_app: FastAPI
    ) -> None:
        with TestClient(figures_app) as client:
            html = _province(client)
        assert '<option value="2024" selected>' in html
        assert 'id="kpi-national">19,8 %' in html
        assert 'id="kpi-province">22,2 %' in html
        assert 'id="kpi-target">' in html

    def test_map_values_match_the_published_figures(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            payload = _map_payload(_province(client, "?kind=survey&year=2024"))
        values = payload["values"]
        assert isinstance(values, dict)
        assert values["64.71"] == 24.6  # Balikpapan, SSGI 2024
        assert values["64.09"] == 32.0  # Penajam Paser Utara
        assert values["64.01"] is None  # Paser: no 2024 figure
        assert len(values) == 10

    def test_an_earlier_year_can_be_chosen(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            payload = _map_payload(_province(client, "?kind=survey&year=2022"))
        values = payload["values"]
        assert isinstance(values, dict)
        assert values["64.71"] == 19.6  # Balikpapan, SSGI 2022

    def test_early_warning_statuses_and_reasons_are_shown(
        self, figures_app: FastAPI
    ) -> None:
        with TestClient(figures_app) as client:
            html = _province(client, "?year=2024")
        row = re.search(r'<tr data-code="64.71">(.*?)</tr>', html, re.S)
        assert row is not None
        assert "status-rising" in row.group(1)
        assert "SSGI 2024: 24,6" in row.group(1)

    def test_english_page_has_english_reasons(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            html = _province(client, "?year=2024&lang=en")
        assert "Stunting prevalence from surveys" in html
        assert "rose" in html

    def test_routine_series_is_shown_apart_from_the_surveys(
        self, figures_app: FastAPI
    ) -> None:
        with TestClient(figures_app) as client:
            html = _province(client, "?kind=routine&year=2025")
        values = _map_payload(html)["values"]
        assert isinstance(values, dict)
        assert values["64.09"] == 11.55  # PPU, e-PPGBM 2025 (not the SSGI 32.0)
        assert '<option value="routine" selected>' in html
        assert "SSGI" not in re.search(
            r'<tr data-code="64.09">(.*?)</tr>', html, re.S
        ).group(1)


class TestRegionPage:
    def test_kabkota_page_shows_its_series_and_children(
        self, figures_app: FastAPI
    ) -> None:
        with TestClient(figures_app) as client:
            login(client, "fig_bpp")
            html = client.get("/regions/64.71").text
        assert "Kota Balikpapan" in html
        assert "SSGI 2022" in html
        assert "status-rising" in html
        assert 'href="/regions/64.71.01"' in html  # kecamatan Balikpapan Timur


class TestRegionSummaryApi:
    def test_summary_carries_the_survey_warning(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            body = client.get(
                "/api/v1/regions/64.71/summary", headers=bearer(client, "fig_bpp")
            ).json()
        assert body["region"] == {
            "code": "64.71",
            "name": "Kota Balikpapan",
            "level": 2,
        }
        survey = body["warnings"]["survey"]
        assert survey["status"] == "rising"
        assert survey["latest_value"] == 24.6
        assert [p["year"] for p in survey["series"]][-1] == 2024
        assert len(body["children"]) == 6
