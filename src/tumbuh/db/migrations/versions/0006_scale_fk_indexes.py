"""Indexes on the foreign keys that had none (measurements.puskesmas_id and four more)

Without them a join or a delete through these keys scans the whole child table (at a
province's 5 M measurements, every puskesmas filter did). Issue 18.

Revision ID: 0006_scale_fk_indexes
Revises: 0003_derived_results
Create Date: 2026-12-06 20:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_scale_fk_indexes"
down_revision: str | None = "0004_hard_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column) of each foreign key indexed here; index names follow the naming
#: convention of tumbuh.db.base (ix_<table>_<column>).
INDEXED = (
    ("measurements", "puskesmas_id"),
    ("facilities", "parent_id"),
    ("screenings", "pregnancy_id"),
    ("link_review", "candidate_id"),
    ("meeting_actions", "indicator_code"),
)


def upgrade() -> None:
    for table, column in INDEXED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(INDEXED):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
