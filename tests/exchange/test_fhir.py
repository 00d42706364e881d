"""FHIR R4 bundles of the register's children: valid R4 resources (fhir.resources), LOINC
and UCUM codes, NIK only for roles allowed to see it, scope checked, export audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tumbuh.accounts.models import AuditEvent
from tumbuh.cli import app
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.errors import Forbidden
from tumbuh.exchange.fhir import NIK_SYSTEM
from tumbuh.register.models import Person

from .conftest import CHILDREN_PER_PLACE, PLACES

Bundle = pytest.importorskip("fhir.resources.R4B.bundle").Bundle
runner = CliRunner()


def _export(url: str, out: Path, user: str, *extra: str) -> Any:
    return runner.invoke(
        app,
        ["--lang", "en", "export", "fhir", "--region", "64", "-o", str(out), "--user", user,
         "--db", url, *extra],
    )  # fmt: skip


def _resources(out: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(out.glob("bundle-*.json")):
        payload = json.loads(path.read_text())
        Bundle.model_validate(payload)  # raises on anything that is not valid R4
        found += [e["resource"] for e in payload["entry"]]
    return found


def test_bundles_validate_and_carry_loinc_ucum_and_the_nik_for_an_admin(
    register_url: str, accounts: dict[str, str], tmp_path: Path
) -> None:
    result = _export(
        register_url, tmp_path, accounts["province_admin"],
        "--children-per-bundle", "20",
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    children = CHILDREN_PER_PLACE * len(PLACES)
    assert f"{children} children" in result.output
    assert len(list(tmp_path.glob("bundle-*.json"))) == 3  # 48 children, 20 a bundle
    resources = _resources(tmp_path)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    assert len(by_type["Patient"]) == children
    assert len(by_type["RelatedPerson"]) == children
    # 2 visits x (weight, height, head circumference, MUAC)
    assert len(by_type["Observation"]) == children * 2 * 4
    codes = {
        o["code"]["coding"][0]["code"]: o["valueQuantity"]["code"]
        for o in by_type["Observation"]
    }
    assert codes == {"29463-7": "kg", "8302-2": "cm", "9843-4": "cm", "56072-2": "cm"}
    height = next(
        o for o in by_type["Observation"] if o["code"]["coding"][0]["code"] == "8302-2"
    )
    assert height["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == (
        "10904000"  # standing
    )
    assert all(
        o["valueQuantity"]["system"] == "http://unitsofmeasure.org"
        for o in by_type["Observation"]
    )
    niks = [
        i["value"]
        for p in by_type["Patient"]
        for i in p["identifier"]
        if i["system"] == NIK_SYSTEM
    ]
    engine = make_engine(register_url)
    try:
        with unit_of_work(engine) as s:
            registered = set(
                s.scalars(
                    select(Person.nik).where(
                        Person.nik.is_not(None), Person.name.like("Anak %")
                    )
                )
            )
    finally:
        engine.dispose()
    assert len(registered) > children // 2
    assert sorted(niks) == sorted(registered)


def test_an_analyst_gets_no_nik_and_every_export_is_audited(
    register_url: str, accounts: dict[str, str], tmp_path: Path
) -> None:
    result = _export(register_url, tmp_path, accounts["province_analyst"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "not included" in result.output
    text = "".join(p.read_text() for p in tmp_path.glob("bundle-*.json"))
    assert NIK_SYSTEM not in text
    assert len(_resources(tmp_path)) > 0
    engine = make_engine(register_url)
    try:
        with unit_of_work(engine) as s:
            events = s.scalars(
                select(AuditEvent).where(
                    AuditEvent.object_type == "fhir",
                    AuditEvent.username == accounts["province_analyst"],
                )
            ).all()
    finally:
        engine.dispose()
    assert len(events) == 1
    assert events[0].action == "export"
    assert "NIK not included" in (events[0].detail or "")


def test_since_keeps_only_later_measurements(
    register_url: str, accounts: dict[str, str], tmp_path: Path
) -> None:
    result = _export(
        register_url, tmp_path, accounts["province_admin"], "--since", "2025-06-01"
    )
    assert result.exit_code == 0, (result.output, result.exception)
    dates = {
        r["effectiveDateTime"]
        for r in _resources(tmp_path)
        if r["resourceType"] == "Observation"
    }
    assert dates == {"2025-08-10"}


@pytest.mark.parametrize(
    ("role", "region"), [("viewer", "64"), ("district_analyst", "64")]
)
def test_a_viewer_or_a_region_outside_the_account_is_refused(
    register_url: str, accounts: dict[str, str], tmp_path: Path, role: str, region: str
) -> None:
    result = runner.invoke(
        app,
        ["export", "fhir", "--region", region, "-o", str(tmp_path), "--user",
         accounts[role], "--db", register_url],
    )  # fmt: skip
    assert isinstance(result.exception, Forbidden)
    assert not list(tmp_path.glob("bundle-*.json"))
