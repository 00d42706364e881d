"""Create the schema from metadata (tests, first use); production upgrades go through Alembic."""

from __future__ import annotations

from sqlalchemy import Engine, MetaData


def create_schema(engine: Engine, metadata: MetaData) -> None:
    """Create every table of `metadata` that does not exist yet."""
    metadata.create_all(engine)
