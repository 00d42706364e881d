"""Village team: visits and interventions recorded from the family and child pages, the
idempotent /sync of the offline queue, the task-first home (/today) and links per role.

Runs on the private sample database (tests/web/conftest.py: family 501 in Manggar
64.71.01.1001 with the stunted boy 602; `fig_team` is the village team of Manggar)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.web.conftest import HOME, csrf_of, login, make_user

from tumbuh.accounts.models import AuditEvent
from tumbuh.accounts.roles import Role
from tumbuh.db.session import unit_of_work
from tumbuh.interventions.models import Intervention, Visit
from tumbuh.register.models import Measurement, Person

TODAY = dt.date.today().isoformat()


@pytest.fixture(scope="module", autouse=True)
def newly_stunted_child(figures_db: Engine) -> None:
    """Citra (620), Budi's sister: length-for-age -1.5 then -2.3 a month later (new stunting)."""
    with unit_of_work(figures_db) as session:
        session.add(Person(
            id=620, name="Citra Santoso", name_key="citra santoso", sex="F",
            birth_date=dt.date(2024, 1, 1), family_id=501, family_role="anak", mother_id=601,
            desa_code="64.71.01.1001",
        ))  # fmt: skip
        session.flush()
        for day, zlen, fp in (
            (dt.date(2024, 6, 10), -1.5, "c1"),
            (dt.date(2024, 7, 9), -2.3, "c2"),
        ):
            session.add(Measurement(
                person_id=620, measured_on=day, age_days=(day - dt.date(2024, 1, 1)).days,
                weight_kg=6.5, lenhei_cm=62.0, measure="l", zlen=zlen, zwei=-1.0, zwfl=0.0,
                flen=False, desa_code="64.71.01.1001", fingerprint=fp,
            ))  # fmt: skip


def _client(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    login(client, username)
    return client


def _visit_form(client: TestClient, outcome: str, client_id: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_of(client),
        "client_id": client_id,
        "outcome": outcome,
        "visited_on": TODAY,
        "note": "",
    }


def _visits(engine: Engine, client_id: str) -> list[Visit]:
    with unit_of_work(engine) as session:
        rows = list(session.scalars(select(Visit).where(Visit.client_id == client_id)))
        session.expunge_all()
        return rows


def test_a_visit_posted_twice_from_the_family_page_is_stored_once_and_audited(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    client = _client(figures_app, "fig_team")
    page = client.get("/families/501")
    assert page.status_code == 200
    assert 'action="/families/501/visits"' in page.text
    cid = re.search(r'name="client_id" value="([^"]+)"', page.text)
    assert cid is not None
    form = _visit_form(client, "not_home", cid.group(1))
    first = client.post("/families/501/visits", data=form, follow_redirects=False)
    again = client.post("/families/501/visits", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"].endswith("saved=created")
    assert again.headers["location"].endswith("saved=duplicate")
    stored = _visits(figures_db, cid.group(1))
    assert [(v.family_id, v.outcome, v.desa_code) for v in stored] == [
        (501, "not_home", "64.71.01.1001")
    ]
    with unit_of_work(figures_db) as session:
        events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.object_type == "visit",
                AuditEvent.object_id == str(stored[0].id),
            )
        )
    assert events == 1
    shown = client.get("/families/501")
    assert "tidak di rumah" in shown.text


def test_a_village_team_outside_the_desa_is_refused_and_nothing_is_stored(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    other = make_user(figures_db, Role.village_team, "64.71.01.1002")
    client = _client(figures_app, other.username)
    cid = str(uuid.uuid4())
    refused = client.post(
        "/families/501/visits",
        data=_visit_form(client, "met", cid),
        follow_redirects=False,
    )
    assert refused.status_code == 403
    sync = client.post(
        "/sync",
        json={
            "visits": [
                {
                    "client_id": cid,
                    "family_id": 501,
                    "visited_on": TODAY,
                    "outcome": "met",
                }
            ]
        },
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert sync.status_code == 200
    assert sync.json()["results"][0]["status"] == "error"
    assert "outside your area" in sync.json()["results"][0]["error"]
    assert _visits(figures_db, cid) == []
    assert client.get("/families/501").status_code == 403


def test_sync_stores_each_queued_visit_once_and_reports_a_conflict(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    client = _client(figures_app, "fig_team")
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    items = [
        {"client_id": a, "family_id": 501, "visited_on": TODAY, "outcome": "refused"},
        {"client_id": b, "person_id": 602, "visited_on": TODAY, "outcome": "referred"},
        {"client_id": "x", "family_id": 501, "visited_on": TODAY, "outcome": "met"},
    ]
    headers = {"X-CSRF-Token": csrf_of(client)}
    first = client.post("/sync", json={"visits": items}, headers=headers).json()
    again = client.post("/sync", json={"visits": items[:2]}, headers=headers).json()
    assert [r["status"] for r in first["results"]] == ["created", "created", "error"]
    assert "client_id" in first["results"][2]["error"]
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    changed = {**items[0], "outcome": "met"}
    clash = client.post("/sync", json={"visits": [changed]}, headers=headers).json()
    assert clash["results"][0]["status"] == "conflict"
    assert clash["results"][0]["stored"]["outcome"] == "refused"
    assert [v.outcome for v in _visits(figures_db, a)] == ["refused"]
    child_visit = _visits(figures_db, b)
    assert [(v.person_id, v.family_id, v.offline) for v in child_visit] == [
        (602, 501, True)
    ]


@pytest.mark.parametrize("username", ["fig_viewer"])
def test_sync_refuses_a_role_without_personal_data(
    figures_app: FastAPI, username: str
) -> None:
    client = _client(figures_app, username)
    response = client.post(
        "/sync",
        json={"visits": [{"client_id": str(uuid.uuid4()), "family_id": 501,
                          "visited_on": TODAY, "outcome": "met"}]},
        headers={"X-CSRF-Token": csrf_of(client)},
    )  # fmt: skip
    assert response.status_code == 403


def test_sync_without_the_csrf_token_is_refused(figures_app: FastAPI) -> None:
    client = _client(figures_app, "fig_team")
    response = client.post("/sync", json={"visits": []})
    assert response.status_code == 403


def test_an_intervention_recorded_on_the_child_page_needs_no_nik_and_is_one_record(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    client = _client(figures_app, "fig_team")
    page = client.get("/children/602")
    assert 'action="/children/602/interventions"' in page.text
    assert 'name="nik"' not in page.text
    form = {"csrf_token": csrf_of(client), "kind_code": "imunisasi", "given_on": TODAY,
            "status": "given"}  # fmt: skip
    for _ in range(2):
        sent = client.post(
            "/children/602/interventions", data=form, follow_redirects=False
        )
        assert sent.status_code == 303, sent.text
    with unit_of_work(figures_db) as session:
        recs = session.execute(
            select(Intervention.person_id, Intervention.status).where(
                Intervention.kind_code == "imunisasi",
                Intervention.given_on == dt.date.today(),
            )
        ).all()
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.object_type == "intervention",
                AuditEvent.detail.like("imunisasi given%"),
            )
        )
    assert recs == [(602, "given")]
    assert audited == 2  # each submission is audited; the record exists once
    assert "munisasi" in client.get("/children/602").text


def test_a_family_intervention_from_the_family_page_reaches_the_gaps(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    client = _client(figures_app, "fig_team")
    before = client.get("/families/501").text
    missing = re.search(
        r'<ul class="reasons" id="missing-list">(.*?)</ul>', before, re.S
    )
    assert missing is not None
    form = {"csrf_token": csrf_of(client), "kind_code": "sanitasi", "given_on": TODAY,
            "status": "given", "person_id": ""}  # fmt: skip
    sent = client.post("/families/501/interventions", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    with unit_of_work(figures_db) as session:
        fam = session.execute(
            select(Intervention.family_id, Intervention.person_id).where(
                Intervention.kind_code == "sanitasi"
            )
        ).all()
    assert fam == [(501, None)]
    after = client.get("/families/501").text
    missing_after = re.search(r'id="missing-list">(.*?)</ul>', after, re.S)
    left = missing_after.group(1) if missing_after else ""
    assert left.count("<li>") == missing.group(1).count("<li>") - 1


def test_today_opens_for_a_village_team_with_alerts_and_the_visit_list(
    figures_app: FastAPI,
) -> None:
    client = _client(figures_app, "fig_team")
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/today"
    page = client.get("/today")
    assert page.status_code == 200
    html = page.text
    alert = re.search(r'<ul class="task-list" id="alert-list">(.*?)</ul>', html, re.S)
    assert alert is not None
    assert "Citra Santoso" in alert.group(1)
    assert "stunting baru" in alert.group(1).lower()
    assert "Siti Aminah" in alert.group(1)
    assert "RT 003/RW 001" in alert.group(1)
    assert 'id="visit-list"' in html
    row = re.search(r'<li class="task[^"]*" data-family="501">(.*?)</li>', html, re.S)
    assert row is not None
    assert "RT 003/RW 001" in row.group(1)
    assert "Siti Aminah" in row.group(1)  # the mother: the contact
    assert "Tindakan berikutnya" in row.group(1)
    assert 'href="/regions/64.71.01.1001"' in html  # statistics one tap away
    assert html.index('id="visit-list"') < 20000


def test_an_outcome_changes_the_visit_list(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    client = _client(figures_app, "fig_team")
    headers = {"X-CSRF-Token": csrf_of(client)}

    def row() -> str | None:
        html = client.get("/today").text
        found = re.search(r'<li class="(task[^"]*)" data-family="501">', html)
        return found.group(1) if found else None

    met = {
        "client_id": str(uuid.uuid4()),
        "family_id": 501,
        "visited_on": TODAY,
        "outcome": "met",
    }
    away = {**met, "client_id": str(uuid.uuid4()), "outcome": "not_home"}
    client.post("/sync", json={"visits": [away]}, headers=headers)
    assert row() == "task"  # not at home: still to visit
    met["client_id"] = str(uuid.uuid4())
    client.post("/sync", json={"visits": [met]}, headers=headers)
    assert row() == "task task-done"
    desa = client.get("/regions/64.71.01.1001").text
    assert "Kunjungan terakhir" in desa
    assert "bertemu" in desa
    moved = {**met, "client_id": str(uuid.uuid4()), "outcome": "moved"}
    client.post("/sync", json={"visits": [moved]}, headers=headers)
    assert row() is None
    assert 'id="moved-count"' in client.get("/today").text
    back = {**met, "client_id": str(uuid.uuid4()), "outcome": "met"}
    client.post("/sync", json={"visits": [back]}, headers=headers)
    assert row() == "task task-done"


@pytest.mark.parametrize("role", list(Role))
def test_navigation_offers_no_link_the_role_cannot_open(
    figures_app: FastAPI, role: Role
) -> None:
    client = _client(figures_app, f"fig_{role.value}")
    start = client.get("/")
    assert start.status_code == 200
    pages = [str(start.url.path)]
    if role != Role.viewer:
        pages += ["/families/501", "/children/602"]
    for page in pages:
        html = client.get(page).text
        nav = re.findall(r"<(?:nav|header)[^>]*>.*?</(?:nav|header)>", html, re.S)
        links = {h for block in nav for h in re.findall(r'href="(/[^"?#]*)"', block)}
        links |= set(re.findall(r'href="(/today|/regions/[^"?#]+)"', html))
        for href in sorted(links):
            if href.endswith((".css", ".js", ".webmanifest")):
                continue
            got = client.get(href)
            assert got.status_code in (200,), (
                f"{role}: {page} links {href} -> {got.status_code}"
            )
    assert HOME[role]


def test_the_village_pages_speak_english_on_request(figures_app: FastAPI) -> None:
    client = _client(figures_app, "fig_team")
    for path in ("/today?lang=en", "/families/501?lang=en", "/children/602?lang=en"):
        html = client.get(path).text
        for indonesian in ("Tugas hari ini", "Sudah dikunjungi", "Simpan kunjungan",
                           "tidak di rumah", "Catat intervensi", "Kunjungan tercatat"):  # fmt: skip
            assert indonesian not in html, (path, indonesian)
    assert "Save visit" in client.get("/families/501?lang=en").text
    assert "Family visit list" in client.get("/today?lang=en").text
