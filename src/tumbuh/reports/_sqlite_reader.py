"""Bulk reads of a SQLite file in a process of their own, written as Arrow IPC files.

    python -m tumbuh.reports._sqlite_reader DB_PATH OUT_DIR SQL [SQL ...]

Reads each SQL with ADBC's SQLite driver (rows straight into Arrow columns, no Python
object per value) and writes ``OUT_DIR/<i>.arrow`` (Arrow IPC file format) for the i-th SQL.

Why a process of its own: ADBC's driver links its own SQLite. Opening the same file from a
second SQLite library in the process that holds a Python ``sqlite3`` connection is unsafe
(closing that handle releases the POSIX locks of the other connection, which corrupts the
file under concurrent writers). Locks between processes are what SQLite is built for.

The caller (:mod:`tumbuh.reports.repository`) makes the first row of each query a typed
prototype row so that the driver's type inference never guesses from NULLs; it drops that
row and casts the columns to their declared types.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def _query(adbc: Any, pa: Any, conn: Any, sql: str) -> Any:
    stmt = adbc.AdbcStatement(conn)
    try:
        # Large batches: fewer batches to concatenate, a wider window for type inference.
        stmt.set_options(**{"adbc.sqlite.query.batch_rows": "65536"})
        stmt.set_sql_query(sql)
        stream, _ = stmt.execute_query()
        return pa.RecordBatchReader._import_from_c(stream.address).read_all()
    finally:
        stmt.close()


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        sys.stderr.write(__doc__ or "")
        return 2
    # The low-level API: the DB-API module imports pandas and polars (seconds at start).
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa

    db_path, out_dir, queries = argv[0], Path(argv[1]), argv[2:]
    database = adbc_driver_sqlite.connect(db_path)
    try:
        conn = adbc.AdbcConnection(database)
        try:
            for i, sql in enumerate(queries):
                table = _query(adbc, pa, conn, sql)
                with (
                    pa.OSFile(str(out_dir / f"{i}.arrow"), "wb") as sink,
                    pa.ipc.new_file(sink, table.schema) as writer,
                ):
                    writer.write_table(table)
        finally:
            conn.close()
    finally:
        database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
