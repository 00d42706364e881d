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


def test_a_viewer_sees_no_count_under_five_on_the_quality_page(
    figures_app: FastAPI,
) -> None:
    import re

    with TestClient(figures_app) as client:
        login(client, "fig_viewer")
        viewer = client.get("/quality/64.71").text
        viewer_xlsx = client.get("/quality/64.71?format=xlsx")
        login(client, "fig_bpp")
        analyst = client.get("/quality/64.71").text
    assert viewer_xlsx.status_code == 200

    def counts(html: str) -> list[str]:
        rows = html.split('id="quality-table"', 1)[1]
        return [
            m.group(1).strip()
            for m in re.finditer(
                r'<td class="num" data-label="[^"]*">([^<]*)</td>', rows
            )
        ][::2]  # children measured, then coverage

    shown = counts(viewer)
    assert shown, "the quality table has rows"
    assert all(not (c.isdigit() and 0 < int(c) < 5) for c in shown)
    assert "&lt;5" in viewer
    # The analyst (personal-data role) sees the same rows with their real counts.
    assert any(c.isdigit() and 0 < int(c) < 5 for c in counts(analyst))
