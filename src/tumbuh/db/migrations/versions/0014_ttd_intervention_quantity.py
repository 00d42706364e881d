"""interventions.quantity: how much a record gave (TTD tablets), for ">= 90 TTD in pregnancy"

Revision ID: 0014_ttd_intervention_quantity
Revises: 0012_agg_programme_aggregates
Create Date: 2026-12-06 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_ttd_intervention_quantity"
down_revision: str | None = "0012_agg_programme_aggregates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        batch.add_column(sa.Column("quantity", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interventions") as batch:
        batch.drop_column("quantity")
