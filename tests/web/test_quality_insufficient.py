"""The quality page names the band of a desa with too few measurements to score."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import login


def test_quality_page_shows_the_insufficient_band_in_words(
    figures_app: FastAPI,
) -> None:
    # The sample database holds a handful of measurements per desa: below the 20 rows a
    # score needs, so the page shows the grey band with its label and no score.
    with TestClient(figures_app) as client:
        login(client, "fig_bpp")
        html = client.get("/quality/64.71").text
        english = client.get("/quality/64.71?lang=en").text
    badge = '<span class="badge" style="background: #d9d9d9">{}</span>'
    # The badge of a table row, not only the legend's entry.
    assert badge.format("terlalu sedikit data untuk dinilai") in html
    assert badge.format("too few data to judge") in english
    assert "quality.insufficient" not in html
