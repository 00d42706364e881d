"""One gate for personal data (accounts/personal.py): child and family reads are scoped
first, audited (refusals too, and they survive the 403), masked, and a refusal never names
where the record is."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import (
    INSIDE_CHILD,
    INSIDE_FAMILY,
    OUTSIDE_DESA,
    bearer,
    outside_ids,
)

from tumbuh.accounts.models import AuditEvent
from tumbuh.accounts.roles import Role


def _events(engine: Engine, username: str, object_id: int) -> list[tuple[str, str]]:
    with Session(engine) as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.object_type).where(
                AuditEvent.username == username, AuditEvent.object_id == str(object_id)
            )
        ).all()
    return sorted((a, t) for a, t in rows)


@pytest.mark.parametrize("kind", ["children", "families"])
def test_a_refusal_outside_the_area_is_audited_and_names_no_region(
    figures_app: FastAPI, figures_db: Engine, kind: str
) -> None:
    role = Role.district_analyst
    child, family = outside_ids(role)
    oid = child if kind == "children" else family
    with TestClient(figures_app) as client:
        r = client.get(
            f"/api/v1/{kind}/{oid}", headers=bearer(client, f"fig_{role.value}")
        )
    assert r.status_code == 403
    assert r.json()["error"] == "outside_region"
    assert OUTSIDE_DESA[role] not in r.text
    assert OUTSIDE_DESA[role].rsplit(".", 1)[0] not in r.text
    object_type = "child" if kind == "children" else "family"
    assert ("refused", object_type) in _events(figures_db, f"fig_{role.value}", oid)


def test_an_aggregates_only_role_is_refused_before_any_read_and_audited(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    with TestClient(figures_app) as client:
        auth = bearer(client, "fig_viewer")
        r = client.get(f"/api/v1/children/{INSIDE_CHILD}", headers=auth)
        page_missing = client.get("/api/v1/children/2147483000", headers=auth)
    assert r.json()["error"] == "aggregates_only"
    # the role is refused before the record is looked up: no existence oracle
    assert page_missing.status_code == 403
    assert ("refused", "child") in _events(figures_db, "fig_viewer", INSIDE_CHILD)


def test_views_are_audited_and_nik_masked_for_analysts(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    role = Role.district_analyst
    with TestClient(figures_app) as client:
        auth = bearer(client, f"fig_{role.value}")
        fam = client.get(f"/api/v1/families/{INSIDE_FAMILY}", headers=auth).json()
    assert "•" in fam["no_kk"]
    assert all(m["nik"] is None or "•" in m["nik"] for m in fam["members"])
    assert ("view", "family") in _events(figures_db, f"fig_{role.value}", INSIDE_FAMILY)


def test_a_no_kk_outside_the_area_answers_like_an_unregistered_one(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    from tests.web.conftest import csrf_of, login
    from tests.web.test_authorization_pages import OUTSIDE_NO_KK

    role = Role.district_analyst

    def post(no_kk: str) -> tuple[int, str]:
        r = client.post(
            "/interventions/records",
            data={"kind_code": "pendampingan_krs", "given_on": "2025-04-01",
                  "no_kk": no_kk, "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )  # fmt: skip
        detail = r.text.split('class="detail">', 1)[1].split("</p>", 1)[0]
        return r.status_code, detail

    with TestClient(figures_app) as client:
        login(client, f"fig_{role.value}")
        registered_elsewhere = post(OUTSIDE_NO_KK[role])
        unregistered = post("6471999999999999")
    assert registered_elsewhere == unregistered
    assert registered_elsewhere[0] == 404
    assert OUTSIDE_DESA[role] not in registered_elsewhere[1]


def test_a_refused_route_is_audited(figures_app: FastAPI, figures_db: Engine) -> None:
    from tests.web.conftest import login

    with TestClient(figures_app) as client:
        login(client, "fig_district_analyst")
        r = client.get("/regions/64.72", follow_redirects=False)
    assert r.status_code == 403
    with Session(figures_db) as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.username == "fig_district_analyst",
                AuditEvent.object_id == "GET /regions/64.72",
            )
        ).all()
    assert ("refused", "outside_region") in [tuple(r) for r in rows]


# ------------------------------------------------ lists naming a desa's families (the gate)

MANGGAR = "64.71.01.1001"


def _desa_events(engine: Engine, username: str) -> list[tuple[str, str, str | None]]:
    with Session(engine) as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.object_type, AuditEvent.detail).where(
                AuditEvent.username == username, AuditEvent.region_code == MANGGAR
            )
        ).all()
    return [(a, t, d) for a, t, d in rows]


def test_the_desa_page_reads_its_lists_through_the_gate(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    from tests.web.conftest import login

    with TestClient(figures_app) as client:
        login(client, "fig_bpp")
        html = client.get(f"/regions/{MANGGAR}").text
    # the district analyst sees the visit list with the No KK masked, never in full
    assert "visits-table" in html
    assert "6471••••••••0001" in html
    assert "6471010101010001" not in html
    # each list read is audited as a view, with how many rows it named
    events = _desa_events(figures_db, "fig_bpp")
    kinds = {t for a, t, d in events if a == "view" and d and d.endswith(" rows")}
    assert {"visit_list", "gaps"} <= kinds


def test_a_desa_list_outside_the_area_is_refused_and_audited(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    from tests.web.conftest import login

    with TestClient(figures_app) as client:
        login(client, "fig_district_analyst")  # at 64.71: Manggar is inside
        inside = client.get(f"/regions/{MANGGAR}/gaps.xlsx")
        outside = client.get("/regions/64.72.01.1001/gaps.xlsx")
    assert inside.status_code == 200
    assert outside.status_code == 403
    with Session(figures_db) as s:
        refused = s.execute(
            select(AuditEvent.object_id).where(
                AuditEvent.username == "fig_district_analyst",
                AuditEvent.action == "refused",
            )
        ).all()
    assert ("GET /regions/64.72.01.1001/gaps.xlsx",) in [tuple(r) for r in refused]
    exported = _desa_events(figures_db, "fig_district_analyst")
    assert ("export", "gaps") in {(a, t) for a, t, _ in exported}


def test_the_gate_masks_a_copy_and_leaves_the_stored_list_alone() -> None:
    import dataclasses

    import pandas as pd

    from tumbuh.accounts.personal import _masked

    @dataclasses.dataclass(frozen=True)
    class Lists:
        rows: pd.DataFrame
        families: list[dict[str, str]]
        no_kk: str

    stored = Lists(
        rows=pd.DataFrame({"no_kk": ["6471010101010001"], "nik": [None]}),
        families=[{"no_kk": "6471010101010002", "name": "Siti"}],
        no_kk="6471010101010003",
    )
    seen = _masked(stored, Role.district_analyst.value)
    assert seen.rows["no_kk"].tolist() == ["6471••••••••0001"]
    assert seen.families == [{"no_kk": "6471••••••••0002", "name": "Siti"}]
    assert seen.no_kk == "6471••••••••0003"
    assert stored.rows["no_kk"].tolist() == ["6471010101010001"]  # untouched
    full = _masked(stored, Role.province_admin.value)
    assert full.rows["no_kk"].tolist() == ["6471010101010001"]
