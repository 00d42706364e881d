"""persons (name_key, id): the children table sorted by name reads the index in order

Revision ID: 0015_persons_name_index
Revises: 0011_jobs_import_jobs
Create Date: 2026-12-07 04:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_persons_name_index"
down_revision: str | None = "0011_jobs_import_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_persons_name_key_id", "persons", ["name_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_persons_name_key_id", table_name="persons")
