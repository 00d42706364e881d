"""import_jobs.message: what a failed job says as catalogue keys and parameters (JSON),
rendered in the reader's language, instead of two stored sentences (message_id/message_en)

A job finished before this revision keeps its sentences, joined as "teks / text" (one of
them when both are the same), and is shown as it is (`tumbuh.i18n.loads` gives None for a
sentence). Downgrading writes each message's Indonesian and English text back.

Revision ID: 0016_jobs_message_key
Revises: 0015_persons_name_index
Create Date: 2026-12-07 05:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_jobs_message_key"
down_revision: str | None = "0015_persons_name_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JOBS = sa.table(
    "import_jobs",
    sa.column("id", sa.Integer()),
    sa.column("message", sa.Text()),
    sa.column("message_id", sa.Text()),
    sa.column("message_en", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_JOBS.c.id, _JOBS.c.message_id, _JOBS.c.message_en).where(
            sa.or_(_JOBS.c.message_id.is_not(None), _JOBS.c.message_en.is_not(None))
        )
    ).all()
    for job_id, said_id, said_en in rows:
        parts = [p for p in (said_id, said_en) if p]
        text = parts[0] if len(set(parts)) == 1 else " / ".join(parts)
        conn.execute(sa.update(_JOBS).where(_JOBS.c.id == job_id).values(message=text))
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("message_id")
        batch.drop_column("message_en")


def downgrade() -> None:
    from tumbuh.i18n import loads, render_all

    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("message_id", sa.Text(), nullable=True))
        batch.add_column(sa.Column("message_en", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_JOBS.c.id, _JOBS.c.message).where(_JOBS.c.message.is_not(None))
    ).all()
    for job_id, message in rows:
        said = loads(message)
        conn.execute(
            sa.update(_JOBS)
            .where(_JOBS.c.id == job_id)
            .values(
                message_id=message if said is None else render_all(said, "id"),
                message_en=message if said is None else render_all(said, "en"),
            )
        )
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("message")
