"""Excel export of tables (xlsxwriter out, openpyxl back in)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import Account, login

from tumbuh.accounts.roles import Role
from tumbuh.web.export import XLSX_MEDIA_TYPE, xlsx_bytes


def _sheet(data: bytes) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return list(book.active.iter_rows(values_only=True))


class TestXlsxBytes:
    def test_values_keep_their_types_and_formulas_stay_text(self) -> None:
        rows = _sheet(
            xlsx_bytes(
                "t",
                ["a", "b", "c", "d"],
                [("=1+1", 12.5, dt.date(2025, 11, 18), None), ("x", 3, None, True)],
            )
        )
        assert rows[0] == ("a", "b", "c", "d")
        assert rows[1][0] == "=1+1"
        assert rows[1][1] == 12.5
        assert rows[1][2] == dt.datetime(2025, 11, 18)
        assert rows[1][3] is None
        assert rows[2][3] is True


class TestTableEndpoints:
    def test_users_table_downloads_as_xlsx_and_is_audited(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        admin = accounts_by_role[Role.province_admin]
        with TestClient(app) as client:
            login(client, admin.username)
            response = client.get("/admin/users?format=xlsx")
            assert response.status_code == 200
            assert response.headers["content-type"] == XLSX_MEDIA_TYPE
            rows = _sheet(response.content)
            assert rows[0][:3] == ("username", "role", "region_code")
            assert admin.username in {r[0] for r in rows[1:]}
            audit = _sheet(client.get("/admin/audit?format=xlsx").content)
        assert any(r[1] == admin.username and r[2] == "export" for r in audit[1:])

    def test_province_table_downloads_as_xlsx(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app) as client:
            login(client, "fig_admin")
            response = client.get("/regions/64?kind=survey&year=2024&format=xlsx")
        assert response.status_code == 200
        rows = _sheet(response.content)
        assert rows[0][:5] == (
            "kode",
            "kabupaten_kota",
            "jenis",
            "tahun",
            "prevalensi_pct",
        )
        by_code = {r[0]: r for r in rows[1:]}
        # One row per kab/kota of Kalimantan Timur, with the SSGI 2024 value where published.
        assert len(by_code) == 10
        assert by_code["64.71"][4] == 24.6
        assert by_code["64.71"][5] == "rising"
        assert by_code["64.01"][4] is None
