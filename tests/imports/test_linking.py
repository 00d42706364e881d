"""Linking rows to persons (`imports.linking.PersonIndex`), on its own: no file, no import."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.imports.linking import PersonIndex, anonymous_key
from tumbuh.register.models import LinkReview, Person

BORN = dt.date(2023, 5, 17)
NIK = "6472065705230001"


def person(name_key: str, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": name_key.upper(),
        "name_key": name_key,
        "birth_date": BORN,
        "sex": "M",
    }
    values.update(extra)
    return values


def stored(session: Session, *people: dict[str, Any]) -> list[int]:
    """Persons written before the import (a new index then sees them as stored)."""
    index = PersonIndex(session)
    cands = [index.create(p) for p in people]
    index.flush()
    return [c.id for c in cands]


def match(index: PersonIndex, name_key: str, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "nik": None,
        "name_key": name_key,
        "birth_date": BORN,
        "mother_key": None,
        "sex": "M",
    }
    args.update(kw)
    index.preload({args["nik"]} if args["nik"] else set(), {BORN})
    return index.match(**args)


def test_a_valid_nik_links_whatever_the_name(db: Session) -> None:
    (pid,) = stored(db, person("budi santoso", nik=NIK))
    cand, unsure, _ = match(PersonIndex(db), "b santoso", nik=NIK)
    assert cand is not None
    assert cand.id == pid
    assert unsure is None


def test_a_spelling_variant_links_to_the_stored_person(db: Session) -> None:
    (pid,) = stored(db, person("muhammad rizky"))
    cand, unsure, _ = match(PersonIndex(db), "muhamad rizki")
    assert cand is not None
    assert cand.id == pid
    assert unsure is None


def test_numbered_names_never_link(db: Session) -> None:
    stored(db, person("anak 05710"))
    cand, unsure, _ = match(PersonIndex(db), "anak 05910")
    assert cand is None
    assert unsure is None


def test_a_near_name_goes_to_review_not_linked(db: Session) -> None:
    (pid,) = stored(db, person("muhammad rizky"))
    cand, unsure, score = match(PersonIndex(db), "muhammad rizal")
    assert cand is None
    assert unsure is not None
    assert unsure.id == pid
    assert 80 <= score < 90


def test_a_different_sex_never_links(db: Session) -> None:
    stored(db, person("putri ayu", sex="F"))
    cand, unsure, _ = match(PersonIndex(db), "putri ayu", sex="M")
    assert cand is None
    assert unsure is None


def test_ties_go_to_the_oldest_person_whatever_the_order(db: Session) -> None:
    first, _second = stored(db, person("siti"), person("siti"))
    cand, _, _ = match(PersonIndex(db), "siti")
    assert cand is not None
    assert cand.id == first


def test_a_nameless_row_is_a_review_candidate_only(db: Session) -> None:
    desa = "64.72.06.1001"
    (pid,) = stored(db, person("dewi", sex="F", desa_code=desa))
    key = anonymous_key("F", desa, "mawar", "004", "002", 3.1, 49.0)
    cand, unsure, _ = match(PersonIndex(db), key, sex="F", desa_code=desa)
    assert cand is None
    assert unsure is not None
    assert unsure.id == pid


def test_created_persons_and_reviews_are_written_at_flush(db: Session) -> None:
    before = db.scalar(select(func.count()).select_from(Person)) or 0
    index = PersonIndex(db)
    a = index.create(person("andi"))
    b = index.create(person("andy"))
    assert a.id < 0
    assert b.id < 0
    index.review(b, a, 88.0, "f.csv", 3)
    index.flush()
    assert a.id > 0
    assert b.id > 0
    assert index.created == 2
    assert db.scalar(select(func.count()).select_from(Person)) == before + 2
    review = db.scalars(select(LinkReview)).one()
    assert (review.person_id, review.candidate_id, review.row) == (b.id, a.id, 3)
