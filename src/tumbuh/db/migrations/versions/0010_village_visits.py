"""visits: home visits of the village team, one row per client-generated id

Revision ID: 0010_village_visits
Revises: 0003_derived_results
Create Date: 2026-12-06 20:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_village_visits"
down_revision: str | None = "0009_pack_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("desa_code", sa.String(length=13), nullable=True),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_visits_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_visits_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["desa_code"], ["regions.code"], name=op.f("fk_visits_desa_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("client_id", name=op.f("uq_visits_client_id")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        for col in ("family_id", "person_id", "desa_code", "visited_on"):
            batch_op.create_index(batch_op.f(f"ix_visits_{col}"), [col], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        for col in ("visited_on", "desa_code", "person_id", "family_id"):
            batch_op.drop_index(batch_op.f(f"ix_visits_{col}"))
    op.drop_table("visits")
