"""Bulk reads of the register for the indicator engine: each table read once, in columns.

All SQL of ``tumbuh.reports`` lives here. Reads go through the session's own connection, so
they see its transaction (tests roll back), and through the driver the engine already uses:

* SQLite file, large register, no uncommitted writes on the session's connection: every
  query of one computation in one child process (:mod:`tumbuh.reports._sqlite_reader`,
  ADBC's SQLite driver, Arrow IPC files back), about four times faster than the cursor.
  If that process fails, the error is logged and the cursor below reads instead.
* SQLite otherwise (``:memory:``, small tables, pending writes the child could not see):
  Python's ``sqlite3`` cursor, ``fetchmany`` in chunks, transposed into columns.
  Never a second SQLite library in this process (ADBC's or DuckDB's sqlite extension link
  their own SQLite; closing their handle drops the POSIX locks of Python's connection and
  corrupts the file under concurrent writers).
* PostgreSQL: psycopg's ``COPY (SELECT ...) TO STDOUT`` in CSV, parsed by Arrow's CSV reader.

Every frame comes back as pandas with fixed dtypes whatever the back-end, so the engine
computes the same numbers on both.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

Kind = Literal["int", "float", "str", "date", "bool"]

_CHUNK = 200_000
#: Below this many measurement rows the child process costs more than it saves.
SUBPROCESS_MIN_ROWS = 50_000
_ARROW: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "date": pa.date32(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class Query:
    """A SELECT whose columns are named and typed; ``{where}`` takes the region filter."""

    sql: str
    columns: tuple[tuple[str, Kind], ...]


def _region_filter(column: str, region: str | None) -> tuple[str, list[Any]]:
    # substr() has the same meaning on SQLite and PostgreSQL; codes are ASCII digits and dots.
    if region is None:
        return "1 = 1", []
    return f"substr({column}, 1, {len(region)}) = ?", [region]


def _sqlite(raw: Any, sql: str, params: list[Any], q: Query) -> pa.Table:
    cur = raw.cursor()
    try:
        cur.execute(sql, params)
        chunks: list[list[Any]] = [[] for _ in q.columns]
        while True:
            rows = cur.fetchmany(_CHUNK)
            if not rows:
                break
            for j, col in enumerate(zip(*rows, strict=True)):
                chunks[j].extend(col)
    finally:
        cur.close()
    arrays = []
    for (_, kind), values in zip(q.columns, chunks, strict=True):
        if kind == "date":
            # SQLite stores dates as ISO text; numpy parses the column at once (None: NaT).
            arrays.append(pa.array(np.array(values, dtype="datetime64[D]")))
        elif kind == "bool":
            arrays.append(pa.array(values, type=pa.int64()).cast(pa.bool_()))
        else:
            arrays.append(pa.array(values, type=_ARROW[kind]))
    return pa.table(arrays, names=[n for n, _ in q.columns])


def _empty(q: Query) -> pa.Table:
    return pa.table(
        [pa.array([], type=_ARROW[k]) for _, k in q.columns],
        names=[n for n, _ in q.columns],
    )


def _postgres(raw: Any, sql: str, params: list[Any], q: Query) -> pa.Table:
    text = _literal(sql, params)
    buf = io.BytesIO()
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY ({text}) TO STDOUT WITH (FORMAT csv)") as cp,
    ):
        for block in cp:
            buf.write(block)
    if buf.tell() == 0:
        return _empty(q)
    buf.seek(0)
    return pacsv.read_csv(
        buf,
        read_options=pacsv.ReadOptions(column_names=[n for n, _ in q.columns]),
        convert_options=pacsv.ConvertOptions(
            column_types={n: _ARROW[k] for n, k in q.columns},
            true_values=["t", "true"],
            false_values=["f", "false"],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


_PANDAS = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Same dtypes from both back-ends: Int64, boolean, float64, object text and
    datetime64 dates (NaT for missing)."""
    frame: pd.DataFrame = table.to_pandas(
        types_mapper=_PANDAS.get, date_as_object=False
    )
    for name in frame.columns:
        if pa.types.is_date(table.schema.field(name).type):
            frame[name] = frame[name].astype("datetime64[ns]")
    return frame


def _literal(sql: str, params: list[Any]) -> str:
    # Region codes only (digits and dots), checked, then quoted: COPY and the child
    # process take no bind parameters.
    for p in params:
        if not str(p).replace(".", "").isdigit():
            raise ValueError(f"region code {p!r} is not digits and dots")
    text = sql
    for p in params:
        text = text.replace("?", f"'{p}'", 1)
    return text


_PROTOTYPE: dict[str, str] = {
    "int": "0",
    "float": "0.5",
    "str": "''",
    "date": "''",
    "bool": "0",
}


def _with_prototype(sql: str, q: Query) -> str:
    """A first row of the right storage class in every column: the ADBC driver infers
    column types from the values it sees first, and would take an all-NULL start for int."""
    proto = ", ".join(_PROTOTYPE[k] for _, k in q.columns)
    return f"SELECT {proto} UNION ALL {sql}"


def _from_child(raw: pa.Table, q: Query) -> pa.Table:
    """Drop the prototype row; cast to the declared types (dates: ISO text, bools: 0/1),
    giving the very table :func:`_sqlite` gives."""
    raw = raw.slice(1)
    arrays = []
    for col, (_, kind) in zip(raw.columns, q.columns, strict=True):
        if kind == "date":
            arrays.append(col.cast(pa.string()).cast(pa.date32()))
        elif kind == "bool":
            arrays.append(col.cast(pa.int64()).cast(pa.bool_()))
        else:
            arrays.append(col.cast(_ARROW[kind]))
    return pa.table(arrays, names=[n for n, _ in q.columns])


def sqlite_file(conn: Connection) -> Path | None:
    """The SQLite file behind `conn` if a child process may read it instead of `conn`:
    a file (not ``:memory:``) and no uncommitted writes the child could not see."""
    if conn.dialect.name != "sqlite":
        return None
    database = conn.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    raw: Any = conn.connection.driver_connection
    if raw.in_transaction:
        return None
    return Path(database).resolve()


def read_in_child(
    path: Path, jobs: Sequence[tuple[Query, str, list[Any]]]
) -> list[pa.Table]:
    """Run every (query, sql, params) of `jobs` on the SQLite file `path` in one child
    process; raises RuntimeError with the child's error output if it fails."""
    sqls = [_with_prototype(_literal(sql, params), q) for q, sql, params in jobs]
    with tempfile.TemporaryDirectory(prefix="tumbuh-read-") as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "tumbuh.reports._sqlite_reader", str(path), tmp]
            + sqls,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"reader process exited {done.returncode}: {done.stderr.strip()[-2000:]}"
            )
        tables = []
        for i, (q, _, _) in enumerate(jobs):
            with pa.OSFile(str(Path(tmp) / f"{i}.arrow"), "rb") as source:
                raw = pa.ipc.open_file(source).read_all()
            tables.append(_from_child(raw, q))
    return tables


def _read_tables(
    session: Session,
    jobs: Sequence[tuple[Query, str | None, str]],
    *,
    child: bool = True,
) -> list[pd.DataFrame]:
    """Read (query, region, column) jobs: in one child process when that is worth it and
    safe (see :func:`sqlite_file`), else one by one through the session's connection."""
    prepared: list[tuple[Query, str, list[Any]]] = []
    for q, region, column in jobs:
        where, params = _region_filter(column, region)
        prepared.append((q, q.sql.format(where=where), params))
    return _read_prepared(session, prepared, child=child)


def _read_prepared(
    session: Session,
    prepared: Sequence[tuple[Query, str, list[Any]]],
    *,
    child: bool = True,
) -> list[pd.DataFrame]:
    conn = session.connection()
    path = sqlite_file(conn)
    if child and path is not None and prepared and _large(conn):
        try:
            return [_to_pandas(t) for t in read_in_child(path, prepared)]
        except Exception as exc:
            log.warning(
                "SQLite bulk read in a child process failed (%s); "
                "reading through the session's connection instead",
                exc,
            )
    return [_read_one(conn, q, sql, params) for q, sql, params in prepared]


def _large(conn: Connection) -> bool:
    raw: Any = conn.connection.driver_connection
    cur = raw.cursor()
    try:
        # max(rowid) is an index lookup, not a count.
        top = cur.execute("SELECT max(rowid) FROM measurements").fetchone()[0]
    finally:
        cur.close()
    return int(top or 0) >= SUBPROCESS_MIN_ROWS


def _read_one(conn: Connection, q: Query, sql: str, params: list[Any]) -> pd.DataFrame:
    raw = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        return _to_pandas(_sqlite(raw, sql, params, q))
    if conn.dialect.name == "postgresql":
        return _to_pandas(_postgres(raw, sql, params, q))
    raise ValueError(f"unsupported database {conn.dialect.name!r}")


def read_selects(session: Session, queries: Sequence[Query]) -> list[pd.DataFrame]:
    """Run SELECTs that take no parameters (SQL as written, no ``{where}``), in one bulk
    read as :func:`read` does: for another domain's query, read the way the engine reads."""
    return _read_prepared(session, [(q, q.sql, []) for q in queries])


def read(
    session: Session, q: Query, *, region: str | None, column: str
) -> pd.DataFrame:
    """Run `q` with ``{where}`` = the region filter on `column`; one bulk read."""
    return _read_tables(session, [(q, region, column)])[0]


# ----------------------------------------------------------------------------- queries

MEASUREMENTS = Query(
    "SELECT person_id, measured_on, age_days, desa_code, posyandu_id, zlen, zwei, zwfl, "
    "flen, fwei, fwfl FROM measurements WHERE {where}",
    (
        ("child_id", "int"),
        ("measured_on", "date"),
        ("age_days", "int"),
        ("desa_code", "str"),
        ("posyandu_id", "int"),
        ("zlen", "float"),
        ("zwei", "float"),
        ("zwfl", "float"),
        ("flen", "bool"),
        ("fwei", "bool"),
        ("fwfl", "bool"),
    ),
)
PERSONS = Query(
    "SELECT id, sex, birth_date, family_id, family_role, desa_code FROM persons "
    "WHERE {where}",
    (
        ("person_id", "int"),
        ("sex", "str"),
        ("birth_date", "date"),
        ("family_id", "int"),
        ("family_role", "str"),
        ("desa_code", "str"),
    ),
)
FAMILIES = Query(
    "SELECT id, desa_code, water_source, latrine, wife_modern_contraception, "
    "wife_pregnant, welfare_decile FROM families WHERE {where}",
    (
        ("family_id", "int"),
        ("desa_code", "str"),
        ("water_source", "str"),
        ("latrine", "str"),
        ("wife_modern_contraception", "bool"),
        ("wife_pregnant", "bool"),
        ("welfare_decile", "int"),
    ),
)
PREGNANCIES = Query(
    "SELECT g.person_id, g.lmp_date, g.due_date FROM pregnancies g "
    "JOIN persons p ON p.id = g.person_id WHERE {where}",
    (("person_id", "int"), ("lmp_date", "date"), ("due_date", "date")),
)
PREGNANCY_SCREENINGS = Query(
    "SELECT s.person_id, s.screened_on, s.muac_cm FROM screenings s "
    "JOIN persons p ON p.id = s.person_id WHERE s.kind = 'hamil' AND {where}",
    (("person_id", "int"), ("screened_on", "date"), ("muac_cm", "float")),
)
INTERVENTIONS = Query(
    "SELECT i.kind_code, i.person_id, coalesce(i.family_id, p.family_id), i.given_on, "
    "i.quantity FROM interventions i LEFT JOIN persons p ON p.id = i.person_id "
    "LEFT JOIN families f ON f.id = i.family_id "
    "WHERE i.status IN ('given', 'verified') "
    "AND coalesce(i.desa_code, p.desa_code, f.desa_code) IS NOT NULL AND {where}",
    (
        ("kind_code", "str"),
        ("person_id", "int"),
        ("family_id", "int"),
        ("given_on", "date"),
        ("quantity", "int"),
    ),
)
POSYANDU = Query(
    "SELECT id, region_code, name FROM facilities WHERE kind = 'posyandu' AND {where}",
    (("posyandu_id", "int"), ("desa_code", "str"), ("name", "str")),
)
REGIONS = Query(
    "SELECT code, name FROM regions WHERE {where}",
    (("code", "str"), ("name", "str")),
)
PUBLISHED = Query(
    "SELECT region_code, year, source, kind, indicator, value_pct, ci_low, ci_high, "
    "confidence FROM published_figures WHERE {where}",
    (
        ("region_code", "str"),
        ("year", "int"),
        ("source", "str"),
        ("kind", "str"),
        ("indicator", "str"),
        ("value_pct", "float"),
        ("ci_low", "float"),
        ("ci_high", "float"),
        ("confidence", "str"),
    ),
)
CATIN_SCREENINGS = Query(
    "SELECT s.person_id, s.screened_on, p.sex, coalesce(s.desa_code, p.desa_code) "
    "FROM screenings s JOIN persons p ON p.id = s.person_id "
    "WHERE s.kind = 'catin' AND coalesce(s.desa_code, p.desa_code) IS NOT NULL "
    "AND {where}",
    (
        ("person_id", "int"),
        ("screened_on", "date"),
        ("sex", "str"),
        ("desa_code", "str"),
    ),
)
PROGRAMME_AGGREGATES = Query(
    "SELECT code, region_code, year, numerator, denominator FROM programme_aggregates "
    "WHERE {where}",
    (
        ("code", "str"),
        ("region_code", "str"),
        ("year", "int"),
        ("numerator", "int"),
        ("denominator", "int"),
    ),
)


def _empty_frame(q: Query) -> pd.DataFrame:
    return _to_pandas(_empty(q))


@dataclass
class RegisterTables:
    """The register tables one computation needs, each read once."""

    measurements: pd.DataFrame
    persons: pd.DataFrame
    families: pd.DataFrame
    pregnancies: pd.DataFrame
    pregnancy_screenings: pd.DataFrame
    interventions: pd.DataFrame
    posyandu: pd.DataFrame
    regions: pd.DataFrame
    published: pd.DataFrame
    # Screenings of catin (region: the screening's desa, else the person's) and the
    # programme aggregates (tumbuh import aggregates); empty where a caller needs neither.
    catin_screenings: pd.DataFrame = field(
        default_factory=lambda: _empty_frame(CATIN_SCREENINGS)
    )
    programme: pd.DataFrame = field(
        default_factory=lambda: _empty_frame(PROGRAMME_AGGREGATES)
    )


def _has(session: Session, table: str) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(session.connection()).has_table(table))


def load(session: Session, *, region: str | None) -> RegisterTables:
    """Read every table the indicators need for `region` (None: the whole database)."""
    intervention_col = "coalesce(i.desa_code, p.desa_code, f.desa_code)"
    has_published = _has(session, "published_figures")
    has_interventions = _has(session, "interventions")
    has_programme = _has(session, "programme_aggregates")
    jobs: list[tuple[Query, str | None, str]] = [
        (MEASUREMENTS, region, "desa_code"),
        (PERSONS, region, "desa_code"),
        (FAMILIES, region, "desa_code"),
        (PREGNANCIES, region, "p.desa_code"),
        (PREGNANCY_SCREENINGS, region, "p.desa_code"),
        (POSYANDU, region, "region_code"),
    ]
    if has_interventions:
        jobs.append((INTERVENTIONS, region, intervention_col))
    if has_published:
        jobs.append((PUBLISHED, None, "region_code"))
    jobs.append((CATIN_SCREENINGS, region, "coalesce(s.desa_code, p.desa_code)"))
    if has_programme:
        jobs.append((PROGRAMME_AGGREGATES, region, "region_code"))
    if region is not None:
        jobs.append((REGIONS, region, "code"))
    frames = _read_tables(session, jobs)
    measurements, persons, families, pregnancies, screenings, posyandu = frames[:6]
    rest = frames[6:]
    interventions = (
        rest.pop(0) if has_interventions else _to_pandas(_empty(INTERVENTIONS))
    )
    published = rest.pop(0) if has_published else _to_pandas(_empty(PUBLISHED))
    catin = rest.pop(0)
    programme = rest.pop(0) if has_programme else _empty_frame(PROGRAMME_AGGREGATES)
    if region is not None:
        regions = rest.pop(0)
        # The published figures of the region, the regions above it and below it.
        codes = published["region_code"].astype(str)
        above = [region[:i] for i in range(1, len(region) + 1)]
        published = published.loc[
            codes.str.startswith(region) | codes.isin(above)
        ].reset_index(drop=True)
    else:
        # Only the provinces that have data: the region master holds all of Indonesia.
        codes = pd.concat(
            [
                measurements["desa_code"],
                persons["desa_code"],
                families["desa_code"],
                programme["region_code"],
            ]
        ).dropna()
        provinces = sorted({str(c)[:2] for c in codes.unique()})
        # A few hundred rows: not worth a second child process.
        parts = _read_tables(
            session, [(REGIONS, p, "code") for p in provinces], child=False
        )
        regions = (
            pd.concat(parts, ignore_index=True)
            if parts
            else _to_pandas(_empty(REGIONS))
        )
    return RegisterTables(
        measurements=measurements,
        persons=persons,
        families=families,
        pregnancies=pregnancies,
        pregnancy_screenings=screenings,
        interventions=interventions,
        posyandu=posyandu,
        regions=regions,
        published=published,
        catin_screenings=catin,
        programme=programme,
    )


def load_families(session: Session, *, region: str | None) -> RegisterTables:
    """Only persons and families (what the KRS rule reads); the other tables empty."""

    def empty(q: Query) -> pd.DataFrame:
        return _to_pandas(_empty(q))

    persons, families = _read_tables(
        session, [(PERSONS, region, "desa_code"), (FAMILIES, region, "desa_code")]
    )
    return RegisterTables(
        measurements=empty(MEASUREMENTS),
        persons=persons,
        families=families,
        pregnancies=empty(PREGNANCIES),
        pregnancy_screenings=empty(PREGNANCY_SCREENINGS),
        interventions=empty(INTERVENTIONS),
        posyandu=empty(POSYANDU),
        regions=empty(REGIONS),
        published=empty(PUBLISHED),
    )


def load_measurements(session: Session, *, region: str | None) -> RegisterTables:
    """Only the measurements (what the routine nutrition figures read); the rest empty."""

    def empty(q: Query) -> pd.DataFrame:
        return _to_pandas(_empty(q))

    return RegisterTables(
        measurements=read(session, MEASUREMENTS, region=region, column="desa_code"),
        persons=empty(PERSONS),
        families=empty(FAMILIES),
        pregnancies=empty(PREGNANCIES),
        pregnancy_screenings=empty(PREGNANCY_SCREENINGS),
        interventions=empty(INTERVENTIONS),
        posyandu=empty(POSYANDU),
        regions=empty(REGIONS),
        published=empty(PUBLISHED),
    )


def region_names(tables: RegisterTables) -> dict[str, str]:
    return dict(zip(tables.regions["code"], tables.regions["name"], strict=True))


def posyandu_desa(tables: RegisterTables) -> dict[str, str]:
    p = tables.posyandu
    return {
        str(int(i)): str(d)
        for i, d in zip(p["posyandu_id"], p["desa_code"], strict=True)
    }


def posyandu_names(tables: RegisterTables) -> dict[str, str]:
    p = tables.posyandu
    return {
        str(int(i)): str(n) for i, n in zip(p["posyandu_id"], p["name"], strict=True)
    }


__all__: Sequence[str] = [
    "RegisterTables",
    "load",
    "posyandu_desa",
    "posyandu_names",
    "read",
    "read_selects",
    "region_names",
]
