"""One cache for the page panels: results of whole-province service calls, kept per database,
key and data generation (the highest ids of the tables they read: an import, a recorded
intervention or a scoring run changes it).

Two levels:

- memory, per process;
- the database (`derived_results`, one row per key: the latest value computed), written by
  a refresh (`tumbuh db refresh`, the end of `tumbuh demo`) and by the server's background
  worker, so that a freshly started server answers from the first request.

A value is *current* when it was computed for the current data generation, by this version
of the code, less than MAX_AGE_S ago (the current year's coverage depends on today's date).
A value that is not current is *stale*; it stays readable across code changes as long as its
stored form can be read back safely: rows carry SCHEMA (bumped by hand when the columns or
the meaning of a stored panel change) and a digest of the fields of every dataclass in the
value (`_shape`: a class whose fields changed makes the row unreadable, it is not unpickled
into the new class). A row that cannot be read back counts as never computed.

A server (`enable_background`, done by the app outside tests) never computes a stale value in
a request: it answers with the stale value at once (the page shows "figures as of ...",
`stale_as_of`) and queues its recomputation for the one background worker, which runs one
job at a time (a lock file beside a SQLite database keeps two server processes from
computing at once), one job per key however many requests asked. Only a key with no
readable value at all is computed while the request waits: by the same worker, ahead of
the stale refreshes, and once for all the requests that wait for it. Without background
(tests, scripts) a value that is not current is computed on the spot.

`view()` keeps what a page derives from a panel (one region's slice of a province-wide
table) beside the panel in memory, so that a page view does not derive it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from tumbuh.db.derived import DerivedResult
from tumbuh.db.session import one_writer
from tumbuh.interventions.models import Intervention
from tumbuh.register.models import Family, Measurement
from tumbuh.risk.models import RiskScore
from tumbuh.surveillance.models import ProgrammeAggregate, PublishedFigure, Target

# The stored form of the panels: bump when a stored panel's columns, units or meaning change
# in a way the dataclass digest (`_shape`) cannot see (e.g. a DataFrame column renamed).
SCHEMA = 1
MAX_AGE_S = 24 * 3600.0
RETRY_S = 60.0  # a failed refresh of a stale value is not tried again sooner
T = TypeVar("T")
V = TypeVar("V")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Entry:
    generation: str  # data generation it was computed for
    version: str  # code_version() of the process that computed it
    computed_at: dt.datetime  # UTC, naive
    value: object
    stored: bool  # kept in derived_results
    views: dict[object, object] = field(default_factory=dict)  # view(): memory only


_cache: dict[tuple[str, str], _Entry] = {}
_lock = threading.Lock()
_key_locks: dict[tuple[str, str], threading.Lock] = {}
_computed = 0
_PERSIST = "tumbuh.cache.persist"  # Session.info flag: store what is computed
_STALE = "tumbuh.cache.stale_as_of"  # Session.info: oldest stale value served
_GENERATION = (
    "tumbuh.cache.generation"  # Session.info: generation read in this transaction
)


def _engine(db: Session) -> Engine:
    bind = db.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def db_key(db: Session | Engine) -> str:
    engine = db if isinstance(db, Engine) else _engine(db)
    return engine.url.render_as_string(hide_password=True)


def key_text(key: tuple[object, ...]) -> str:
    return "|".join(str(part) for part in key)


def generation(db: Session) -> str:
    """The data generation: the highest ids of the tables the panels read. An import, a
    recorded intervention or a new scoring run changes it (ids only grow). Programme
    aggregates are updated in place by a re-import (same ids): their count and sums.
    Published figures and targets (a changed value is a new row): highest id and count.

    Read once per session and transaction (a page asks for several panels): forgotten when
    the session writes, commits or rolls back."""
    memo = db.info.get(_GENERATION)
    if isinstance(memo, str):
        return memo
    agg = ProgrammeAggregate
    parts = [
        select(func.max(col)).scalar_subquery()
        for col in (Measurement.id, Intervention.id, RiskScore.id, Family.id)
    ] + [
        select(func.count()).select_from(agg).scalar_subquery(),
        select(func.sum(agg.numerator)).scalar_subquery(),
        select(func.sum(agg.denominator)).scalar_subquery(),
        select(func.max(PublishedFigure.id)).scalar_subquery(),
        select(func.count()).select_from(PublishedFigure).scalar_subquery(),
        select(func.max(Target.id)).scalar_subquery(),
        select(func.count()).select_from(Target).scalar_subquery(),
    ]
    row = db.execute(select(*parts)).one()  # one round trip
    gen = "m{}.i{}.r{}.f{}.a{}.{}.{}.p{}.{}.t{}.{}".format(*row)
    db.info[_GENERATION] = gen
    return gen


def _forget_generation(session: Session, *_: object) -> None:
    session.info.pop(_GENERATION, None)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget_generation)


@functools.cache
def code_version() -> str:
    """A digest of tumbuh's source: a value computed by another version of the code is
    stale (served while it is recomputed), never current."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_LEAVES = (str, int, float, bool, bytes, type(None), dt.date, dt.datetime)


def _shape(value: object) -> str:
    """A digest of the fields (names and declared types) of every dataclass found in
    `value` (through lists, tuples, sets and dict values): what must not have changed for a
    value pickled by another version of the code to be read back."""
    classes: set[type] = set()
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _LEAVES):
            continue
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            if type(item) not in classes:
                classes.add(type(item))
            stack.extend(getattr(item, f.name, None) for f in dataclasses.fields(item))
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    text = "\n".join(
        sorted(
            f"{c.__module__}.{c.__qualname__}("
            + ",".join(f"{f.name}:{f.type}" for f in dataclasses.fields(c))
            + ")"
            for c in classes
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _tag(entry: _Entry) -> str:
    """The `generation` column of a stored row: schema, shape, code version / data."""
    return f"s{SCHEMA}.{_shape(entry.value)}.{entry.version}/{entry.generation}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _fresh(entry: _Entry, gen: str) -> bool:
    age = (_now() - entry.computed_at).total_seconds()
    return (
        entry.generation == gen and entry.version == code_version() and age < MAX_AGE_S
    )


def _readable(tag: str) -> bool:
    return tag.startswith(f"s{SCHEMA}.") and tag.count(".") >= 2 and "/" in tag


def _from_row(
    text: str, tag: str, computed_at: dt.datetime, blob: bytes
) -> _Entry | None:
    """The entry of a stored row, or None when it cannot be read back safely (another
    schema, or dataclasses whose fields changed since it was pickled)."""
    if not _readable(tag):
        return None
    head, _, gen = tag.partition("/")
    _, shape, version = head.split(".", 2)
    try:
        value = pickle.loads(blob)  # written by _store only (never user input)
    except Exception:  # a class renamed or moved by another version of the code
        log.warning("stored panel %s could not be read back; recomputed", text)
        return None
    if version != code_version() and _shape(value) != shape:
        log.warning("stored panel %s has another shape; recomputed", text)
        return None
    return _Entry(gen, version, computed_at, value, True)


def _stored(db: Session, text: str, newer_than: _Entry | None) -> _Entry | None:
    """The stored value of `text` when there is a readable one newer than the entry in
    memory."""
    meta = db.execute(
        select(DerivedResult.generation, DerivedResult.computed_at).where(
            DerivedResult.key == text
        )
    ).first()
    if meta is None or not _readable(meta.generation):
        return None
    if newer_than is not None and meta.computed_at <= newer_than.computed_at:
        return None
    row = db.get(DerivedResult, text)
    if row is None:
        return None
    return _from_row(text, row.generation, row.computed_at, row.value)


def _store(db: Session, text: str, entry: _Entry, seconds: float) -> None:
    blob = pickle.dumps(entry.value, protocol=pickle.HIGHEST_PROTOCOL)
    tag = _tag(entry)
    row = db.get(DerivedResult, text)
    if row is None:
        db.add(
            DerivedResult(
                key=text,
                generation=tag,
                computed_at=entry.computed_at,
                seconds=seconds,
                value=blob,
            )
        )
    else:
        row.generation = tag
        row.computed_at = entry.computed_at
        row.seconds = seconds
        row.value = blob
    db.flush()


def _remember(dbk: str, text: str, entry: _Entry) -> _Entry:
    with _lock:
        _cache[(dbk, text)] = entry
    return entry


def _compute(
    db: Session,
    dbk: str,
    text: str,
    compute: Callable[[Session], object],
    *,
    persist: bool,
) -> _Entry:
    gen = generation(db)
    started = time.perf_counter()
    value = compute(db)
    global _computed
    _computed += 1
    store = persist and (bool(db.info.get(_PERSIST)) or _in_worker())
    entry = _Entry(gen, code_version(), _now(), value, store)
    if store:
        # One short write per panel: a refresh never holds SQLite's write lock for minutes
        # (page views write audit records meanwhile).
        with one_writer(db):
            _store(db, text, entry, time.perf_counter() - started)
            db.commit()
    return _remember(dbk, text, entry)


def _key_lock(k: tuple[str, str]) -> threading.Lock:
    with _lock:
        return _key_locks.setdefault(k, threading.Lock())


def _entry(
    db: Session,
    key: tuple[object, ...],
    compute: Callable[[Session], object],
    *,
    persist: bool,
    heavy: bool,
) -> _Entry:
    dbk, text = db_key(db), key_text(key)
    k = (dbk, text)
    gen = generation(db)
    with _lock:
        entry = _cache.get(k)
    if entry is not None and _fresh(entry, gen):
        return entry
    background = _background_for(dbk) and not _in_worker()
    if not background:
        stored = _stored(db, text, entry)
        entry = _remember(dbk, text, stored) if stored is not None else entry
        if entry is not None and _fresh(entry, gen):
            return entry
        return _compute(db, dbk, text, compute, persist=persist)
    with _key_lock(k):  # one read of the stored row, one wait, for concurrent requests
        with _lock:
            entry = _cache.get(k)
        if entry is None or not _fresh(entry, gen):
            stored = _stored(db, text, entry)
            entry = _remember(dbk, text, stored) if stored is not None else entry
        if entry is not None and _fresh(entry, gen):
            return entry
        if entry is None and not heavy:  # never computed, and cheap: here and now
            return _compute(db, dbk, text, compute, persist=persist)
        job = _refresh_key(dbk, text, compute, persist=persist, urgent=entry is None)
        if entry is not None:  # stale: served now, recomputed in the background
            seen = db.info.get(_STALE)
            db.info[_STALE] = (
                min(seen, entry.computed_at) if seen else entry.computed_at
            )
            return entry
        job.done.wait()  # never computed: by the worker, ahead of the stale refreshes
        if job.error is not None:
            raise job.error
        with _lock:
            entry = _cache.get(k)
        if entry is None:  # the background was stopped meanwhile
            return _compute(db, dbk, text, compute, persist=persist)
        return entry


def cached(
    db: Session,
    key: tuple[object, ...],
    compute: Callable[[Session], T],
    *,
    persist: bool = True,
    heavy: bool = True,
) -> T:
    """compute(session) once per database, key and data generation (errors are not cached);
    see the module docstring for stale values. `persist=False` keeps the value in memory
    only (lists of named people of one desa). `heavy=False`: a value cheap enough to be
    computed by the request itself when it was never computed (stale, it is still
    recomputed in the background)."""
    return _entry(db, key, compute, persist=persist, heavy=heavy).value  # type: ignore[return-value]


def view(
    db: Session,
    key: tuple[object, ...],
    compute: Callable[[Session], T],
    name: object,
    derive: Callable[[T], V],
    *,
    persist: bool = True,
    heavy: bool = True,
) -> V:
    """derive(value of `key`), kept in memory beside that value under `name` (derive must
    depend on nothing else; its result is shared, never to be changed by the caller):
    recomputed only when the value itself is."""
    entry = _entry(db, key, compute, persist=persist, heavy=heavy)
    with _lock:
        if name in entry.views:
            return entry.views[name]  # type: ignore[return-value]
    out = derive(entry.value)  # type: ignore[arg-type]
    with _lock:
        entry.views[name] = out
    return out


def preload(db: Session) -> int:
    """Read every readable stored panel into memory, current or stale (a stale one is then
    served at once while it is recomputed); return how many. What a server does at start-up,
    before it accepts requests: seconds, where computing them takes minutes."""
    dbk = db_key(db)
    n = 0
    for row in db.scalars(select(DerivedResult)):
        entry = _from_row(row.key, row.generation, row.computed_at, row.value)
        if entry is not None:
            _remember(dbk, row.key, entry)
            n += 1
    return n


def computed_count() -> int:
    """How many values this process computed (a refresh that computed none changed nothing)."""
    return _computed


def stale_as_of(db: Session) -> dt.datetime | None:
    """When the oldest stale panel served through this session was computed (UTC), or None
    when every panel was current."""
    seen = db.info.get(_STALE)
    return seen if isinstance(seen, dt.datetime) else None


@contextmanager
def persisting(db: Session) -> Iterator[Session]:
    """Within the block, results computed through `db` are also stored in the database,
    each committed at once (use a session of its own, as `insights.refresh` does)."""
    db.info[_PERSIST] = True
    try:
        yield db
    finally:
        db.info.pop(_PERSIST, None)


def clear_cache() -> None:
    """Forget every result held in memory (in tests); the stored ones stay, and are read
    back (current or stale) on the next use."""
    with _lock:
        _cache.clear()


# --------------------------------------------------------------------------- background


@dataclass(eq=False)
class _Job:
    dbk: str
    name: str  # a key's text, or "*" for a whole refresh
    run: Callable[[Session], None]
    urgent: bool
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class _Worker:
    """One thread that runs the jobs one at a time: urgent ones (a request waits) first."""

    def __init__(self) -> None:
        self.cond = threading.Condition(_lock)
        self.urgent: deque[_Job] = deque()
        self.later: deque[_Job] = deque()
        self.pending: dict[tuple[str, str], _Job] = {}
        self.failed: dict[tuple[str, str], float] = {}  # job -> when it last failed
        self.running: _Job | None = None
        self.thread: threading.Thread | None = None

    def submit(self, job: _Job) -> _Job:
        """Queue `job` unless the same one waits or runs (returned instead), or it failed
        less than RETRY_S ago and nobody waits for it (returned done); called with _lock
        held."""
        k = (job.dbk, job.name)
        failed = self.failed.get(k)
        if (
            not job.urgent
            and failed is not None
            and time.monotonic() - failed < RETRY_S
        ):
            job.done.set()
            return job
        queued = self.pending.get(k)
        if queued is not None:
            if job.urgent and not queued.urgent and queued in self.later:
                self.later.remove(queued)
                queued.urgent = True
                self.urgent.append(queued)
            return queued
        self.pending[k] = job
        (self.urgent if job.urgent else self.later).append(job)
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(
                target=self.loop, name="tumbuh-panel-refresh", daemon=True
            )
            self.thread.start()
        self.cond.notify_all()
        return job

    def next(self, *, urgent_only: bool, wait: bool) -> _Job | None:
        with self.cond:
            while True:
                if self.urgent:
                    job = self.urgent.popleft()
                elif self.later and not urgent_only:
                    job = self.later.popleft()
                elif wait:
                    self.cond.wait()
                    continue
                else:
                    return None
                return job

    def execute(self, job: _Job) -> None:
        previous = self.running
        self.running = job
        try:
            from tumbuh.db.maintenance import retry_on_disconnect

            # A connection the server dropped mid-refresh: again on a fresh one (scale).
            retry_on_disconnect(lambda: _run_job(job))
        except Exception as exc:
            log.exception("refreshing the stored panels failed (%s)", job.name)
            job.error = exc
        finally:
            self.running = previous
            with _lock:
                k = (job.dbk, job.name)
                self.pending.pop(k, None)
                if job.error is None:
                    self.failed.pop(k, None)
                else:
                    self.failed[k] = time.monotonic()
                after = _factories.get(job.dbk)
            job.done.set()
        if after is not None and after[2] is not None and job.error is None:
            after[2]()

    def loop(self) -> None:
        _local.worker = True
        while True:
            job = self.next(urgent_only=False, wait=True)
            if job is not None:
                self.execute(job)

    def busy(self, dbk: str) -> bool:
        with _lock:
            return any(k[0] == dbk for k in self.pending)


_local = threading.local()
_worker = _Worker()
# per database: its engine, a session factory, what to call after each job
_factories: dict[
    str, tuple[Engine, sessionmaker[Session], Callable[[], None] | None]
] = {}


def _in_worker() -> bool:
    return bool(getattr(_local, "worker", False))


def _background_for(dbk: str) -> bool:
    with _lock:
        return dbk in _factories


@contextmanager
def panel_lock(engine: Engine) -> Iterator[None]:
    """One panel computation at a time across processes on a SQLite file (the server's
    workers, `tumbuh db refresh`): a lock file beside it. PostgreSQL runs them side by
    side."""
    url = engine.url
    database = url.database
    held = getattr(_local, "panel_lock", False)  # a job run by checkpoint() inside one
    if (
        held
        or url.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
    ):
        yield
        return
    import fcntl

    with open(f"{database}.panels-lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        _local.panel_lock = True
        try:
            yield
        finally:
            _local.panel_lock = False
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_job(job: _Job) -> None:
    with _lock:
        registered = _factories.get(job.dbk)
    if registered is None:
        return  # background stopped (app shut down)
    engine, factory, _ = registered
    with panel_lock(engine), factory() as db:
        job.run(db)
        db.commit()


def _refresh_key(
    dbk: str,
    text: str,
    compute: Callable[[Session], object],
    *,
    persist: bool,
    urgent: bool,
) -> _Job:
    def run(db: Session) -> None:
        gen = generation(db)
        with _lock:
            entry = _cache.get((dbk, text))
        if entry is not None and _fresh(entry, gen):
            return  # computed meanwhile (another job asked for it)
        stored = _stored(db, text, entry)  # another process may have stored it
        if stored is not None and _fresh(stored, gen):
            _remember(dbk, text, stored)
            return
        _compute(db, dbk, text, compute, persist=persist)

    with _lock:
        return _worker.submit(_Job(dbk, text, run, urgent))


def checkpoint() -> None:
    """Between the steps of a long refresh in the worker: run the urgent jobs (a request
    waits for a panel never computed) before going on."""
    if not _in_worker():
        return
    while (job := _worker.next(urgent_only=True, wait=False)) is not None:
        _worker.execute(job)


def enable_background(
    engine: Engine,
    factory: sessionmaker[Session],
    *,
    after_job: Callable[[], None] | None = None,
) -> None:
    """From now on, requests on `engine` serve stale values and leave their recomputation to
    the background worker (sessions from `factory`; `after_job()` called after each job
    that succeeded)."""
    with _lock:
        _factories[db_key(engine)] = (engine, factory, after_job)


def disable_background(engine: Engine) -> None:
    """Back to computing on the spot; queued jobs of this engine are dropped."""
    with _lock:
        _factories.pop(db_key(engine), None)


def refresh_in_background(engine: Engine, refresh: Callable[[Session], None]) -> bool:
    """Queue `refresh(session)` (every panel of the database: at server start, recomputes
    what the data or the code outdated) behind the jobs already queued; False when the
    background is not enabled for `engine`."""
    dbk = db_key(engine)
    if not _background_for(dbk):
        return False
    with _lock:
        _worker.submit(_Job(dbk, "*", refresh, urgent=False))
    return True


def refreshing(engine: Engine) -> bool:
    """Whether background jobs of `engine` are queued or running."""
    return _worker.busy(db_key(engine))


def wait_idle(engine: Engine, timeout_s: float) -> bool:
    """Wait until no background job of `engine` is queued or running; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while refreshing(engine):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


__all__ = [
    "MAX_AGE_S",
    "SCHEMA",
    "cached",
    "checkpoint",
    "clear_cache",
    "code_version",
    "computed_count",
    "disable_background",
    "enable_background",
    "generation",
    "panel_lock",
    "persisting",
    "preload",
    "refresh_in_background",
    "refreshing",
    "stale_as_of",
    "view",
    "wait_idle",
]
