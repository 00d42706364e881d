"""The panel cache: per data generation in memory, stored in derived_results by a refresh,
read back by a fresh server, and served stale (with a refresh in the background) when the
data changed.

The data generation is replaced by a value each test sets (the database is shared by the
test session, so the real one moves with other tests' rows)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from tests.web.conftest import login, make_user

from tumbuh.accounts.roles import Role
from tumbuh.cli.db import open_database
from tumbuh.db.derived import DerivedResult
from tumbuh.db.engine import make_engine
from tumbuh.web import cache, insights, refresh


class Generation:
    def __init__(self) -> None:
        self.value = "g1"

    def __call__(self, db: Session) -> str:
        return self.value


@pytest.fixture
def gen(monkeypatch: pytest.MonkeyPatch) -> Iterator[Generation]:
    current = Generation()
    monkeypatch.setattr(cache, "generation", current)
    cache.clear_cache()
    yield current
    cache.clear_cache()


class Counter:
    def __init__(self, value: object) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def _key() -> tuple[str, str]:
    return ("test-panel", uuid.uuid4().hex)


def test_a_result_is_computed_once_per_generation(
    session: Session, gen: Generation
) -> None:
    key, compute = _key(), Counter([1, 2, 3])
    assert cache.cached(session, key, compute) == [1, 2, 3]
    assert cache.cached(session, key, compute) == [1, 2, 3]
    assert compute.calls == 1
    gen.value = "g2"
    cache.cached(session, key, compute)
    assert compute.calls == 2


def test_results_computed_outside_a_refresh_are_not_stored(
    session: Session, gen: Generation
) -> None:
    key = _key()
    cache.cached(session, key, Counter("x"))
    assert session.get(DerivedResult, cache.key_text(key)) is None


def test_a_stored_result_is_read_back_by_a_fresh_process_without_computing(
    session: Session, gen: Generation
) -> None:
    key = _key()
    with cache.persisting(session):
        cache.cached(session, key, Counter({"a": 1}))
    row = session.get(DerivedResult, cache.key_text(key))
    assert row is not None
    assert row.generation == f"{cache.code_version()}/g1"
    cache.clear_cache()  # what a new server process starts with
    again = Counter("recomputed")
    assert cache.cached(session, key, again) == {"a": 1}
    assert again.calls == 0
    assert cache.stale_as_of(session) is None


def test_a_stale_result_is_recomputed_on_the_spot_without_a_refresher(
    session: Session, gen: Generation
) -> None:
    key = _key()
    with cache.persisting(session):
        cache.cached(session, key, Counter("old"))
    gen.value = "g2"
    assert cache.cached(session, key, Counter("new")) == "new"
    assert cache.stale_as_of(session) is None


def test_a_stale_result_is_served_while_one_background_refresh_runs(
    session: Session, gen: Generation, engine: Engine
) -> None:
    key = _key()
    with cache.persisting(session):
        cache.cached(session, key, Counter("old"))
    gen.value = "g2"
    release, calls = threading.Event(), []

    def refresh() -> None:
        calls.append(1)
        release.wait(10)

    cache.set_refresher(engine, refresh)
    try:
        compute = Counter("new")
        assert cache.cached(session, key, compute) == "old"
        assert cache.cached(session, key, compute) == "old"
        assert compute.calls == 0
        assert cache.stale_as_of(session) is not None
        assert cache.refreshing(engine)
        release.set()
        for _ in range(100):
            if not cache.refreshing(engine):
                break
            threading.Event().wait(0.05)
        assert calls == [1]  # one refresh for the two stale reads
        # The refresh ran for this generation but did not store this key (it is not one of
        # the panels a refresh computes): the value is now computed on the spot.
        assert cache.cached(session, key, compute) == "new"
        assert compute.calls == 1
    finally:
        cache.set_refresher(engine, None)


def test_a_refresh_stores_the_province_panels_for_the_current_generation(
    session: Session, gen: Generation
) -> None:
    insights.refresh(session, province="64", welfare_max_decile=4)
    keys = set(
        session.scalars(
            select(DerivedResult.key).where(
                DerivedResult.generation == f"{cache.code_version()}/g1"
            )
        )
    )
    assert {"forecast|kabkota", "forecast|desa", "quality|desa", "routine|desa"} <= keys


def test_a_region_page_says_when_its_panels_are_stale(
    app: FastAPI, engine: Engine, gen: Generation
) -> None:
    with app.state.session_factory() as db:
        insights.refresh(db, province="64", welfare_max_decile=4)
    gen.value = "g2"
    calls: list[int] = []
    cache.set_refresher(engine, lambda: calls.append(1))
    try:
        user = make_user(engine, Role.province_admin, "64")
        with TestClient(app) as client:
            login(client, user.username)
            page = client.get("/regions/64.71?lang=en")
            assert page.status_code == 200
            assert "the data changed and they are being recomputed" in page.text
    finally:
        cache.set_refresher(engine, None)
    gen.value = "g1"
    cache.clear_cache()
    with TestClient(app) as client:
        login(client, user.username)
        page = client.get("/regions/64.71?lang=en")
        assert "being recomputed" not in page.text


def test_the_refresh_command_stores_the_panels_of_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    open_database(url).dispose()
    refresh.main(["--db", url])
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            keys = set(db.scalars(select(DerivedResult.key)))
            assert {"forecast|kabkota", "quality|desa", "routine|kecamatan"} <= keys
            cache.clear_cache()
            # what the pages then ask for is read back, not computed
            assert cache.cached(db, ("quality", "desa"), _fail) == []
    finally:
        engine.dispose()
        cache.clear_cache()


def _fail() -> object:
    raise AssertionError("recomputed instead of read back")


def test_a_value_stored_by_another_version_of_the_code_is_recomputed(
    session: Session, gen: Generation
) -> None:
    key = _key()
    with cache.persisting(session):
        cache.cached(session, key, Counter("old code"))
    row = session.get(DerivedResult, cache.key_text(key))
    assert row is not None
    row.generation = "0123456789abcdef/g1"  # same data, another build of tumbuh
    session.flush()
    cache.clear_cache()
    assert cache.cached(session, key, Counter("new code")) == "new code"


def test_preloading_reads_the_stored_panels_into_memory(
    session: Session, gen: Generation
) -> None:
    key = _key()
    with cache.persisting(session):
        cache.cached(session, key, Counter({"stored": True}))
    cache.clear_cache()
    assert cache.preload(session) >= 1
    # in memory now: no query of derived_results is needed to answer
    session.execute(
        delete(DerivedResult).where(DerivedResult.key == cache.key_text(key))
    )
    assert cache.cached(session, key, _fail) == {"stored": True}


def test_an_aggregate_imported_or_corrected_starts_a_new_generation(
    session: Session,
) -> None:
    from tumbuh.surveillance.models import ProgrammeAggregate

    before = cache.generation(session)
    row = ProgrammeAggregate(
        code="kua_marriages", region_code="64.71", year=2025, denominator=900
    )
    session.add(row)
    session.flush()
    imported = cache.generation(session)
    row.denominator = 912  # a corrected figure, re-imported in place
    session.flush()
    assert len({before, imported, cache.generation(session)}) == 3
