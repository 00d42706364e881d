"""One cache for the page panels: results of whole-province service calls, kept per database,
key and data generation (the highest ids of the tables they read: an import, a recorded
intervention or a scoring run changes it).

Two levels:

- memory, per process;
- the database (`derived_results`, one row per key: the latest generation computed), written
  by a *refresh* (`tumbuh db refresh`, the end of `tumbuh demo`, or the server's background
  refresh), so that a freshly started server answers from the first request.

When the data change, the stored value is stale. A server that registered a refresher
(`set_refresher`, done by the app outside tests) then answers with the stale value
(stale-while-revalidate: the page shows "figures as of ...", `stale_as_of`) and recomputes
every stored panel once in a background thread; without a refresher (tests, scripts) the value
is computed on the spot. Values older than MAX_AGE_S are treated as stale too (the current
year's coverage depends on today's date).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tumbuh.db.derived import DerivedResult
from tumbuh.interventions.models import Intervention
from tumbuh.register.models import Family, Measurement
from tumbuh.risk.models import RiskScore
from tumbuh.surveillance.models import ProgrammeAggregate

MAX_AGE_S = 24 * 3600.0
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Entry:
    generation: str
    computed_at: dt.datetime  # UTC, naive
    value: object
    stored: bool  # kept in derived_results (recomputed by a refresh)


_cache: dict[tuple[str, str], _Entry] = {}
_lock = threading.Lock()
_refreshers: dict[str, Callable[[], None]] = {}
_refreshing: set[str] = set()
_computed = 0
_refreshed: dict[str, str] = {}  # db key -> generation the last refresh started at
_PERSIST = "tumbuh.cache.persist"  # Session.info flag: store what is computed
_STALE = "tumbuh.cache.stale_as_of"  # Session.info: oldest stale value served


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
    aggregates are updated in place by a re-import (same ids): their count and sums."""
    ids = (
        db.scalar(select(func.max(col)))
        for col in (Measurement.id, Intervention.id, RiskScore.id, Family.id)
    )
    agg = db.execute(
        select(
            func.count(),
            func.sum(ProgrammeAggregate.numerator),
            func.sum(ProgrammeAggregate.denominator),
        ).select_from(ProgrammeAggregate)
    ).one()
    return "m{}.i{}.r{}.f{}".format(*ids) + ".a{}.{}.{}".format(*agg)


@functools.cache
def code_version() -> str:
    """A digest of tumbuh's source: stored values pickled by another version of the code
    are never read back (their classes may have changed), only recomputed."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _fresh(entry: _Entry, gen: str) -> bool:
    age = (_now() - entry.computed_at).total_seconds()
    return entry.generation == gen and age < MAX_AGE_S


def _stored(db: Session, text: str, newer_than: _Entry | None) -> _Entry | None:
    """The stored value of `text` when there is one newer than the entry in memory."""
    meta = db.execute(
        select(DerivedResult.generation, DerivedResult.computed_at).where(
            DerivedResult.key == text
        )
    ).first()
    if meta is None or not meta.generation.startswith(code_version() + "/"):
        return None
    if newer_than is not None and meta.computed_at <= newer_than.computed_at:
        return None
    row = db.get(DerivedResult, text)
    if row is None or not row.generation.startswith(code_version() + "/"):
        return None
    try:
        value = pickle.loads(row.value)  # written by _store only
    except Exception:  # a value pickled by an older version of the code
        log.warning("stored panel %s could not be read; recomputed", text)
        return None
    return _Entry(row.generation.partition("/")[2], row.computed_at, value, True)


def _store(db: Session, text: str, entry: _Entry, seconds: float) -> None:
    blob = pickle.dumps(entry.value, protocol=pickle.HIGHEST_PROTOCOL)
    generation = f"{code_version()}/{entry.generation}"
    row = db.get(DerivedResult, text)
    if row is None:
        db.add(
            DerivedResult(
                key=text,
                generation=generation,
                computed_at=entry.computed_at,
                seconds=seconds,
                value=blob,
            )
        )
    else:
        row.generation = generation
        row.computed_at = entry.computed_at
        row.seconds = seconds
        row.value = blob
    db.flush()


def cached(db: Session, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """compute() once per database, key and data generation (errors are not cached); see
    the module docstring for the stored level and stale values."""
    dbk, text = db_key(db), key_text(key)
    gen = generation(db)
    with _lock:
        entry = _cache.get((dbk, text))
    if entry is None or not _fresh(entry, gen):
        stored = _stored(db, text, entry)
        if stored is not None:
            entry = stored
            with _lock:
                _cache[(dbk, text)] = entry
    if entry is not None and _fresh(entry, gen):
        return entry.value  # type: ignore[return-value]
    persist = bool(db.info.get(_PERSIST))
    if entry is not None and entry.stored and not persist and _start_refresh(dbk, gen):
        seen = db.info.get(_STALE)
        db.info[_STALE] = min(seen, entry.computed_at) if seen else entry.computed_at
        return entry.value  # type: ignore[return-value]
    started = time.perf_counter()
    value = compute()
    global _computed
    _computed += 1
    fresh = _Entry(gen, _now(), value, persist)
    if persist:
        _store(db, text, fresh, time.perf_counter() - started)
        # One short write per panel: a refresh never holds SQLite's write lock for minutes
        # (page views write audit records meanwhile).
        db.commit()
    with _lock:
        _cache[(dbk, text)] = fresh
    return value


def preload(db: Session) -> int:
    """Read every stored panel of this code version into memory, current or stale (a stale
    one is then served at once while a refresh runs); return how many. What a server does at
    start-up, before it accepts requests: seconds, where computing them takes minutes."""
    dbk = db_key(db)
    prefix = code_version() + "/"
    n = 0
    for row in db.scalars(select(DerivedResult)):
        if not row.generation.startswith(prefix):
            continue
        try:
            value = pickle.loads(row.value)  # written by _store only
        except Exception:
            continue
        entry = _Entry(row.generation[len(prefix) :], row.computed_at, value, True)
        with _lock:
            _cache[(dbk, row.key)] = entry
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


def set_refresher(engine: Engine, refresh: Callable[[], None] | None) -> None:
    """Register (or remove, with None) the background refresh of an engine's panels: called
    in a thread, once at a time, when a stale value is served."""
    with _lock:
        if refresh is None:
            _refreshers.pop(db_key(engine), None)
        else:
            _refreshers[db_key(engine)] = refresh


def _start_refresh(dbk: str, gen: str) -> bool:
    """Start the registered refresh of `dbk` unless one runs; False when none is registered
    or one already ran for this generation (the caller then computes the value itself)."""
    with _lock:
        refresh = _refreshers.get(dbk)
        if refresh is None:
            return False
        if dbk in _refreshing:
            return True
        if _refreshed.get(dbk) == gen:
            return False
        _refreshing.add(dbk)
        _refreshed[dbk] = gen

    def run() -> None:
        from tumbuh.db.maintenance import retry_on_disconnect

        try:
            # A connection the server dropped mid-refresh: again on a fresh one (scale).
            retry_on_disconnect(refresh)
        except Exception:
            log.exception("refreshing the stored panels failed")
            with _lock:  # not done for this generation: the next stale page tries again
                if _refreshed.get(dbk) == gen:
                    _refreshed.pop(dbk, None)
        finally:
            with _lock:
                _refreshing.discard(dbk)

    threading.Thread(target=run, name="tumbuh-panel-refresh", daemon=True).start()
    return True


def refresh_in_background(engine: Engine) -> bool:
    """Start the registered refresh now (at server start: reads the stored panels into
    memory, or recomputes those the data have outdated); False if none is registered."""
    dbk = db_key(engine)
    with _lock:
        _refreshed.pop(dbk, None)
    return _start_refresh(dbk, "")


def refreshing(engine: Engine) -> bool:
    with _lock:
        return db_key(engine) in _refreshing


def clear_cache() -> None:
    """Forget every result held in memory (after an import, and in tests); the stored ones
    stay, and are used only while their generation is current."""
    with _lock:
        _cache.clear()
        _refreshed.clear()
