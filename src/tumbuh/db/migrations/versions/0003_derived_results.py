"""derived_results: stored page panels per key and data generation (fast cold start)

Revision ID: 0003_derived_results
Revises: 0002_risk_signals
Create Date: 2026-12-03 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_derived_results"
down_revision: str | None = "0002_risk_signals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "derived_results",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("generation", sa.String(length=200), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_derived_results")),
    )


def downgrade() -> None:
    op.drop_table("derived_results")
