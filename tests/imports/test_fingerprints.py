"""A stored measurement's fingerprint depends on its own values, not on the rows it was read
with: a file read again in other chunks (a subset, beside a server in 5,000-row chunks, alone
in 100,000-row chunks) finds its unchanged rows unchanged."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv

from tumbuh.imports.context import fingerprints
from tumbuh.imports.service import import_file
from tumbuh.register.models import Measurement
from tumbuh.tabular.issues import ImportReport

NUMBERS = {"posyandu_id", "muac_cm"}


def test_a_rows_digest_does_not_depend_on_its_neighbours() -> None:
    alone = {"posyandu_id": [7], "muac_cm": [None], "measure": ["h"]}
    with_others = {
        "posyandu_id": [7, None, 8],  # another row without a posyandu
        "muac_cm": [None, 14.5, 13.0],  # others with a LiLA
        "measure": ["h", None, "l"],
    }
    assert fingerprints(alone, NUMBERS)[0] == fingerprints(with_others, NUMBERS)[0]
    # ... and still tells a change apart
    changed = {"posyandu_id": [7], "muac_cm": [14.5], "measure": ["h"]}
    assert fingerprints(changed, NUMBERS)[0] != fingerprints(alone, NUMBERS)[0]
    blank = {"posyandu_id": [None], "muac_cm": [None], "measure": ["h"]}
    assert fingerprints(blank, NUMBERS)[0] != fingerprints(alone, NUMBERS)[0]


def _rows() -> list[dict[str, str]]:
    """Three children of one posyandu; the second has no posyandu and no LiLA."""
    return [
        eppgbm_row(No="1"),
        eppgbm_row(
            No="2",
            NIK="6472011203230003",
            Nama="Budi Santoso",
            JK="L",
            **{"Tgl Lahir": "12/03/2023", "Posyandu": "", "LiLA": ""},
        ),
        eppgbm_row(
            No="3",
            NIK="6472014108230004",
            Nama="Dewi Lestari",
            **{"Tgl Lahir": "01/08/2023", "LiLA": ""},
        ),
    ]


def _import(db: Session, path: Path) -> ImportReport:
    report = ImportReport(kind="eppgbm")
    import_file(db, kind="eppgbm", path=path, report=report)
    return report


def test_a_subset_of_an_imported_file_is_unchanged(db: Session, tmp_path: Path) -> None:
    rows = _rows()
    first = _import(db, write_csv(tmp_path / "all.csv", EPPGBM_HEADER, rows))
    assert first.inserted == 3
    for i, row in enumerate(rows):  # each row again, alone in its file
        again = _import(db, write_csv(tmp_path / f"row{i}.csv", EPPGBM_HEADER, [row]))
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1), i
    # a real change is still seen
    changed = _import(
        db,
        write_csv(tmp_path / "changed.csv", EPPGBM_HEADER, [{**rows[1], "LiLA": "13"}]),
    )
    assert (changed.inserted, changed.updated) == (0, 1)


def test_the_migration_recomputes_what_the_import_stores(
    db: Session, tmp_path: Path
) -> None:
    _import(db, write_csv(tmp_path / "all.csv", EPPGBM_HEADER, _rows()))
    stored = dict(db.execute(select(Measurement.id, Measurement.fingerprint)).all())
    db.execute(update(Measurement).values(fingerprint="stale"))
    migration = importlib.import_module(
        "tumbuh.db.migrations.versions.0017_measurement_fingerprints"
    )
    with Operations.context(MigrationContext.configure(db.connection())):
        migration.upgrade()
    db.expire_all()
    assert dict(db.execute(select(Measurement.id, Measurement.fingerprint)).all()) == (
        stored
    )
