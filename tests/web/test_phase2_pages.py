"""Phase-2 pages on the private sample database: forecast, coverage, visit lists and gaps,
family KRS and interventions, quality, imports with a quarantined row fixed in the form,
interventions and meeting actions; masking and suppression by role."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from tests.web.conftest import csrf_of, login, wait_for_job

from tumbuh.db.session import unit_of_work
from tumbuh.interventions.models import Intervention
from tumbuh.register.models import Measurement, QuarantinedRow

HEADER = (
    "No,NIK,Nama,JK,Tgl Lahir,BB Lahir,TB Lahir,Nama Ortu,NIK Ortu,No KK,Prov,Kab/Kota,Kec,"
    "Pukesmas,Desa/Kel,Posyandu,RT,RW,Alamat,Usia Saat Ukur,Tanggal Pengukuran,Berat,Tinggi,"
    "Cara Ukur,LiLA,Lingkar Kepala,BB/U,ZS BB/U,TB/U,ZS TB/U,BB/TB,ZS BB/TB,Naik Berat Badan,"
    "Kode Desa"
)


def _row(no: int, nik: str, name: str, measured: str) -> str:
    return (
        f"{no},{nik},{name},L,10/01/2023,3.0,49.0,Siti Aminah,6471014101900001,"
        "6471010101010001,KALIMANTAN TIMUR,KOTA BALIKPAPAN,Balikpapan Timur,"
        "Puskesmas Manggar,Manggar,Posyandu Melati 1,003,001,Jl. Mulawarman,,"
        f"{measured},10.1,80.2,Berdiri,,,,,,,,,,64.71.01.1001"
    )


def _get(app: FastAPI, username: str, url: str) -> tuple[int, str, bytes]:
    with TestClient(app) as client:
        login(client, username)
        r = client.get(url, follow_redirects=False)
    return (
        r.status_code,
        r.text if "text" in r.headers.get("content-type", "") else "",
        r.content,
    )


def test_desa_page_shows_forecast_coverage_visits_and_gaps(
    figures_app: FastAPI,
) -> None:
    status, html, _ = _get(figures_app, "fig_admin", "/regions/64.71.01.1001")
    assert status == 200
    assert 'id="forecast-title"' in html
    # The sample family's stored risk 0.31 is the desa's expected new cases.
    assert re.search(r'id="kpi-expected">0,3<', html)
    # pantau_tumbuh: one of the desa's under-fives (Budi) recorded in 2025.
    assert re.search(r"Pemantauan pertumbuhan dan perkembangan</td>\s*<td[^>]*>Dinkes</td>\s*"
                     r"<td[^>]*>1 / 1</td>", html)  # fmt: skip
    assert 'id="visits-table"' in html
    assert "/families/501" in html
    assert "air minum tidak layak" in html


def test_visit_list_downloads_mask_no_kk_for_analysts(figures_app: FastAPI) -> None:
    status, _, pdf = _get(figures_app, "fig_admin", "/regions/64.71.01.1001/visits.pdf")
    assert status == 200
    assert pdf.startswith(b"%PDF")
    for user, shown in [
        ("fig_admin", "6471010101010001"),
        ("fig_bpp", "6471••••••••0001"),
    ]:
        status, _, body = _get(figures_app, user, "/regions/64.71.01.1001/visits.xlsx")
        assert status == 200
        cells = [c for row in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)
                 for c in row if c]  # fmt: skip
        assert shown in cells, user


def test_visit_list_download_speaks_the_users_language(figures_app: FastAPI) -> None:
    """The workbook's headings, reasons and next actions in the language asked for."""
    url = "/regions/64.71.01.1001/visits.xlsx"
    for lang, said, other in [
        ("en", {"Head of family", "Next action"}, "Kepala Keluarga"),
        ("id", {"Kepala Keluarga", "Tindakan berikutnya"}, "Head of family"),
    ]:
        status, _, body = _get(figures_app, "fig_admin", f"{url}?lang={lang}")
        assert status == 200
        cells = {str(c) for row in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)
                 for c in row if c}  # fmt: skip
        assert said <= cells, lang
        assert other not in cells, lang
        reasons = (
            "unimproved drinking water" if lang == "en" else "air minum tidak layak"
        )
        assert any(reasons in c for c in cells), lang


def test_viewer_sees_no_personal_lists_and_small_counts_suppressed(
    figures_app: FastAPI,
) -> None:
    status, html, _ = _get(figures_app, "fig_viewer", "/regions/64.71")
    assert status == 200
    assert "Budi" not in html
    assert "visits-table" not in html
    # One stunted child in Balikpapan Timur: below the threshold of 5, shown as "<5".
    assert "&lt;5" in html
    status, _, _ = _get(figures_app, "fig_viewer", "/regions/64.71.01.1001/visits.xlsx")
    assert status == 403


def test_family_page_shows_krs_risk_and_interventions(figures_app: FastAPI) -> None:
    status, html, _ = _get(figures_app, "fig_team", "/families/501")
    assert status == 200
    assert re.search(r'id="kpi-risk">31,0 %<', html)
    assert "water, latrine" in html
    assert "Pemantauan pertumbuhan dan perkembangan" in html  # Budi's record


def test_recorded_intervention_appears_on_the_family_page(figures_app: FastAPI) -> None:
    with TestClient(figures_app) as client:
        login(client, "fig_team")
        r = client.post(
            "/interventions/records",
            data={"kind_code": "air_minum", "given_on": "2025-05-02",
                  "no_kk": "6471010101010001", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303, r.text[:300]
        page = client.get("/families/501").text
    assert "Akses air minum layak" in page
    bad = TestClient(figures_app)
    with bad:
        login(bad, "fig_team")
        r = bad.post(
            "/interventions/records",
            data={"kind_code": "air_minum", "given_on": "2025-05-02", "no_kk": "123",
                  "csrf_token": csrf_of(bad)},
        )  # fmt: skip
    assert r.status_code == 422
    assert "no_kk" in r.text


def test_a_recorded_tablet_count_is_stored_and_a_bad_one_refused(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    with TestClient(figures_app) as client:
        login(client, "fig_team")
        sent = [
            client.post(
                "/interventions/records",
                data={"kind_code": "ttd_hamil", "given_on": "2025-05-03",
                      "nik": "6471014101900001", "quantity": quantity,
                      "csrf_token": csrf_of(client)},
                follow_redirects=False,
            ).status_code
            for quantity in ("90", "sembilan puluh")
        ]  # fmt: skip
    assert sent == [303, 422]
    with unit_of_work(figures_db) as session:
        stored = session.scalars(
            select(Intervention.quantity).where(
                Intervention.kind_code == "ttd_hamil",
                Intervention.given_on == dt.date(2025, 5, 3),
            )
        ).all()
    assert stored == [90]


def test_quality_page_and_excel(figures_app: FastAPI) -> None:
    status, html, _ = _get(figures_app, "fig_bpp", "/quality/64.71")
    assert status == 200
    assert 'href="/regions/64.71.01.1001"' in html
    status, _, body = _get(figures_app, "fig_bpp", "/quality/64.71?format=xlsx")
    assert status == 200
    rows = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("kode", "nama", "induk")
    assert {r[0] for r in rows[1:]} >= {"64.71.01.1001"}


def test_meeting_action_add_update_and_overdue(figures_app: FastAPI) -> None:
    with TestClient(figures_app) as client:
        login(client, "fig_officer")
        r = client.post(
            "/actions",
            data={"meeting_on": "2025-01-10", "title": "Sweeping balita tidak datang",
                  "owner": "Puskesmas", "region_code": "64.71.01", "due_on": "2025-02-10",
                  "indicator_code": "pantau_tumbuh", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303, r.text[:300]
        html = client.get("/actions?region=64.71.01").text
        row = re.search(r'<tr class="overdue" data-id="(\d+)">.*?Sweeping', html, re.S)
        assert row is not None  # due in 2025, still open: overdue
        r = client.post(
            f"/actions/{row.group(1)}",
            data={"status": "done", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
        assert r.status_code == 303
        html = client.get("/actions?region=64.71.01").text
    assert f'<tr class="" data-id="{row.group(1)}">' in html


def test_catalogue_edit_by_admin(figures_app: FastAPI) -> None:
    with TestClient(figures_app) as client:
        login(client, "fig_admin")
        r = client.post(
            "/interventions/kinds/bansos_pangan",
            data={"name_id": "Bantuan pangan", "name_en": "Food aid", "sector": "Dinsos",
                  "target_pct": "75,5", "active": "on", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303
        html = client.get("/interventions").text
    assert "Bantuan pangan" in html
    assert "75,5" in html


@pytest.mark.slow
def test_import_quarantine_then_fix_in_the_form(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    body = "\n".join([HEADER, _row(1, "6471011203230099", "Dewi Putri", "15/03/2025"),
                      _row(2, "6471011203230098", "Rudi Hartono", "31/02/2025")])  # fmt: skip
    with TestClient(figures_app) as client:
        login(client, "fig_admin")
        r = client.post(
            "/imports",
            data={"kind": "eppgbm", "csrf_token": csrf_of(client)},
            files={"file": ("manggar_2025.csv", body.encode(), "text/csv")},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[:500]  # queued: the job's page follows it
        r = wait_for_job(client, r.headers["location"])
        assert 'data-status="done"' in r.text
        assert re.search(r'id="job-rejected">1<', r.text)
        assert "manggar_2025.csv:3" in r.text  # file and row of the bad date
        r = client.get("/imports")
        with unit_of_work(figures_db) as session:
            q = session.scalars(
                select(QuarantinedRow).where(QuarantinedRow.file == "manggar_2025.csv")
            ).one()
            qid, raw = q.id, dict(q.raw)
        assert f'action="/imports/quarantine/{qid}"' in r.text
        form = {f"cell:{k}": "" if v is None else str(v) for k, v in raw.items()}
        date_col = next(k for k, v in raw.items() if v == "31/02/2025")
        form[f"cell:{date_col}"] = "28/02/2025"
        r = client.post(
            f"/imports/quarantine/{qid}",
            data=form | {"csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[:800]
    with unit_of_work(figures_db) as session:
        assert session.get(QuarantinedRow, qid) is None
        n = session.scalar(
            select(func.count()).select_from(Measurement).where(
                Measurement.desa_code == "64.71.01.1001", Measurement.measured_on >= dt.date(2025, 1, 1)
            )
        )  # fmt: skip
    assert n == 2


def test_desa_gaps_slice_equals_the_desa_report(figures_db: Engine) -> None:
    """The desa's gaps cut from the province's convergence equal the desa's own report."""
    from sqlalchemy.orm import Session

    from tumbuh.interventions import service as interventions
    from tumbuh.web import insights

    with Session(figures_db) as db:
        year = insights.intervention_year(db)
        assert year is not None
        sliced = insights.desa_convergence(
            db, "64.71.01.1001", year=year, welfare_max_decile=4
        )
        own = interventions.convergence_report(
            db, region="64.71.01.1001", period=insights.period_of(year)
        )
    assert sliced is not None
    assert own.krs_families == 1  # the sample family (Manggar)
    assert len(own.missing) > 0
    assert sliced.missing.reset_index(drop=True).equals(
        own.missing.reset_index(drop=True)
    )
    assert sliced.krs_families == own.krs_families
    assert sliced.full_package == own.full_package


def test_desa_page_lists_new_stunting(figures_app: FastAPI, figures_db: Engine) -> None:
    """Ani (Lamaru) measured again at z -2.3 after -1.0: new stunting on Lamaru's page;
    Budi (Manggar) was already stunted, so Manggar lists no new case."""
    with unit_of_work(figures_db) as session:
        session.add(
            Measurement(person_id=603, measured_on=dt.date(2025, 1, 11), age_days=940,
                        weight_kg=11.9, lenhei_cm=86.0, measure="h", zlen=-2.3, zwei=-1.2,
                        zwfl=0.0, flen=False, desa_code="64.71.01.1002", fingerprint="h14a")
        )  # fmt: skip
    status, html, _ = _get(figures_app, "fig_officer", "/regions/64.71.01.1002")
    assert status == 200
    table = html.split('id="alerts-table"')[1].split("</table>")[0]
    assert "Ani Lestari" in table
    assert "stunting baru" in table
    assert "-1,00 → -2,30" in table  # Indonesian decimals on an Indonesian page
    status, html, _ = _get(figures_app, "fig_team", "/regions/64.71.01.1001")
    assert 'id="alerts-title"' in html
    assert 'id="alerts-table"' not in html
    status, html, _ = _get(figures_app, "fig_viewer", "/regions/64.71")
    assert "alerts-title" not in html
