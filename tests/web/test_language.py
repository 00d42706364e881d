"""Every page in one language: rendered in English, no Indonesian-only word and no raw code;
rendered in Indonesian, no English-only word and no raw code (issue 17).

Every GET page route the app lists is rendered (files, the JSON API and static assets
aside) for every region level, on the private test database (figures_db), by the users who
can open it: the province admin, and the village team for its own pages. The words people
and places are called by (names from the register) are data, taken out before the look.
Key CLI outputs are checked the same way; the data-quality reasons and their workbook in
tests/web/test_quality_page.py (their sample database is another module's).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.language_words import finished_import_job, offending
from tests.web.conftest import INSIDE_CHILD, INSIDE_FAMILY, login

from tumbuh.accounts.models import User
from tumbuh.db.session import unit_of_work
from tumbuh.register.models import Facility, Family, Person, Region

# Where no region is in the path, and every level of region where one is.
REGIONS = ("64", "64.71", "64.71.01", "64.71.01.1001")
VISIBLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


def visible_text(html: str, lang: str) -> str:
    """The words a reader sees or hears: text outside scripts/styles, and labels. Text an
    element declares to be in another language (``lang="en"`` on an Indonesian page: a
    technical log line, a name) is left out, as a screen reader would switch voice."""
    doc = lxml.html.fromstring(html)
    # <code> holds identifiers one types (a region or intervention code, a statistic's
    # name): not words to translate.
    for node in doc.xpath("//script|//style|//template|//noscript|//code"):
        node.drop_tree()
    for node in doc.xpath(f"//body//*[@lang and @lang != '{lang}']"):
        node.drop_tree()
    parts = [" ".join(doc.itertext())]
    for attr in VISIBLE_ATTRIBUTES:
        parts += [str(v) for v in doc.xpath(f"//@{attr}")]
    parts += [str(v) for v in doc.xpath("//input[@type='submit']/@value")]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def names(figures_db: Engine) -> list[str]:
    """Names of people, places, facilities, addresses and users: data, not words."""
    with unit_of_work(figures_db) as s:
        found = [
            *s.scalars(select(Person.name)),
            *s.scalars(select(Region.name)),
            *s.scalars(select(Facility.name)),
            *s.scalars(select(Family.address)),
            *s.scalars(select(User.username)),
        ]
    return sorted({str(n) for n in found if n}, key=len, reverse=True)


@pytest.fixture(scope="module")
def job_id(figures_db: Engine) -> int:
    """One finished import job, so that its page has something to show."""
    with unit_of_work(figures_db) as s:
        admin = s.scalars(select(User).where(User.username == "fig_admin")).one()
        job = finished_import_job(admin.id)
        s.add(job)
        s.flush()
        return int(job.id)


def page_paths(app: FastAPI, job_id: int) -> Iterator[str]:
    """Every GET page of the app with its path parameters filled in."""
    values: dict[str, tuple[str, ...]] = {
        "code": REGIONS,
        "child_id": (str(INSIDE_CHILD),),
        "family_id": (str(INSIDE_FAMILY),),
        "job_id": (str(job_id),),
    }
    for ctx in iter_route_contexts(app.routes):  # included routers too
        if "GET" not in (ctx.methods or set()):
            continue
        path = ctx.path
        if path.startswith(("/api", "/static")) or "." in path.rsplit("/", 1)[-1]:
            continue  # the JSON API, assets and files (PDF/XLSX/GeoJSON/manifest)
        params = re.findall(r"\{(\w+)\}", path)
        unknown = [p for p in params if p not in values]
        assert not unknown, f"{path}: give {unknown} a value in page_paths"
        filled = [path]
        for p in params:
            filled = [f.replace(f"{{{p}}}", v) for f in filled for v in values[p]]
        yield from filled


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_page_speaks_one_language(
    figures_app: FastAPI, names: list[str], job_id: int, lang: str
) -> None:
    rendered: set[str] = set()
    problems: dict[str, list[str]] = {}
    for username in ("fig_admin", "fig_team"):
        client = TestClient(figures_app)
        login(client, username)
        for path in page_paths(figures_app, job_id):
            r = client.get(path, params={"lang": lang})  # a home redirects: followed
            if r.status_code != 200 or "text/html" not in r.headers["content-type"]:
                continue
            rendered.add(path)
            bad = offending(visible_text(r.text, lang), lang, names)
            if bad:
                problems[f"{username} {path}"] = bad
    every = set(page_paths(figures_app, job_id))
    assert len(every) >= 20  # the enumeration works (about 30 pages today)
    assert every - rendered == set(), "pages nobody could open"
    listing = "\n".join(
        f"{page}: {', '.join(words)}" for page, words in problems.items()
    )
    assert problems == {}, listing
