"""measurements.fingerprint recomputed so that a row's digest depends on its own values only

Before this revision the import digested a chunk's columns with the types pandas guessed
from the whole chunk (int64 when every row had a posyandu, float64 when one had none,
object when none had a LiLA), so the same unchanged row could digest differently when read
again in another chunk and a re-import reported it "updated". The import now declares the
numeric columns (`tumbuh.imports.context.fingerprints`); this revision recomputes every
stored fingerprint the same way, from the stored values, so that the first import after the
upgrade does not rewrite unchanged rows. The field list is frozen here as it stood.

Downgrade leaves the new fingerprints: the older code would see them differ once and
rewrite those rows with the same values.

Revision ID: 0017_measurement_fingerprints
Revises: 0016_jobs_message_key
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_measurement_fingerprints"
down_revision: str | None = "0016_jobs_message_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NUMBERS = (
    "person_id", "age_days", "weight_kg", "lenhei_cm", "muac_cm", "headc_cm",
    "posyandu_id", "puskesmas_id", "src_zwei", "src_zlen", "src_zwfl",
)  # fmt: skip
_FIELDS = (
    "person_id", "measured_on", "age_days", "weight_kg", "lenhei_cm", "measure",
    "muac_cm", "headc_cm", "posyandu_id", "puskesmas_id", "desa_code", "src_age",
    "src_zwei", "src_zlen", "src_zwfl", "src_cat_bbu", "src_cat_tbu", "src_cat_bbtb",
    "src_weight_gain",
)  # fmt: skip
_INTEGERS = ("person_id", "age_days", "posyandu_id", "puskesmas_id")


def _column(name: str) -> sa.ColumnClause[object]:
    if name in _INTEGERS:
        return sa.column(name, sa.Integer())
    if name in _NUMBERS:
        return sa.column(name, sa.Float())
    if name == "measured_on":
        return sa.column(name, sa.Date())
    return sa.column(name, sa.String())


_MEASUREMENTS = sa.table(
    "measurements",
    sa.column("id", sa.Integer()),
    sa.column("fingerprint", sa.String(32)),
    *(_column(f) for f in _FIELDS),
)
_BATCH = 50_000


def upgrade() -> None:
    from tumbuh.imports.context import fingerprints

    conn = op.get_bind()
    t = _MEASUREMENTS
    after = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.id, t.c.fingerprint, *(t.c[f] for f in _FIELDS))
            .where(t.c.id > after)
            .order_by(t.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        columns = {f: [r[i + 2] for r in rows] for i, f in enumerate(_FIELDS)}
        fps = fingerprints(columns, _NUMBERS)
        changed = [
            {"mid": r[0], "fp": fp}
            for r, fp in zip(rows, fps, strict=True)
            if r[1] != fp
        ]
        if changed:
            conn.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("mid"))
                .values(fingerprint=sa.bindparam("fp")),
                changed,
            )
        after = rows[-1][0]


def downgrade() -> None:
    """Nothing to undo (see the module's docstring)."""
