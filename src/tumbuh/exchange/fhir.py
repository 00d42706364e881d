"""FHIR R4 out: children, their mothers and growth measurements as transaction Bundles.

Per child: a ``Patient``; the mother as a ``RelatedPerson`` (relationship ``MTH``); per
measurement one ``Observation`` each for weight (LOINC 29463-7, ``kg``), length lying
(8306-3) or height standing (8302-2, ``cm``, with the core ``observation-bodyPosition``
extension), head circumference (9843-4) and mid-upper arm circumference (56072-2), UCUM
units. Resource ids are name-based UUIDs of tumbuh's row ids, so a re-sent bundle
(``PUT``) updates instead of duplicating. The NIK goes in as an identifier only when the
exporting account's role may see full NIKs (`tumbuh.accounts.roles`); every export is
recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import require_personal_data
from tumbuh.errors import NotFound
from tumbuh.register.models import Measurement, Person

__all__ = ["FhirExport", "LOINC", "export_fhir", "bundles"]

NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
LOCAL_SYSTEM = "urn:tumbuh:person"
LOINC_SYSTEM = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
_NAMESPACE = uuid.UUID("6f1c1e3a-2b7d-5a53-9d0e-7475d6275568")  # tumbuh's, fixed
BODY_POSITION = "http://hl7.org/fhir/StructureDefinition/observation-bodyPosition"

#: Measurement column -> (LOINC code, display, UCUM unit).
LOINC: dict[str, tuple[str, str, str]] = {
    "weight_kg": ("29463-7", "Body weight", "kg"),
    "length_cm": ("8306-3", "Body height --lying", "cm"),
    "height_cm": ("8302-2", "Body height", "cm"),
    "headc_cm": ("9843-4", "Head Occipital-frontal circumference", "cm"),
    "muac_cm": ("56072-2", "Circumference Mid upper arm", "cm"),
}
# SNOMED CT body positions for the observation-bodyPosition extension.
_POSITION = {
    "l": ("102538003", "Recumbent body position"),
    "h": ("10904000", "Orthostatic body position"),
}


@dataclass(frozen=True)
class FhirExport:
    """What an export wrote."""

    files: list[Path]
    children: int
    observations: int
    with_nik: bool


def _id(kind: str, key: int | str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{key}"))


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    rid = resource["id"]
    return {
        "fullUrl": f"urn:uuid:{rid}",
        "resource": resource,
        "request": {"method": "PUT", "url": f"{resource['resourceType']}/{rid}"},
    }


def _identifiers(person_id: int, nik: str | None, with_nik: bool) -> list[Any]:
    out: list[dict[str, str]] = [{"system": LOCAL_SYSTEM, "value": str(person_id)}]
    if with_nik and nik:
        out.insert(0, {"use": "official", "system": NIK_SYSTEM, "value": nik})
    return out


def _gender(sex: str | None) -> str:
    return {"M": "male", "F": "female"}.get(sex or "", "unknown")


def _patient(child: Person, with_nik: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _id("Patient", child.id),
        "identifier": _identifiers(child.id, child.nik, with_nik),
        "name": [{"text": child.name}],
        "gender": _gender(child.sex),
    }
    if child.birth_date is not None:
        resource["birthDate"] = child.birth_date.isoformat()
    if child.address:
        resource["address"] = [{"use": "home", "text": child.address}]
    return resource


def _mother(
    child: Person, mother: Person | None, with_nik: bool
) -> dict[str, Any] | None:
    name = mother.name if mother is not None else child.mother_name
    if not name:
        return None
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": _id("RelatedPerson", f"{child.id}/mother"),
        "patient": {"reference": f"urn:uuid:{_id('Patient', child.id)}"},
        "relationship": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                        "code": "MTH",
                        "display": "mother",
                    }
                ]
            }
        ],
        "name": [{"text": name}],
        "gender": "female",
    }
    if mother is not None:
        resource["identifier"] = _identifiers(mother.id, mother.nik, with_nik)
        if mother.birth_date is not None:
            resource["birthDate"] = mother.birth_date.isoformat()
    return resource


def _observation(
    m: Measurement, what: str, value: float, patient_id: str
) -> dict[str, Any]:
    code, display, unit = LOINC[what]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _id("Observation", f"{m.id}/{code}"),
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                        "display": "Vital Signs",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": LOINC_SYSTEM, "code": code, "display": display}]
        },
        "subject": {"reference": f"urn:uuid:{patient_id}"},
        "effectiveDateTime": m.measured_on.isoformat(),
        "valueQuantity": {
            "value": round(float(value), 2),
            "unit": unit,
            "system": UCUM,
            "code": unit,
        },
    }
    if what in ("length_cm", "height_cm") and m.measure in _POSITION:
        pos_code, pos_display = _POSITION[m.measure]
        resource["extension"] = [
            {
                "url": BODY_POSITION,
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": "http://snomed.info/sct",
                            "code": pos_code,
                            "display": pos_display,
                        }
                    ]
                },
            }
        ]
    return resource


def _observations(m: Measurement, patient_id: str) -> Iterator[dict[str, Any]]:
    if m.weight_kg is not None:
        yield _observation(m, "weight_kg", m.weight_kg, patient_id)
    if m.lenhei_cm is not None:
        # Length is measured lying (under two years), height standing; the LOINC code
        # and the body position say which (unknown position: height).
        what = "length_cm" if m.measure == "l" else "height_cm"
        yield _observation(m, what, m.lenhei_cm, patient_id)
    if m.headc_cm is not None:
        yield _observation(m, "headc_cm", m.headc_cm, patient_id)
    if m.muac_cm is not None:
        yield _observation(m, "muac_cm", m.muac_cm, patient_id)


_MOTHER = aliased(Person, name="mother")


def _query(region: str, since: dt.date | None) -> Select[Measurement, Person, Person]:
    stmt = (
        select(Measurement, Person, _MOTHER)
        .join(Person, Person.id == Measurement.person_id)
        .outerjoin(_MOTHER, _MOTHER.id == Person.mother_id)
        .where(
            or_(
                Measurement.desa_code == region,
                Measurement.desa_code.like(region + ".%"),
            )
        )
        .order_by(Person.id, Measurement.measured_on, Measurement.id)
    )
    if since is not None:
        stmt = stmt.where(Measurement.measured_on >= since)
    return stmt


def bundles(
    session: Session,
    *,
    region: str,
    since: dt.date | None = None,
    with_nik: bool = False,
    children_per_bundle: int = 500,
) -> Iterator[tuple[dict[str, Any], int, int]]:
    """Transaction Bundles of the children measured in `region` (since `since`), with
    the number of children and observations in each."""
    entries: list[dict[str, Any]] = []
    children = observations = 0
    current: int | None = None
    # Streamed in batches (a province has millions of measurements).
    rows = session.execute(_query(region, since).execution_options(yield_per=2000))

    def bundle() -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "transaction", "entry": entries}

    for m, child, mother_row in rows:
        if child.id != current:
            if children == children_per_bundle:
                yield bundle(), children, observations
                entries, children, observations = [], 0, 0
            current = child.id
            children += 1
            entries.append(_entry(_patient(child, with_nik)))
            mother = _mother(child, mother_row, with_nik)
            if mother is not None:
                entries.append(_entry(mother))
        for obs in _observations(m, _id("Patient", child.id)):
            entries.append(_entry(obs))
            observations += 1
    if entries:
        yield bundle(), children, observations


def export_fhir(
    session: Session,
    *,
    user: User,
    region: str,
    out_dir: Path,
    since: dt.date | None = None,
    children_per_bundle: int = 500,
) -> FhirExport:
    """Write ``out_dir/bundle-NNNNN.json`` for `user` (scope and role checked, NIK only
    for roles with full NIK) and record the export in the audit log (flushes only)."""
    code = require_personal_data(user, region)
    with_nik = policy(user.role).full_nik
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("bundle-*.json"):
        old.unlink()
    files: list[Path] = []
    children = observations = 0
    for i, (b, c, o) in enumerate(
        bundles(
            session,
            region=code,
            since=since,
            with_nik=with_nik,
            children_per_bundle=children_per_bundle,
        ),
        start=1,
    ):
        path = out_dir / f"bundle-{i:05d}.json"
        path.write_text(json.dumps(b, ensure_ascii=False, indent=1) + "\n", "utf-8")
        files.append(path)
        children += c
        observations += o
    accounts.record(
        session,
        actor=user,
        action="export",
        object_type="fhir",
        region_code=code,
        detail=(
            f"FHIR R4 bundles: {children} children, {observations} observations"
            f"{', since ' + since.isoformat() if since else ''}; "
            f"NIK {'included' if with_nik else 'not included'}"
        ),
    )
    session.flush()
    return FhirExport(files, children, observations, with_nik)


def user_named(session: Session, username: str) -> User:
    """The active account `username` (exports are made as someone)."""
    user = accounts.get_by_username(session, username)
    if user is None or not user.active:
        raise NotFound(f"--user {username!r}: no active account of that name")
    return user
