"""risk_scores: actionable signals (KEK, anaemia, 2T, BBLR, unmeasured) next to the reasons

Revision ID: 0002_risk_signals
Revises: 0001_initial
Create Date: 2026-11-28 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_risk_signals"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("signal_keys", sa.String(length=120)),
    ("signals_id", sa.Text()),
    ("signals_en", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("risk_scores", schema=None) as batch_op:
        for name, type_ in _COLUMNS:
            batch_op.add_column(
                sa.Column(name, type_, nullable=False, server_default="")
            )


def downgrade() -> None:
    with op.batch_alter_table("risk_scores", schema=None) as batch_op:
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
