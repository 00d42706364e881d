"""meetings: coordination meetings as records; actions name a catalogue indicator, its
baseline (value and period) and the target agreed

Revision ID: 0009_pack_meetings
Revises: 0008_ind2_measurements_desa_date
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_pack_meetings"
down_revision: str | None = "0008_ind2_measurements_desa_date"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_meetings_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_index(op.f("ix_meetings_region_code"), "meetings", ["region_code"])
    op.create_index(op.f("ix_meetings_held_on"), "meetings", ["held_on"])
    with op.batch_alter_table("meeting_actions") as batch:
        batch.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("indicator", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("baseline_value", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("baseline_period", sa.String(length=10), nullable=True)
        )
        batch.add_column(sa.Column("target_value", sa.Float(), nullable=True))
        batch.create_index(batch.f("ix_meeting_actions_meeting_id"), ["meeting_id"])
        batch.create_foreign_key(
            batch.f("fk_meeting_actions_meeting_id_meetings"),
            "meetings",
            ["meeting_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_actions") as batch:
        batch.drop_constraint(
            batch.f("fk_meeting_actions_meeting_id_meetings"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_meeting_actions_meeting_id"))
        for col in (
            "target_value",
            "baseline_period",
            "baseline_value",
            "indicator",
            "meeting_id",
        ):
            batch.drop_column(col)
    op.drop_index(op.f("ix_meetings_held_on"), table_name="meetings")
    op.drop_index(op.f("ix_meetings_region_code"), table_name="meetings")
    op.drop_table("meetings")
