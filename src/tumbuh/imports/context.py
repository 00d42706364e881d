"""State shared by the rows of one imported file: report, issues, lookups, quarantine."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from tumbuh.db.base import Base
from tumbuh.imports.normalise import MESSAGES
from tumbuh.register.models import Facility, QuarantinedRow
from tumbuh.register.regions import RegionResolver, name_key
from tumbuh.tabular.issues import ImportReport, RowIssue, Severity
from tumbuh.tabular.parse import text_array
from tumbuh.tabular.readers import ROW_COLUMN

BATCH = 5_000
# Columns added by `write_quarantine` that point back at the quarantined row.
QUARANTINE_FILE = "Berkas / File"
QUARANTINE_ROW = (
    "Baris / Row"  # bound parameters per IN (...) list: SQLite allows 32,766
)


def fingerprints(
    columns: dict[str, list[Any]], numbers: Collection[str] = ()
) -> list[str]:
    """Per-row 64-bit digests of the given columns, vectorised (change detection).

    pandas' hash_pandas_object uses a fixed key, so digests are stable across runs; a
    collision would only hide a change of one row of one child on one date (p ≈ 2⁻⁶⁴).

    A row's digest depends on its own values only, never on the other rows it was read
    with: the columns named in `numbers` are hashed as float64 (None as NaN), the others
    as Python objects (None as None). Left to itself pandas takes a column's type from the
    whole chunk (int64 when every row of it has a posyandu, float64 when one has none,
    object when none has a LiLA), so the same row digested differently in a 5,000-row
    chunk, a 100,000-row chunk or a file of its own, and a re-import "updated" rows that
    had not changed.
    """
    import pandas as pd

    frame = pd.DataFrame(
        {
            name: (
                np.array(values, dtype=np.float64)
                if name in numbers
                else pd.Series(values, dtype=object)
            )
            for name, values in columns.items()
        }
    )
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return [format(h, "016x") for h in hashed.tolist()]


def fingerprint(values: tuple[Any, ...]) -> str:
    """A stable 128-bit digest of a row's normalised values (change detection on re-import)."""
    return hashlib.md5(repr(values).encode(), usedforsecurity=False).hexdigest()


@dataclass
class Chunk:
    """One chunk of text cells with its person-visible row numbers and per-row error marks."""

    table: pa.Table
    columns: dict[str, str]  # field -> column name in the file
    rows: npt.NDArray[np.int64] = field(init=False)
    bad: npt.NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        self.rows = np.asarray(self.table.column(ROW_COLUMN).to_numpy(), dtype=np.int64)
        self.bad = np.zeros(self.table.num_rows, dtype=bool)

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def has(self, fld: str) -> bool:
        return fld in self.columns

    def arrow(self, fld: str) -> pa.Array:
        if fld not in self.columns:
            return pa.nulls(self.table.num_rows, pa.string())
        return self.table.column(self.columns[fld]).combine_chunks()

    def clean(self, fld: str) -> list[str | None]:
        """Cells as text with missing markers (blank, `-`, `NA`...) as None, vectorised."""
        if fld not in self.columns:
            return [None] * self.table.num_rows
        values: list[str | None] = text_array(self.arrow(fld)).to_pylist()
        return values

    def text(self, fld: str) -> list[str | None]:
        if fld not in self.columns:
            return [None] * self.table.num_rows
        values: list[str | None] = self.table.column(self.columns[fld]).to_pylist()
        return values


@dataclass
class FileImport:
    """Everything one file's import needs besides the rows: where to record what happened."""

    session: Session
    kind: str
    file: str
    report: ImportReport
    regions: RegionResolver
    facilities: dict[tuple[str, str, str], int] = field(default_factory=dict)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    resolved_keys: set[str] = field(default_factory=set)
    resolved_refs: list[tuple[str, int]] = field(default_factory=list)
    # Whether quarantine holds rows of this kind (else accepted rows need no row key).
    has_quarantine: bool = True
    # Whether this import wrote quarantine rows (they may be resolved by later chunks).
    wrote_quarantine: bool = False
    # Issue texts by code (the format's catalogue prefix: issue.<code>, iv.issue.<code>).
    messages: Mapping[str, tuple[str, str]] = field(default_factory=lambda: MESSAGES)
    # The caller's transaction between chunks (`imports.service`: commit what a chunk
    # wrote, then begin again before the next one writes); None: one transaction.
    after_chunk: Callable[[], None] | None = None
    before_chunk: Callable[[], None] | None = None

    def issue(
        self,
        row: int,
        column: str | None,
        code: str,
        *,
        value: object = None,
        severity: Severity = Severity.warning,
    ) -> RowIssue:
        msg_id, msg_en = self.messages[code]
        if isinstance(value, pa.Scalar):
            value = value.as_py()
        text = "" if value is None else str(value)
        item = RowIssue(
            file=self.file,
            row=int(row),
            column=column,
            code=code,
            message_id=msg_id.format(value=text),
            message_en=msg_en.format(value=text),
            severity=severity,
            value=None if value is None else text,
        )
        self.report.issues.append(item)
        return item

    def load_facilities(self) -> None:
        for fid, kind, region, key in self.session.execute(
            select(Facility.id, Facility.kind, Facility.region_code, Facility.name_key)
        ):
            self.facilities[(kind, region, key)] = fid

    def facility_ids(
        self, kind: str, wanted: list[tuple[str, str] | None]
    ) -> list[int | None]:
        """Ids of facilities (region code, name) of `kind`, creating the missing ones in bulk."""
        new: dict[tuple[str, str, str], dict[str, Any]] = {}
        distinct = dict.fromkeys(wanted)  # each place once (rows repeat them)
        distinct.pop(None, None)
        for item in distinct:
            assert item is not None
            region, name = item
            key = (kind, region, name_key(name))
            if key[2] and key not in self.facilities and key not in new:
                new[key] = {
                    "kind": kind,
                    "name": name[:160],
                    "name_key": key[2][:160],
                    "region_code": region,
                }
        if new:
            ids = insert_with_ids(self.session, Facility, list(new.values()))
            for key, fid in zip(new, ids, strict=True):
                self.facilities[key] = fid
        found: dict[tuple[str, str] | None, int | None] = {
            item: self.facilities.get((kind, item[0], name_key(item[1])))
            for item in distinct
            if item is not None
        }
        found[None] = None
        return [found[item] for item in wanted]

    def reject(
        self,
        chunk: Chunk,
        index: int,
        issues: list[RowIssue],
        keys: tuple[str, str],
    ) -> None:
        """Keep a rejected row (raw cells and issues) for fixing and re-importing."""
        raw = {
            name: chunk.table.column(name)[index].as_py()
            for name in chunk.table.column_names
            if name != ROW_COLUMN
        }
        self.quarantine.append(
            {
                "kind": self.kind,
                "file": self.file[:255],
                "row": int(chunk.rows[index]),
                "row_key": keys[0],
                "alt_key": keys[1],
                "raw": raw,
                "issues": [i.to_dict() for i in issues],
            }
        )

    def resolve_refs(self, chunk: Chunk) -> None:
        """Accepted rows of a file written by `write_quarantine` clear the entries they fix
        (its `Berkas / File` and `Baris / Row` columns name them)."""
        names = chunk.table.column_names
        if QUARANTINE_FILE not in names or QUARANTINE_ROW not in names:
            return
        files = chunk.table.column(QUARANTINE_FILE).to_pylist()
        rows = chunk.table.column(QUARANTINE_ROW).to_pylist()
        for i in np.flatnonzero(~chunk.bad).tolist():
            if files[i] and rows[i] and str(rows[i]).strip().isdigit():
                self.resolved_refs.append(
                    (str(files[i]).strip(), int(str(rows[i]).strip()))
                )

    def start(self) -> None:
        """A file imported again replaces its own earlier quarantine entries."""
        self.has_quarantine = (
            self.session.scalar(
                select(QuarantinedRow.id)
                .where(QuarantinedRow.kind == self.kind)
                .limit(1)
            )
            is not None
        )
        self.session.execute(
            delete(QuarantinedRow).where(
                QuarantinedRow.kind == self.kind, QuarantinedRow.file == self.file
            )
        )

    def flush_quarantine(self) -> None:
        resolved = 0
        if not self.has_quarantine and not self.wrote_quarantine:
            # Nothing of this kind is quarantined: no entry to resolve (and no deletes).
            self.resolved_keys.clear()
            self.resolved_refs.clear()
        keys = sorted(self.resolved_keys)
        for start in range(0, len(keys), BATCH):
            part = keys[start : start + BATCH]
            res = self.session.execute(
                delete(QuarantinedRow).where(
                    QuarantinedRow.kind == self.kind,
                    QuarantinedRow.row_key.in_(part) | QuarantinedRow.alt_key.in_(part),
                )
            )
            resolved += int(getattr(res, "rowcount", 0) or 0)
        self.resolved_keys.clear()
        for file, row in self.resolved_refs:
            res = self.session.execute(
                delete(QuarantinedRow).where(
                    QuarantinedRow.kind == self.kind,
                    QuarantinedRow.file == file,
                    QuarantinedRow.row == row,
                )
            )
            resolved += int(getattr(res, "rowcount", 0) or 0)
        self.resolved_refs.clear()
        if self.quarantine:
            self.session.execute(insert(QuarantinedRow), self.quarantine)
            self.quarantine.clear()
            self.wrote_quarantine = True
        self.report.extra["quarantine_resolved"] = (
            int(self.report.extra.get("quarantine_resolved", 0)) + resolved
        )


def insert_with_ids(
    session: Session, model: type[Base], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert `rows` with ids reserved up front; return the ids in row order.

    Bulk INSERT ... RETURNING in parameter order is slow in SQLAlchemy for large batches,
    so ids are taken from the table's sequence (PostgreSQL) or after max(id) (SQLite, where
    the import holds the write lock from BEGIN IMMEDIATE), and plain executemany follows.
    """
    if not rows:
        return []
    table = cast(Table, model.__table__)
    n = len(rows)
    if session.get_bind().dialect.name == "postgresql":
        seq = session.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar_one()
        ids = list(
            session.execute(
                text("SELECT nextval(:s) FROM generate_series(1, :n)"),
                {"s": seq, "n": n},
            ).scalars()
        )
    else:
        start = session.execute(
            select(func.coalesce(func.max(table.c.id), 0))
        ).scalar_one()
        ids = list(range(int(start) + 1, int(start) + 1 + n))
    for row, i in zip(rows, ids, strict=True):
        row["id"] = i
    bulk_insert(session, table, rows)
    return [int(i) for i in ids]


def bulk_insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows through the driver's executemany (no per-row SQLAlchemy work).

    Columns are the union of the rows' keys; missing keys are NULL, or the column's
    Python-side scalar default.
    """
    if not rows:
        return
    keys: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for k in row:
            if k not in seen:
                seen.add(k)
                keys.append(k)
    defaults = {
        c.name: getattr(c.default, "arg", None)
        for c in table.columns
        if c.default is not None and c.default.is_scalar and c.name not in seen
    }
    # A column no row fills is left out (NULL all the same, having no server default):
    # SQLite's driver binds None through an adapter lookup, a number's cost several times.
    keys = [
        k
        for k in keys
        if table.c[k].server_default is not None
        or any(row.get(k) is not None for row in rows)
    ]
    extra = tuple(defaults.values())
    bulk_insert_rows(
        session,
        table,
        keys + list(defaults),
        [tuple(map(row.get, keys)) + extra for row in rows],
    )


def bulk_insert_rows(
    session: Session, table: Any, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT many rows given as tuples in `columns` order (the fastest path)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        # COPY is several times faster than executemany on PostgreSQL.
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            copy_sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with cur.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    for begin in range(0, len(rows), 20_000):
        conn.exec_driver_sql(sql, rows[begin : begin + 20_000])


def bulk_update(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """UPDATE rows by primary key `id` through the driver's executemany, one statement per
    set of columns (what SQLAlchemy's ORM bulk UPDATE emits, without its per-row work).
    Only for tables without Python-side `onupdate` values (none of the register's)."""
    if not rows:
        return
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        cols = tuple(k for k in row if k != "id")
        groups.setdefault(cols, []).append(tuple(row[k] for k in cols) + (row["id"],))
    for cols, params in groups.items():
        if not cols:
            continue
        sets = ", ".join(f"{c} = {mark}" for c in cols)
        sql = f"UPDATE {table.name} SET {sets} WHERE id = {mark}"
        for begin in range(0, len(params), 20_000):
            conn.exec_driver_sql(sql, params[begin : begin + 20_000])


def row_key(*parts: object) -> str:
    """Identity of a source row that survives fixes of its other cells."""
    return fingerprint(tuple(name_key(str(p)) if p is not None else "" for p in parts))


def row_keys(
    common: tuple[object, ...], first: object, second: object
) -> tuple[str, str]:
    """Two identities of a row: common cells + `first`, common cells + `second`."""
    return row_key("a", *common, first), row_key("b", *common, second)
