"""programme_aggregates: counts published per region and year (KUA marriages, ODF desa, ...)

Revision ID: 0012_agg_programme_aggregates
Revises: 0010_village_visits
Create Date: 2026-12-06 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_agg_programme_aggregates"
down_revision: str | None = "0010_village_visits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme_aggregates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=True),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "denominator >= 0",
            name=op.f("ck_programme_aggregates_denominator_non_negative"),
        ),
        sa.CheckConstraint(
            "numerator IS NULL OR (numerator >= 0 AND numerator <= denominator)",
            name=op.f("ck_programme_aggregates_numerator_within_denominator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_aggregates")),
        sa.UniqueConstraint(
            "code",
            "region_code",
            "year",
            name=op.f("uq_programme_aggregates_code_region_code_year"),
        ),
    )
    with op.batch_alter_table("programme_aggregates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_aggregates_region_code"),
            ["region_code"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("programme_aggregates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_aggregates_region_code"))
    op.drop_table("programme_aggregates")
