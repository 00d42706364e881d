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


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        sys.stderr.write(__doc__ or "")
        return 2
    import adbc_driver_sqlite.dbapi as adbc_sqlite
    import pyarrow as pa

    db_path, out_dir, queries = argv[0], Path(argv[1]), argv[2:]
    with adbc_sqlite.connect(db_path) as conn:
        for i, sql in enumerate(queries):
            cur = conn.cursor()
            try:
                # Large batches: fewer batches to concatenate, wider window for inference.
                cur.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": "65536"}
                )
                cur.execute(sql)
                table: pa.Table = cur.fetch_arrow_table()
            finally:
                cur.close()
            with pa.OSFile(str(out_dir / f"{i}.arrow"), "wb") as sink:
                with pa.ipc.new_file(sink, table.schema) as writer:
                    writer.write_table(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
