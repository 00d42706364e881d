"""One cache for the page panels: results of whole-province service calls, kept per
database, key and data generation (the highest ids of the tables they read: an import, a
recorded intervention or a scoring run changes it), and never beyond CACHE_S seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tumbuh.interventions.models import Intervention
from tumbuh.register.models import Family, Measurement
from tumbuh.risk.models import RiskScore

CACHE_S = 3600.0
T = TypeVar("T")
_cache: dict[tuple[object, ...], tuple[float, tuple[object, ...], object]] = {}
_lock = threading.Lock()


def _db_key(db: Session) -> str:
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.url.render_as_string(hide_password=True)


def generation(db: Session) -> tuple[object, ...]:
    """The data generation: the highest ids of the tables the panels read. An import, a
    recorded intervention or a new scoring run changes it (ids only grow), so results are
    reused until the data change (and never beyond CACHE_S seconds)."""
    return tuple(
        db.scalar(select(func.max(col)))
        for col in (Measurement.id, Intervention.id, RiskScore.id, Family.id)
    )


def cached(db: Session, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """compute() once per database, key and data generation (errors are not cached)."""
    full = (_db_key(db), *key)
    now = time.monotonic()
    gen = generation(db)
    with _lock:
        hit = _cache.get(full)
        if hit is not None and hit[1] == gen and now - hit[0] < CACHE_S:
            return hit[2]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _cache[full] = (now, gen, value)
    return value


def clear_cache() -> None:
    """Forget every cached result (after an import, and in tests)."""
    with _lock:
        _cache.clear()
