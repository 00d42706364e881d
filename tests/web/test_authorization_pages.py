"""Authorisation matrix of the phase-2 pages: route × role × inside/outside the role's region.

Runs on the private database (figures_db: a small register with risk scores and an
intervention, one `fig_<role>` user per role at HOME[role]). test_authorization's
`test_every_route_is_in_the_matrix` counts these routes as covered through PAGE_ROUTES.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select
from tests.web.authz_expected import allowed, refusal
from tests.web.conftest import (
    HOME,
    INSIDE_CHILD,
    INSIDE_FAMILY,
    OUTSIDE_DESA,
    csrf_of,
    login,
    outside_ids,
)

from tumbuh.accounts.roles import Role
from tumbuh.db.session import unit_of_work
from tumbuh.interventions.models import Meeting, MeetingAction
from tumbuh.register.models import QuarantinedRow
from tumbuh.web.csrf import HEADER as CSRF_HEADER

OUTSIDE: dict[Role, str] = {
    Role.province_admin: "65",
    Role.province_analyst: "65",
    Role.district_analyst: "64.72",
    Role.subdistrict_officer: "64.71.02",
    Role.village_team: "64.71.01.1002",
    Role.viewer: "64.72",
}
INSIDE_DESA = "64.71.01.1001"  # Manggar: inside every HOME
OUTSIDE_NO_KK = {
    role: f"99{502 + list(OUTSIDE_DESA).index(role):014d}" for role in Role
}
Call = Callable[[TestClient, str, Role, bool, Engine], Response]


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    call: Call
    success: frozenset[int]  # when the table (authz_expected.py) allows the call


def _user(role: Role) -> str:
    return f"fig_{role.value}"


def _desa(role: Role, inside: bool) -> str:
    return INSIDE_DESA if inside else OUTSIDE_DESA[role]


def _region(role: Role, inside: bool) -> str:
    return HOME[role] if inside else OUTSIDE[role]


def _get(url: Callable[[Role, bool], str]) -> Call:
    def call(
        client: TestClient, username: str, role: Role, inside: bool, engine: Engine
    ) -> Response:
        login(client, username)
        return client.get(url(role, inside), follow_redirects=False)

    return call


def _post(
    url: Callable[[Role, bool, Engine], str],
    data: Callable[[Role, bool], dict[str, str]],
    files: dict[str, tuple[str, io.BytesIO, str]] | None = None,
) -> Call:
    def call(
        client: TestClient, username: str, role: Role, inside: bool, engine: Engine
    ) -> Response:
        target = url(role, inside, engine)
        login(client, username)
        form = data(role, inside) | {"csrf_token": csrf_of(client)}
        upload = None
        if files is not None:
            upload = {
                k: (n, io.BytesIO(b.getvalue()), t) for k, (n, b, t) in files.items()
            }
        return client.post(target, data=form, files=upload, follow_redirects=False)

    return call


def _new_quarantine(role: Role, inside: bool, engine: Engine) -> str:
    """A quarantined e-PPGBM row that stays rejected (an impossible birth date)."""
    with unit_of_work(engine) as session:
        row = QuarantinedRow(
            kind="eppgbm", file="bulan_maret.csv", row=7, row_key=uuid.uuid4().hex,
            alt_key=uuid.uuid4().hex, raw={"nama_anak": "X", "tgl_lahir": "31/02/2023"},
            issues=[{"column": "tgl_lahir", "message_id": "tanggal tidak sah",
                     "message_en": "invalid date"}],
        )  # fmt: skip
        session.add(row)
        session.flush()
        return f"/imports/quarantine/{row.id}"


def _new_job(role: Role, inside: bool, engine: Engine) -> str:
    """A queued import job (never run here: no worker without the app's lifespan)."""
    from tumbuh.imports import jobs

    with unit_of_work(engine) as session:
        job = jobs.enqueue(
            session, kind="eppgbm", file_name="maret.csv",
            stored_path=Path("/nonexistent/maret.csv"), user_id=None,
        )  # fmt: skip
        return f"/imports/jobs/{job.id}"


def _get_at(url: Callable[[Role, bool, Engine], str]) -> Call:
    def call(
        client: TestClient, username: str, role: Role, inside: bool, engine: Engine
    ) -> Response:
        target = url(role, inside, engine)
        login(client, username)
        return client.get(target, follow_redirects=False)

    return call


def _new_action(role: Role, inside: bool, engine: Engine) -> str:
    with unit_of_work(engine) as session:
        action = MeetingAction(
            meeting_on=dt.date(2025, 2, 1), title="Posyandu aktif", owner="Dinkes",
            region_code=_region(role, inside), due_on=dt.date(2025, 3, 1), status="open",
        )  # fmt: skip
        session.add(action)
        session.flush()
        return f"/actions/{action.id}"


def _new_meeting(role: Role, inside: bool, engine: Engine) -> str:
    with unit_of_work(engine) as session:
        meeting = Meeting(
            region_code=_region(role, inside), held_on=dt.date(2025, 11, 18),
            title="Rakor TPPS",
        )  # fmt: skip
        session.add(meeting)
        session.flush()
        return f"/meetings/{meeting.id}/actions"


def _family(role: Role, inside: bool) -> int:
    return INSIDE_FAMILY if inside else outside_ids(role)[1]


def _child(role: Role, inside: bool) -> int:
    return INSIDE_CHILD if inside else outside_ids(role)[0]


def _visit(role: Role, inside: bool) -> dict[str, str]:
    return {"client_id": uuid.uuid4().hex, "outcome": "met", "visited_on": "2026-01-05"}


def _sync(
    client: TestClient, username: str, role: Role, inside: bool, engine: Engine
) -> Response:
    login(client, username)
    record = {"client_id": uuid.uuid4().hex, "family_id": _family(role, inside),
              "outcome": "met", "visited_on": "2026-01-05"}  # fmt: skip
    return client.post(
        "/sync", json={"visits": [record]}, headers={CSRF_HEADER: csrf_of(client)}
    )


CSV = io.BytesIO(b"nama_anak,tgl_lahir\nX,31/02/2023\n")
OK = frozenset({200})
REDIRECT = frozenset({303})

PAGE_ROUTES: list[Case] = [
    Case("GET", "/regions/{code}/visits.{ext}",
         _get(lambda r, i: f"/regions/{_desa(r, i)}/visits.pdf"), OK),
    Case("GET", "/regions/{code}/gaps.xlsx",
         _get(lambda r, i: f"/regions/{_desa(r, i)}/gaps.xlsx"), OK),
    Case("GET", "/quality", _get(lambda r, i: "/quality"), REDIRECT),
    Case("GET", "/quality/{code}", _get(lambda r, i: f"/quality/{_region(r, i)}"), OK),
    Case("GET", "/imports", _get(lambda r, i: "/imports"), OK),
    Case("POST", "/imports", _post(lambda r, i, e: "/imports", lambda r, i: {"kind": "eppgbm"},
                                   {"file": ("maret.csv", CSV, "text/csv")}), REDIRECT),
    Case("GET", "/imports/jobs/{job_id}", _get_at(_new_job), OK),
    Case("POST", "/imports/quarantine/{row_id}",
         _post(_new_quarantine, lambda r, i: {"cell:tgl_lahir": "30/02/2023"}), frozenset({303, 422})),
    Case("GET", "/interventions", _get(lambda r, i: "/interventions"), OK),
    Case("POST", "/interventions/kinds/{code}",
         _post(lambda r, i, e: "/interventions/kinds/catin_pendampingan",
               lambda r, i: {"name_id": "Pendampingan catin", "name_en": "Assistance for couples",
                             "sector": "DPPKB", "target_pct": "90", "active": "on"}), REDIRECT),
    Case("POST", "/interventions/records",
         _post(lambda r, i, e: "/interventions/records",
               lambda r, i: {"kind_code": "pendampingan_krs", "given_on": "2025-04-01",
                             "no_kk": "6471010101010001" if i else OUTSIDE_NO_KK[r]}), REDIRECT),
    Case("GET", "/actions", _get(lambda r, i: f"/actions?region={_region(r, i)}"), OK),
    Case("POST", "/actions",
         _post(lambda r, i, e: "/actions",
               lambda r, i: {"meeting_on": "2025-02-01", "title": "Kelas ibu hamil",
                             "owner": "Dinkes", "region_code": _region(r, i),
                             "due_on": "2025-03-01"}), REDIRECT),
    Case("POST", "/actions/{action_id}", _post(_new_action, lambda r, i: {"status": "done"}), REDIRECT),
    Case("GET", "/sw.js", _get(lambda r, i: "/sw.js"), OK),
    Case("GET", "/manifest.webmanifest", _get(lambda r, i: "/manifest.webmanifest"), OK),
    Case("GET", "/today", _get(lambda r, i: "/today"), frozenset({200, 303})),
    Case("GET", "/meetings", _get(lambda r, i: f"/meetings?region={_region(r, i)}"), OK),
    Case("POST", "/meetings",
         _post(lambda r, i, e: "/meetings",
               lambda r, i: {"region_code": _region(r, i), "held_on": "2025-11-18",
                             "title": "Rakor TPPS"}), REDIRECT),
    Case("POST", "/meetings/{meeting_id}/actions",
         _post(_new_meeting,
               lambda r, i: {"title": "Kelas ibu hamil", "owner": "Dinkes",
                             "region_code": _region(r, i), "due_on": "2026-03-01"}), REDIRECT),
    # The pack exists for a province or kab/kota: below that the level is refused (422).
    Case("GET", "/regions/{code}/rakor.{ext}",
         _get(lambda r, i: f"/regions/{_region(r, i)}/rakor.xlsx"), frozenset({200, 422})),
    Case("POST", "/families/{family_id}/visits",
         _post(lambda r, i, e: f"/families/{_family(r, i)}/visits", _visit), REDIRECT),
    Case("POST", "/children/{child_id}/visits",
         _post(lambda r, i, e: f"/children/{_child(r, i)}/visits", _visit), REDIRECT),
    Case("POST", "/families/{family_id}/interventions",
         _post(lambda r, i, e: f"/families/{_family(r, i)}/interventions",
               lambda r, i: {"kind_code": "sanitasi", "given_on": "2026-01-05"}), REDIRECT),
    Case("POST", "/children/{child_id}/interventions",
         _post(lambda r, i, e: f"/children/{_child(r, i)}/interventions",
               lambda r, i: {"kind_code": "imunisasi", "given_on": "2026-01-05"}), REDIRECT),
    # One request for a queue of visits: items outside the area come back as errors (200),
    # the whole request is refused to roles without personal data.
    Case("POST", "/sync", _sync, OK),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "role", "inside"),
    [
        pytest.param(case, role, inside,
                     id=f"{case.method} {case.path} {role.value} {'in' if inside else 'out'}")
        for case in PAGE_ROUTES
        for role in Role
        for inside in (True, False)
    ],
)  # fmt: skip
def test_page_route_role_region(
    figures_app: FastAPI, figures_db: Engine, case: Case, role: Role, inside: bool
) -> None:
    with TestClient(figures_app) as client:
        response = case.call(client, _user(role), role, inside, figures_db)
    if allowed(case.method, case.path, role, inside):
        assert response.status_code in case.success, response.text[:400]
    else:
        expected = refusal(case.method, case.path, role, inside)
        assert response.status_code == expected, response.text[:400]


def test_outside_action_is_not_updated(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    """A refused update leaves the action as it was."""
    path = _new_action(Role.district_analyst, False, figures_db)
    with TestClient(figures_app) as client:
        login(client, _user(Role.district_analyst))
        response = client.post(
            path, data={"status": "done", "csrf_token": csrf_of(client)}
        )
    assert response.status_code == 403
    with unit_of_work(figures_db) as session:
        status = session.scalar(
            select(MeetingAction.status).where(
                MeetingAction.id == int(path.rsplit("/", 1)[1])
            )
        )
    assert status == "open"
