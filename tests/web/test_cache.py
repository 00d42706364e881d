"""The panel cache: per data generation in memory, stored in derived_results by a refresh,
read back by a fresh server, and served stale (with a refresh in the background) when the
data changed.

The data generation is replaced by a value each test sets (the database is shared by the
test session, so the real one moves with other tests' rows)."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import login, make_user

from tumbuh.accounts.roles import Role
from tumbuh.cli.db import open_database
from tumbuh.db.derived import DerivedResult
from tumbuh.db.engine import make_engine
from tumbuh.db.session import session_factory
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

    def __call__(self, db: Session | None = None) -> object:
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
    assert row.generation.startswith(f"s{cache.SCHEMA}.")
    assert row.generation.endswith(f".{cache.code_version()}/g1")
    cache.clear_cache()  # what a new server process starts with
    again = Counter("recomputed")
    assert cache.cached(session, key, again) == {"a": 1}
    assert again.calls == 0
    assert cache.stale_as_of(session) is None


def test_a_stale_result_is_recomputed_on_the_spot_without_background(
    session: Session, gen: Generation
) -> None:
    key = _key()
    with cache.persisting(session):
        cache.cached(session, key, Counter("old"))
    gen.value = "g2"
    assert cache.cached(session, key, Counter("new")) == "new"
    assert cache.stale_as_of(session) is None


def test_a_refresh_stores_the_province_panels_for_the_current_generation(
    session: Session, gen: Generation
) -> None:
    insights.refresh(session, province="64", welfare_max_decile=4)
    keys = set(
        session.scalars(
            select(DerivedResult.key).where(
                DerivedResult.generation.like(
                    f"s{cache.SCHEMA}.%.{cache.code_version()}/g1"
                )
            )
        )
    )
    assert {"forecast|kabkota", "forecast|desa", "quality|desa", "routine|desa"} <= keys


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


def _fail(db: Session | None = None) -> object:
    raise AssertionError("recomputed instead of read back")


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


def test_a_published_figure_starts_a_new_generation(session: Session) -> None:
    from tumbuh.surveillance.models import PublishedFigure

    before = cache.generation(session)
    session.add(
        PublishedFigure(
            natural_key=uuid.uuid4().hex,
            region_code="64.71",
            region_name="Balikpapan",
            year=2030,
            source="SSGI",
            kind="survey",
            indicator="stunting",
            value_pct=12.5,
            confidence="high",
        )  # fmt: skip
    )
    session.flush()
    assert cache.generation(session) != before


# --------------------------------------------------------------------------- background
#
# The server's mode: sessions of their own, committed (the worker and the requests are
# other connections), the background enabled for the test engine.


@pytest.fixture
def background(engine: Engine, gen: Generation) -> Iterator[sessionmaker[Session]]:
    factory = session_factory(engine)
    cache.enable_background(engine, factory)
    yield factory
    assert cache.wait_idle(engine, 60)
    cache.disable_background(engine)


class Blocking(Counter):
    """A computation that waits until released (a slow panel)."""

    def __init__(self, value: object) -> None:
        super().__init__(value)
        self.release = threading.Event()

    def __call__(self, db: Session | None = None) -> object:
        self.release.wait(30)
        return super().__call__(db)


def _store(factory: sessionmaker[Session], key: tuple[str, str], value: object) -> None:
    with factory() as db, cache.persisting(db):
        cache.cached(db, key, Counter(value))


def _stored_generation(factory: sessionmaker[Session], key: tuple[str, str]) -> str:
    with factory() as db:
        row = db.get(DerivedResult, cache.key_text(key))
        assert row is not None
        return row.generation


def _stale(
    factory: sessionmaker[Session], gen: Generation
) -> tuple[tuple[str, str], Blocking]:
    """A key stored as "old" at generation g1, the data now at g2, and the blocked
    computation of its "new" value."""
    key = _key()
    _store(factory, key, "old")
    gen.value = "g2"
    return key, Blocking("new")


def test_a_stale_value_is_served_at_once_and_refreshed_in_the_background(
    engine: Engine, gen: Generation, background: sessionmaker[Session]
) -> None:
    key, compute = _stale(background, gen)
    with background() as db:
        assert cache.cached(db, key, compute) == "old"
        assert cache.stale_as_of(db) is not None
    assert cache.refreshing(engine)
    assert compute.calls == 0  # not computed by the request
    compute.release.set()
    assert cache.wait_idle(engine, 30)
    assert compute.calls == 1
    with background() as db:
        assert cache.cached(db, key, _fail) == "new"
        assert cache.stale_as_of(db) is None
    assert _stored_generation(background, key).endswith("/g2")
    cache.clear_cache()  # a new process reads the refreshed value back
    with background() as db:
        assert cache.cached(db, key, _fail) == "new"


def _requests(
    n: int,
    factory: sessionmaker[Session],
    key: tuple[object, ...],
    compute: Callable[[Session], object],
    start: threading.Barrier,
    served: list[object],
) -> list[threading.Thread]:
    """`n` requests asking for `key` at once (after `start`), each appending what it was
    served to `served`; the started threads."""

    def request() -> None:
        with factory() as db:
            start.wait(10)
            served.append(cache.cached(db, key, compute))

    threads = [threading.Thread(target=request) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def test_concurrent_requests_for_a_stale_value_start_one_refresh(
    engine: Engine, gen: Generation, background: sessionmaker[Session]
) -> None:
    key, compute = _stale(background, gen)
    start = threading.Barrier(8)
    served: list[object] = []
    threads = _requests(8, background, key, compute, start, served)
    for t in threads:
        t.join(30)
    assert served == ["old"] * 8
    compute.release.set()
    assert cache.wait_idle(engine, 30)
    assert compute.calls == 1


def test_a_value_never_computed_is_computed_once_for_every_request_waiting(
    engine: Engine, gen: Generation, background: sessionmaker[Session]
) -> None:
    key = _key()
    compute = Blocking("first")
    start = threading.Barrier(6)
    served: list[object] = []
    threads = _requests(6, background, key, compute, start, served)
    threading.Event().wait(0.3)
    assert served == []  # nothing to show yet: they wait
    compute.release.set()
    for t in threads:
        t.join(30)
    assert served == ["first"] * 6
    assert compute.calls == 1
    assert _stored_generation(background, key).endswith("/g1")


def test_an_error_reaches_the_waiting_request_and_is_not_kept(
    engine: Engine, gen: Generation, background: sessionmaker[Session]
) -> None:
    key = _key()

    def broken(db: Session) -> object:
        raise ValueError("panel failed")

    with background() as db, pytest.raises(ValueError, match="panel failed"):
        cache.cached(db, key, broken)
    with background() as db:
        assert cache.cached(db, key, Counter("second try")) == "second try"


def test_a_failed_refresh_keeps_the_stale_value_and_is_not_retried_at_once(
    engine: Engine, gen: Generation, background: sessionmaker[Session]
) -> None:
    key = _key()
    _store(background, key, "old")
    gen.value = "g2"
    calls: list[int] = []

    def broken(db: Session) -> object:
        calls.append(1)
        raise ValueError("panel failed")

    for _ in range(3):
        with background() as db:
            assert cache.cached(db, key, broken) == "old"
        assert cache.wait_idle(engine, 30)
    assert calls == [1]  # not once per page view while it keeps failing


def test_a_value_stored_by_another_version_of_the_code_is_served_while_recomputed(
    engine: Engine, gen: Generation, background: sessionmaker[Session]
) -> None:
    key = _key()
    _store(background, key, {"figures": [1, 2]})
    with background() as db:
        row = db.get(DerivedResult, cache.key_text(key))
        assert row is not None
        # same data and stored form, another build of tumbuh
        row.generation = row.generation.replace(
            cache.code_version(), "0123456789abcdef"
        )
        db.commit()
    cache.clear_cache()
    compute = Blocking({"figures": [1, 2, 3]})
    with background() as db:
        assert cache.cached(db, key, compute) == {"figures": [1, 2]}
        assert cache.stale_as_of(db) is not None
    compute.release.set()
    assert cache.wait_idle(engine, 30)
    with background() as db:
        assert cache.cached(db, key, _fail) == {"figures": [1, 2, 3]}


@dataclasses.dataclass(frozen=True, slots=True)
class Panel:
    rows: list[int]


@pytest.mark.parametrize(
    ("change", "readable"),
    [("code", True), ("fields", False), ("schema", False)],
)
def test_a_stored_value_is_read_back_only_if_its_stored_form_is_unchanged(
    engine: Engine,
    gen: Generation,
    background: sessionmaker[Session],
    change: str,
    readable: bool,
) -> None:
    """Another build of the code with the same dataclass fields: served (stale) while it is
    recomputed. Dataclasses whose fields changed since the value was pickled (it would
    unpickle into the wrong fields), or another SCHEMA: as if never computed."""
    key = _key()
    _store(background, key, Panel([1]))
    with background() as db:
        row = db.get(DerivedResult, cache.key_text(key))
        assert row is not None
        schema, shape, rest = row.generation.split(".", 2)
        rest = rest.replace(cache.code_version(), "0123456789abcdef")
        if change == "fields":
            shape = "000000000000"
        if change == "schema":
            schema = f"s{cache.SCHEMA + 1}"
        row.generation = f"{schema}.{shape}.{rest}"
        db.commit()
    cache.clear_cache()
    with background() as db:
        served = cache.cached(db, key, Counter(Panel([2])))
        assert served == (Panel([1]) if readable else Panel([2]))
        assert (cache.stale_as_of(db) is not None) == readable


def test_a_view_is_derived_once_per_value(session: Session, gen: Generation) -> None:
    key = _key()
    derived: list[int] = []

    def derive(rows: list[int]) -> int:
        derived.append(1)
        return sum(rows)

    def total() -> int:
        return cache.view(session, key, lambda db: [1, 2, 3], "sum", derive)

    assert total() == 6
    assert total() == 6
    assert len(derived) == 1
    gen.value = "g2"  # a new value, its views derived again
    assert total() == 6
    assert len(derived) == 2


def test_a_region_page_says_its_figures_are_being_refreshed(
    app: FastAPI, gen: Generation
) -> None:
    engine = app.state.engine
    with app.state.session_factory() as db:
        insights.refresh(db, province="64", welfare_max_decile=4)
    user = make_user(engine, Role.province_admin, "64")
    cache.enable_background(engine, app.state.session_factory)
    busy = threading.Event()  # the worker busy with a long job: the refreshes wait
    cache.refresh_in_background(engine, lambda db: busy.wait(30) and None)
    try:
        gen.value = "g2"  # the data changed
        with TestClient(app) as client:
            login(client, user.username)
            page = client.get("/regions/64.71?lang=en")
            assert page.status_code == 200
            assert "being refreshed" in page.text
            page = client.get("/regions/64.71?lang=id")
            assert "sedang diperbarui" in page.text
            page = client.get("/quality/64.71?lang=en")
            assert "being refreshed" in page.text
            busy.set()
            assert cache.wait_idle(engine, 120)
            # the panels the page asked for were recomputed for the new data
            with app.state.session_factory() as db:
                row = db.get(DerivedResult, "forecast|kecamatan")
                assert row is not None
                assert row.generation.endswith("/g2")
            page = client.get("/regions/64.71?lang=en")
            assert "being refreshed" not in page.text
    finally:
        busy.set()
        cache.disable_background(engine)
