"""Every foreign key has an index that starts with its columns (joins and deletes through
it do not scan the referring table)."""

from __future__ import annotations

from sqlalchemy import Table

from tumbuh.models import Base


def _leading_columns(table: Table) -> list[tuple[str, ...]]:
    """The column lists an index (or the primary key, or a unique constraint) starts with."""
    out = [tuple(c.name for c in index.columns) for index in table.indexes]
    out.append(tuple(c.name for c in table.primary_key.columns))
    for constraint in table.constraints:
        columns = getattr(constraint, "columns", None)
        if columns is not None and constraint.__class__.__name__ == "UniqueConstraint":
            out.append(tuple(c.name for c in columns))
    return out


def test_every_foreign_key_is_the_start_of_an_index() -> None:
    missing = []
    for table in Base.metadata.tables.values():
        starts = _leading_columns(table)
        for fk in table.foreign_key_constraints:
            cols = tuple(c.name for c in fk.columns)
            if not any(s[: len(cols)] == cols for s in starts):
                missing.append(f"{table.name}({', '.join(cols)})")
    assert missing == []


def test_the_puskesmas_of_a_measurement_is_indexed() -> None:
    table = Base.metadata.tables["measurements"]
    assert ("puskesmas_id",) in _leading_columns(table)
