"""`one_writer`: SQLite writers of one process queue on a lock, never on it while holding
SQLite's own write lock (that would deadlock until the busy timeout)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from tumbuh.db.engine import make_engine
from tumbuh.db.session import one_writer, session_factory


def test_a_writer_holding_the_sqlite_lock_does_not_wait_for_the_queue(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    factory = session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    errors: list[BaseException] = []
    queued = threading.Event()
    try:
        with factory() as first, factory() as second:
            first.execute(text("INSERT INTO t VALUES (1)"))  # holds SQLite's write lock
            second.execute(text("SELECT count(*) FROM t"))

            def other_request() -> None:
                try:
                    with one_writer(second):  # takes the queue, then waits for SQLite
                        queued.set()
                        second.execute(text("INSERT INTO t VALUES (2)"))
                        second.commit()
                except BaseException as exc:  # reported below
                    errors.append(exc)
                    queued.set()

            thread = threading.Thread(target=other_request)
            thread.start()
            assert queued.wait(10)
            with one_writer(first):  # already a writer: straight through
                first.commit()
            thread.join(20)
            assert not thread.is_alive()
        assert errors == []
        with factory() as db:
            assert db.scalar(text("SELECT count(*) FROM t")) == 2
    finally:
        engine.dispose()
