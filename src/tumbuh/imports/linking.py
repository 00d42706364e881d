"""Linking rows to persons: valid NIK first, else name + birth date + sex + mother's name
(fuzzy), else, for rows without a name, sex + birth date + place + birth size.

The index is loaded in bulk per chunk (one query per batch of NIKs or birth dates, never one
per row) and grows as the file creates persons, so the same new child in several rows of
one file becomes one person.

Linking does not depend on row order and a re-import links every row to the person it was
linked to the first time:
- an exact key (birth date + name key, or birth date + spelling key) is looked up before
  any fuzzy match, and ties go to the oldest person (lowest id), not to the first one seen;
- a fuzzy match links without review only to a person stored before this import (within one
  file, two different spellings are two e-PPGBM records: they become two persons, and a
  review entry when they are close);
- names that carry different numbers (pseudonymised exports: `ANAK 05710`, `ANAK 05910`)
  and persons of a known different sex never match.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from tumbuh.imports.context import BATCH, bulk_insert, bulk_update, insert_with_ids
from tumbuh.register.models import LinkReview, Person

# Name similarity (rapidfuzz token_sort_ratio on spelling keys, 0-100) at or above which two
# records with the same birth date (and no conflicting mother's name) are the same child
# without review; between REVIEW and SAME the row gets a new person and a review entry.
# Spelling variants ("Muhammad Rizky" / "Muhamad Rizki") fold to one key and link; twins'
# names such as "Muhammad Rizky" / "Muhammad Rizal" (86) go to review, never merge.
SAME_NAME = 90.0
SAME_MOTHER = 85.0
REVIEW_NAME = 80.0


_OLD_SPELLING = (("oe", "u"), ("dj", "j"), ("tj", "c"), ("sj", "sy"), ("ch", "kh"))
_DOUBLED = re.compile(r"([a-z])\1+")  # letters only: 0910 is not 09100
_DIGITS = re.compile(r"\d+")
# Prefix of the identity key of a person known without a name (see `anonymous_key`).
ANONYMOUS = "~"


@functools.lru_cache(maxsize=1 << 17)
def spelling_key(name_key: str) -> str:
    """Name key with Indonesian spelling variants folded: `muhammad rizky` → `muhamad rizki`.

    Old (pre-1972) spellings (oe, dj, tj), doubled letters and a final y/i are the most
    common differences between two writings of one name in registers.
    """
    text = name_key
    for old, new in _OLD_SPELLING:
        text = text.replace(old, new)
    text = _DOUBLED.sub(r"\1", text)
    return " ".join(w[:-1] + "i" if w.endswith("y") else w for w in text.split())


_KEPT = (
    "family_id",
    "mother_id",
    "desa_code",
    "fingerprint",
    "name",
    "sex",
    "birth_date",
)


@dataclass(slots=True)
class Candidate:
    id: int  # negative until inserted
    name_key: str
    birth_date: dt.date | None
    mother_key: str | None
    nik: str | None
    # family_id, mother_id, desa_code, fingerprint as stored (or the new row's values)
    extra: dict[str, Any] = field(default_factory=dict)
    spelling: str = ""

    def __post_init__(self) -> None:
        self.spelling = spelling_key(self.name_key)

    @property
    def sex(self) -> str | None:
        value = self.extra.get("sex")
        return None if value is None else str(value)

    @property
    def anonymous(self) -> bool:
        return self.name_key.startswith(ANONYMOUS)


def anonymous_key(
    sex: str,
    desa_code: str | None,
    posyandu: str | None,
    rt: str | None,
    rw: str | None,
    birth_weight: float | None,
    birth_length: float | None,
) -> str:
    """Identity key of a child in an export without names (birth date is kept apart):
    sex, place (desa, posyandu, RT/RW) and birth size, e.g. `~M|64.72.06.1001|mawar 1|004|002|3.1|49`."""
    size = ["" if v is None else f"{v:g}" for v in (birth_weight, birth_length)]
    parts = [sex, desa_code or "", (posyandu or "")[:60], rt or "", rw or "", *size]
    return (ANONYMOUS + "|".join(parts))[:160]


def _numbers(key: str) -> list[str]:
    return _DIGITS.findall(key)


def _order(cand: Candidate) -> tuple[bool, int]:
    """Stored persons first, the oldest first; then persons of this import in creation order."""
    return (cand.id < 0, abs(cand.id))


@dataclass
class PersonIndex:
    """Persons known to this import, by NIK and by birth date."""

    session: Session
    by_nik: dict[str, Candidate] = field(default_factory=dict)
    # Per birth date: the spelling keys and the candidates, in the same order (fuzzy search).
    by_birth: dict[dt.date, tuple[list[str], list[Candidate]]] = field(
        default_factory=dict
    )
    by_key: dict[tuple[dt.date, str], list[Candidate]] = field(default_factory=dict)
    by_spelling: dict[tuple[dt.date, str], list[Candidate]] = field(
        default_factory=dict
    )
    # Every person per birth date, named or not (near matches of rows without a name).
    by_birth_all: dict[dt.date, list[Candidate]] = field(default_factory=dict)
    by_id: dict[int, Candidate] = field(default_factory=dict)
    loaded_niks: set[str] = field(default_factory=set)
    loaded_dates: set[dt.date] = field(default_factory=set)
    pending: list[Candidate] = field(default_factory=list)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    next_temp: int = -1
    created: int = 0
    created_ids: set[int] = field(default_factory=set)
    reviewed: int = 0

    def _add(self, cand: Candidate) -> None:
        self.by_id[cand.id] = cand
        if cand.nik:
            self.by_nik[cand.nik] = cand
        if cand.birth_date is not None:
            self.by_key.setdefault((cand.birth_date, cand.name_key), []).append(cand)
            self.by_birth_all.setdefault(cand.birth_date, []).append(cand)
            if cand.anonymous or not cand.name_key:
                return
            self.by_spelling.setdefault((cand.birth_date, cand.spelling), []).append(
                cand
            )
            spellings, cands = self.by_birth.setdefault(cand.birth_date, ([], []))
            spellings.append(cand.spelling)
            cands.append(cand)

    def _load(self, where: Any) -> None:
        stmt = select(
            Person.id,
            Person.name_key,
            Person.birth_date,
            Person.mother_name_key,
            Person.nik,
            Person.family_id,
            Person.mother_id,
            Person.desa_code,
            Person.fingerprint,
            Person.name,
            Person.sex,
        ).where(where)
        for row in self.session.execute(stmt):
            pid, key, birth, mother, nik, fam, mid, desa, fp, name, sex = row
            if pid not in self.by_id:
                extra = {
                    "family_id": fam,
                    "mother_id": mid,
                    "desa_code": desa,
                    "fingerprint": fp,
                    "name": name,
                    "sex": sex,
                    "birth_date": birth,
                    "name_key": key,
                }
                self._add(Candidate(pid, key, birth, mother, nik, extra))

    def preload(self, niks: set[str], dates: set[dt.date | None]) -> None:
        """Load the persons with these NIKs or birth dates that are not loaded yet (a
        missing or unreadable birth date, None, matches nobody by date)."""
        want_niks = sorted(niks - self.loaded_niks)
        for start in range(0, len(want_niks), BATCH):
            self._load(Person.nik.in_(want_niks[start : start + BATCH]))
        self.loaded_niks.update(want_niks)
        want_dates = sorted(d for d in dates - self.loaded_dates if d is not None)
        for start in range(0, len(want_dates), BATCH):
            self._load(Person.birth_date.in_(want_dates[start : start + BATCH]))
        self.loaded_dates.update(want_dates)

    def created_here(self, cand: Candidate) -> bool:
        """Whether this import created the person (not yet written, or written by it)."""
        return cand.id < 0 or cand.id in self.created_ids

    def match(
        self,
        *,
        nik: str | None,
        name_key: str,
        birth_date: dt.date | None,
        mother_key: str | None,
        sex: str | None = None,
        desa_code: str | None = None,
    ) -> tuple[Candidate | None, Candidate | None, float]:
        """(certain match, uncertain candidate, score): NIK, then exact key, then spelling
        key, then fuzzy (stored persons only); rows without a name: their exact key, else
        a person of the same sex, birth date and desa for review."""
        if nik is not None:
            hit = self.by_nik.get(nik)
            if hit is not None:
                return hit, None, 100.0
        if birth_date is None:
            return None, None, 0.0

        def fits(cand: Candidate) -> bool:
            if nik is not None and cand.nik is not None and cand.nik != nik:
                return False  # two valid, different NIKs are two people
            return sex is None or cand.sex is None or cand.sex == sex

        keyed = self.by_key.get((birth_date, name_key))
        if keyed:
            best: Candidate | None = None
            for c in keyed:
                if (
                    fits(c)
                    and (mother_key is None or c.mother_key in (None, mother_key))
                    and (best is None or _order(c) < _order(best))
                ):
                    best = c
            if best is not None:
                return best, None, 100.0
        if name_key.startswith(ANONYMOUS) or not name_key:
            near = [
                c
                for c in self.by_birth_all.get(birth_date, ())
                if fits(c)
                and c.sex == sex
                and (desa_code is None or c.extra.get("desa_code") in (None, desa_code))
            ]
            if near:
                return None, min(near, key=_order), 50.0
            return None, None, 0.0
        pool = self.by_birth.get(birth_date)
        if pool is None:  # no named person born that day: nothing to compare
            return None, None, 0.0
        numbers = _numbers(name_key)
        spelling = spelling_key(name_key)
        same = [
            c
            for c in self.by_spelling.get((birth_date, spelling), ())
            if fits(c)
            and _numbers(c.name_key) == numbers
            and (
                mother_key is None
                or c.mother_key is None
                or fuzz.token_sort_ratio(mother_key, c.mother_key) >= SAME_MOTHER
            )
        ]
        if same:
            return min(same, key=_order), None, 100.0
        found: list[tuple[float, Candidate]] = []
        hits = process.extract(
            spelling,
            pool[0],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=REVIEW_NAME,
            limit=None,
        )
        for _, score, idx in hits:
            cand = pool[1][idx]
            if not fits(cand) or _numbers(cand.name_key) != numbers:
                continue
            if mother_key is not None and cand.mother_key is not None:
                mscore = fuzz.token_sort_ratio(mother_key, cand.mother_key)
                score = min(score, mscore) if mscore < SAME_MOTHER else score
                if score < REVIEW_NAME:
                    continue
            found.append((float(score), cand))
        if not found:
            return None, None, 0.0
        certain = [
            (sc, c) for sc, c in found if sc >= SAME_NAME and not self.created_here(c)
        ]
        if certain:
            top = min(certain, key=lambda x: (-x[0], _order(x[1])))
            return top[1], None, top[0]
        top = min(found, key=lambda x: (-x[0], _order(x[1])))
        return None, top[1], top[0]

    def create(self, values: dict[str, Any]) -> Candidate:
        """A new person (written at `flush`); returns its index entry with a temporary id."""
        cand = Candidate(
            self.next_temp,
            values["name_key"],
            values.get("birth_date"),
            values.get("mother_name_key"),
            values.get("nik"),
            values,
        )
        self.next_temp -= 1
        self._add(cand)
        self.pending.append(cand)
        return cand

    def set_fields(self, cand: Candidate, values: dict[str, Any]) -> None:
        """Set the known, changed fields of a person (the latest row wins; nothing when equal)."""
        changed = {
            k: v
            for k, v in values.items()
            if v is not None and cand.extra.get(k) != v and k != "nik"
        }
        if values.get("nik") is not None and cand.nik is None:
            cand.nik = values["nik"]
            self.by_nik[cand.nik] = cand
            changed["nik"] = cand.nik
        if not changed:
            return
        cand.extra.update(changed)
        if cand.id > 0:
            self.updates.setdefault(cand.id, {}).update(changed)

    def review(
        self,
        cand: Candidate,
        other: Candidate,
        score: float,
        file: str,
        row: int,
        reason: str = "name/birth date/mother fuzzy match",
    ) -> None:
        self.reviews.append(
            {
                "person": cand,
                "candidate": other,
                "score": float(score),
                "reason": reason,
                "file": file[:255],
                "row": row,
            }
        )

    def flush(self) -> None:
        """Write pending persons (ids back in order), field updates and review entries."""
        if self.pending:
            keys = {k for cand in self.pending for k in cand.extra}
            rows = [{k: cand.extra.get(k) for k in keys} for cand in self.pending]
            ids = insert_with_ids(self.session, Person, rows)
            for cand, pid in zip(self.pending, ids, strict=True):
                del self.by_id[cand.id]
                cand.id = pid
                self.by_id[pid] = cand
                self.created_ids.add(pid)
                cand.extra = {k: cand.extra.get(k) for k in _KEPT + ("name_key",)}
            self.created += len(self.pending)
            self.pending.clear()
        if self.updates:
            bulk_update(
                self.session,
                Person.__table__,
                [{"id": pid, **v} for pid, v in self.updates.items()],
            )
            self.updates.clear()
        if self.reviews:
            self.reviewed += len(self.reviews)
            bulk_insert(
                self.session,
                LinkReview.__table__,
                [
                    {
                        "person_id": r["person"].id,
                        "candidate_id": r["candidate"].id,
                        "score": r["score"],
                        "reason": r["reason"],
                        "file": r["file"],
                        "row": r["row"],
                        "status": "open",
                    }
                    for r in self.reviews
                ],
            )
            self.reviews.clear()
