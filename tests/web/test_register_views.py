"""Children and families: scoping, NIK masking, audit (private SQLite database, see figures_db)."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import bearer, login

from tumbuh.accounts.models import AuditEvent


def _api(client: TestClient, user: str, path: str):  # type: ignore[no-untyped-def]
    return client.get(path, headers=bearer(client, user))


def _audit(engine: Engine, username: str, object_type: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.username == username,
                    AuditEvent.object_type == object_type,
                )
            )
        )


class TestChildrenList:
    def test_lists_children_in_the_region_with_id_and_desa_code(
        self, figures_app: FastAPI
    ) -> None:
        with TestClient(figures_app) as client:
            body = _api(
                client, "fig_officer", "/api/v1/children?region=64.71.01"
            ).json()
        assert body["total"] == 2
        assert {(i["id"], i["desa_code"]) for i in body["items"]} == {
            (602, "64.71.01.1001"),
            (603, "64.71.01.1002"),
        }
        budi = next(i for i in body["items"] if i["id"] == 602)
        assert budi["stunted"] is True
        assert (
            budi["nik"] == "6471011203190012"
        )  # the officer visits families: full NIK

    def test_analysts_see_masked_niks(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            body = _api(client, "fig_bpp", "/api/v1/children?region=64.71").json()
        niks = {i["id"]: i["nik"] for i in body["items"]}
        assert niks[602] == "6471••••••••0012"

    def test_paging(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            first = _api(
                client, "fig_bpp", "/api/v1/children?region=64.71&size=1&page=1"
            ).json()
            second = _api(
                client, "fig_bpp", "/api/v1/children?region=64.71&size=1&page=2"
            ).json()
        assert first["total"] == second["total"] == 2
        assert first["items"][0]["id"] != second["items"][0]["id"]

    def test_village_team_sees_only_its_desa(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            own = _api(
                client, "fig_team", "/api/v1/children?region=64.71.01.1001"
            ).json()
            wider = _api(client, "fig_team", "/api/v1/children?region=64.71.01")
        assert [i["id"] for i in own["items"]] == [602]
        assert wider.status_code == 403

    def test_viewer_gets_aggregates_only(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            response = _api(client, "fig_viewer", "/api/v1/children?region=64.71")
        assert response.status_code == 403
        assert response.json()["error"] == "aggregates_only"

    def test_list_views_are_audited(
        self, figures_app: FastAPI, figures_db: Engine
    ) -> None:
        before = len(_audit(figures_db, "fig_officer", "children"))
        with TestClient(figures_app) as client:
            _api(client, "fig_officer", "/api/v1/children?region=64.71.01")
        after = _audit(figures_db, "fig_officer", "children")
        assert len(after) == before + 1
        assert after[-1].region_code == "64.71.01"


class TestChildDetail:
    @pytest.mark.parametrize(
        ("user", "child_id", "status"),
        [
            ("fig_team", 602, 200),
            ("fig_team", 603, 403),  # Lamaru is another desa
            ("fig_officer", 603, 200),
            ("fig_bpp", 604, 403),  # no desa known: province-wide users only
            ("fig_admin", 604, 200),
            ("fig_viewer", 602, 403),
            ("fig_admin", 99999, 404),
        ],
    )
    def test_access_follows_the_childs_desa(
        self, figures_app: FastAPI, user: str, child_id: int, status: int
    ) -> None:
        with TestClient(figures_app) as client:
            assert (
                _api(client, user, f"/api/v1/children/{child_id}").status_code == status
            )

    def test_detail_has_measurements_and_mother_and_is_audited(
        self, figures_app: FastAPI, figures_db: Engine
    ) -> None:
        with TestClient(figures_app) as client:
            body = _api(client, "fig_team", "/api/v1/children/602").json()
        assert body["mother_name"] == "Siti Aminah"
        assert [m["zlen"] for m in body["measurements"]] == [-2.1, -2.5]
        events = _audit(figures_db, "fig_team", "child")
        assert events[-1].object_id == "602"
        assert events[-1].region_code == "64.71.01.1001"
        assert events[-1].action == "view"


class TestFamily:
    def test_family_members_with_masking_by_role(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            team = _api(client, "fig_team", "/api/v1/families/501").json()
            analyst = _api(client, "fig_bpp", "/api/v1/families/501").json()
        assert {m["name"] for m in team["members"]} == {
            "Ahmad Santoso",
            "Siti Aminah",
            "Budi Santoso",
        }
        assert team["no_kk"] == "6471010101010001"
        assert analyst["no_kk"] == "6471••••••••0001"
        assert all("•" in m["nik"] for m in analyst["members"])

    def test_family_outside_the_desa_is_forbidden(
        self, figures_app: FastAPI, engine: Engine
    ) -> None:
        with TestClient(figures_app) as client:
            login(client, "fig_officer")
            assert client.get("/families/501").status_code == 200
            assert _api(client, "fig_viewer", "/api/v1/families/501").status_code == 403


class TestPages:
    def test_child_page_draws_the_childs_points_on_who_curves(
        self, figures_app: FastAPI
    ) -> None:
        with TestClient(figures_app) as client:
            login(client, "fig_team")
            html = client.get("/children/602").text
        assert "Budi Santoso" in html
        # Server-rendered SVG (web/svg_chart.py): seven SD lines and the child's two
        # points; x from 0 to 24 months over the 276 px plot from x=40 (11.5 px a month):
        # 11.99 months -> 177.9, 17.97 months -> 246.7.
        chart = re.search(r'id="growth-len-chart".*?</svg>', html, re.S)
        assert chart is not None
        svg = chart.group(0)
        assert sorted(re.findall(r'data-z="(-?\d)"', svg)) == sorted(
            ["-3", "-2", "-1", "0", "1", "2", "3"]
        )
        tips = re.findall(
            r'<circle class="child-point" cx="([\d.]+)".*?<title>(.*?)</title>', svg
        )
        assert tips == [("177.9", "12 · 70,1 cm"), ("246.7", "18 · 75 cm")]
        assert "echarts" not in html

    def test_region_page_lists_children_and_counts(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            login(client, "fig_officer")
            html = client.get("/regions/64.71.01").text
        assert 'id="kpi-children">2<' in html
        assert 'id="kpi-stunting">50,0 %' in html
        assert 'href="/children/602"' in html

    def test_viewer_sees_counts_with_small_cells_suppressed_and_no_names(
        self, figures_app: FastAPI
    ) -> None:
        with TestClient(figures_app) as client:
            login(client, "fig_viewer")
            html = client.get("/regions/64.71.01").text
        assert 'id="kpi-children">2<' in html
        assert "Budi Santoso" not in html
        assert "disembunyikan (kurang dari 5 anak)" in html

    def test_children_export_is_masked_for_analysts_and_audited(
        self, figures_app: FastAPI, figures_db: Engine
    ) -> None:
        with TestClient(figures_app) as client:
            login(client, "fig_bpp")
            response = client.get("/regions/64.71?format=xlsx")
        rows = list(
            openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(
                values_only=True
            )
        )
        assert rows[0][:3] == ("id", "nama", "nik")
        assert {r[2] for r in rows[1:]} == {"6471••••••••0012", "6471••••••••0002"}
        assert _audit(figures_db, "fig_bpp", "children")[-1].action == "export"


class TestRoutineWarning:
    def test_kecamatan_page_shows_routine_status_per_desa(
        self, figures_app: FastAPI
    ) -> None:
        with TestClient(figures_app) as client:
            login(client, "fig_officer")
            html = client.get("/regions/64.71.01").text
        table = re.search(r'<table id="routine-table".*?</table>', html, re.S)
        assert table is not None
        codes = re.findall(r'<tr data-code="([0-9.]+)">', table.group(0))
        assert codes == ["64.71.01.1001", "64.71.01.1002"]
        assert "e-PPGBM 2024" in table.group(0)
