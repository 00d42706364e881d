"""Light on a phone: compressed responses, immutable versioned static files, the installable
app's manifest and service worker."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import login

from tumbuh.web.app import STATIC_DIR
from tumbuh.web.static_assets import static_version

STATIC_CSS = STATIC_DIR / "css" / "tumbuh.css"


def test_pages_are_gzip_compressed_when_the_phone_accepts_it(
    figures_app: FastAPI,
) -> None:
    with TestClient(figures_app) as client:
        login(client, "fig_team")
        page = client.get("/today", headers={"Accept-Encoding": "gzip"})
        plain = client.get("/today", headers={"Accept-Encoding": "identity"})
    assert page.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert page.text == plain.text  # the client decoded the same page


def test_static_urls_carry_the_content_version_and_are_cached_for_a_year(
    figures_app: FastAPI,
) -> None:
    version = static_version(STATIC_DIR)
    with TestClient(figures_app) as client:
        html = client.get("/login").text
        css = re.search(r'href="([^"]*tumbuh\.css)"', html)
        assert css is not None
        assert f"/static/v/{version}/css/tumbuh.css" in css.group(1)
        cached = client.get(f"/static/v/{version}/css/tumbuh.css")
        plain = client.get("/static/css/tumbuh.css")
        stale = client.get("/static/v/000000000000/css/tumbuh.css")
    assert cached.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plain.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert cached.content == plain.content
    assert stale.status_code == 404  # an old version is not served under a new file


def test_the_version_changes_when_a_static_file_changes(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("body{}")
    before = static_version.__wrapped__(tmp_path)
    (tmp_path / "a.css").write_text("body{color:red}")
    assert static_version.__wrapped__(tmp_path) != before


def test_the_app_is_installable_with_a_root_scoped_service_worker(
    figures_app: FastAPI,
) -> None:
    with TestClient(figures_app) as client:
        sw = client.get("/sw.js")
        manifest = client.get("/manifest.webmanifest")
        login(client, "fig_team")
        page = client.get("/today").text
    assert sw.status_code == 200
    assert sw.headers["content-type"].startswith("text/javascript")
    assert sw.headers["service-worker-allowed"] == "/"
    data = json.loads(manifest.text)
    assert data["start_url"] == "/"
    assert data["display"] == "standalone"
    for icon in data["icons"]:
        assert (STATIC_DIR / icon["src"].removeprefix("/static/")).is_file()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page


def test_quality_badges_reach_4_5_to_1_contrast() -> None:
    from tests.web.test_accessibility import contrast

    from tumbuh.web.insights import QUALITY_COLORS

    text = re.search(r"\.badge \{[^}]*?color: (#[0-9a-f]{3,6})", STATIC_CSS.read_text())
    assert text is not None
    fg = text.group(1)
    fg = "#" + "".join(c * 2 for c in fg[1:]) if len(fg) == 4 else fg
    ratios = {band: round(contrast(fg, bg), 2) for band, bg in QUALITY_COLORS.items()}
    assert min(ratios.values()) >= 4.5, ratios
