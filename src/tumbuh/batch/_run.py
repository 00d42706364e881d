"""Running a Dask graph on the chosen scheduler, with progress reported as tasks finish."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dask.base import compute as dask_compute
from dask.callbacks import Callback

from tumbuh.errors import InvalidInput

__all__ = ["Progress", "Scheduler", "compute"]

#: ``done, total`` (task counts); called from the scheduler's thread.
Progress = Callable[[int, int], None]

_LOCAL = ("threads", "processes", "sync")


@dataclass(frozen=True)
class Scheduler:
    """Where the graph runs: a local Dask scheduler or a ``dask.distributed`` address.

    ``kind`` is ``"threads"`` (default), ``"processes"``, ``"sync"`` (one thread, for
    debugging) or ``"distributed"`` with ``address`` (e.g. ``tcp://10.0.0.5:8786``).
    ``workers`` limits local threads/processes (``None``: one per core).
    """

    kind: str = "threads"
    address: str | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in (*_LOCAL, "distributed"):
            raise InvalidInput(
                f"--scheduler: {self.kind!r} is not one of threads, processes, "
                "sync, distributed"
            )
        if self.kind == "distributed" and not self.address:
            raise InvalidInput(
                "--scheduler distributed needs an ADDRESS (tcp://host:8786)"
            )
        if self.workers is not None and self.workers < 1:
            raise InvalidInput(f"--workers must be at least 1, got {self.workers}")


class _Counter(Callback):  # type: ignore[misc]
    """Counts finished tasks of a local scheduler run and reports them."""

    def __init__(self, report: Progress) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._report = report
        self._total = 0
        self._done = 0

    def _start_state(self, dsk: Any, state: Any) -> None:
        self._total = sum(len(state[k]) for k in ("ready", "waiting", "running"))
        self._report(0, self._total)

    def _posttask(
        self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any
    ) -> None:
        self._done += 1
        self._report(self._done, self._total)


def compute(
    collections: Sequence[Any],
    scheduler: Scheduler,
    progress: Progress | None = None,
) -> tuple[Any, ...]:
    """``dask.compute(*collections)`` on `scheduler`; returns the computed values."""
    if scheduler.kind == "distributed":
        return _compute_distributed(collections, scheduler, progress)
    # The scheduler's function rather than its name: given a name, dask imports
    # ``distributed`` (when installed) to look for a client, ~0.5 CPU-s per run.
    kwargs: dict[str, Any] = {"scheduler": _local_get(scheduler.kind)}
    if scheduler.workers is not None and scheduler.kind != "sync":
        kwargs["num_workers"] = scheduler.workers
    if progress is None:
        return tuple(dask_compute(*collections, **kwargs))  # type: ignore[no-untyped-call]
    with _Counter(progress):
        return tuple(dask_compute(*collections, **kwargs))  # type: ignore[no-untyped-call]


def _local_get(kind: str) -> Callable[..., Any]:
    """Dask's ``get`` function of a local scheduler."""
    if kind == "threads":
        from dask.threaded import get as threaded_get

        return threaded_get
    if kind == "processes":
        from dask.multiprocessing import get as processes_get

        return processes_get
    from dask.local import get_sync

    return get_sync


def _compute_distributed(
    collections: Sequence[Any], scheduler: Scheduler, progress: Progress | None
) -> tuple[Any, ...]:
    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError as exc:  # optional: not a dependency of tumbuh
        raise InvalidInput(
            "--scheduler distributed needs the 'distributed' package: "
            "pip install 'tumbuh[cluster]' (distributed, same version as dask)"
        ) from exc
    with distributed.Client(scheduler.address) as client:
        futures = client.compute(list(collections))
        if progress is not None:
            total = len(futures)
            progress(0, total)
            for done, _ in enumerate(distributed.as_completed(futures), start=1):
                progress(done, total)
        return tuple(client.gather(futures))
