"""`tumbuh import interventions`: intervention records in bulk from CSV/Excel, with a report.

A format of the import framework (`imports.base.ChunkImport`): declared columns, a chunk
transform, the shared run loop and quarantine; one transaction per file
(``imports.service.write_transaction``). Layout in ``docs/interventions.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError
from tumbuh.i18n import Message, dumps
from tumbuh.imports.base import ChunkImport
from tumbuh.imports.context import Chunk, FileImport, bulk_insert, row_key
from tumbuh.imports.service import merge_report, write_transaction
from tumbuh.interventions import repository as repo
from tumbuh.interventions import service
from tumbuh.interventions.groups import is_family_group
from tumbuh.interventions.models import Intervention
from tumbuh.register.regions import RegionResolver
from tumbuh.tabular.columns import Column, Columns
from tumbuh.tabular.issues import ImportReport, IssueTexts, RowIssue, Severity
from tumbuh.tabular.parse import parse_date
from tumbuh.tabular.readers import TableSource, open_table

KIND = "interventions"

COLUMNS = Columns(
    Column(
        "code",
        ("Kode Intervensi", "kode", "intervensi", "jenis intervensi", "code",
         "intervention"),
        required=True,
    ),
    Column("nik", ("NIK", "nik sasaran")),
    Column("no_kk", ("No KK", "nomor kk", "no kartu keluarga", "kk")),
    Column(
        "given_on",
        ("Tanggal", "tanggal pemberian", "tgl", "tgl pemberian", "date", "given on"),
        required=True,
    ),
    Column("status", ("status",)),
    Column("sector", ("sektor", "opd", "dinas", "sector")),
    Column("unit", ("unit", "pelaksana", "posyandu", "fasilitas")),
    Column("note", ("catatan", "keterangan", "note")),
    Column(
        "quantity",
        ("jumlah", "jumlah tablet", "jumlah ttd", "banyaknya", "quantity", "tablets",
         "qty"),
    ),
)  # fmt: skip
# A record's quantity (tablets, packs...) above this is a typing error, not a delivery.
MAX_QUANTITY = 1000

STATUS_WORDS: dict[str, str] = {
    "planned": "planned",
    "rencana": "planned",
    "direncanakan": "planned",
    "given": "given",
    "diberikan": "given",
    "sudah": "given",
    "ya": "given",
    "verified": "verified",
    "terverifikasi": "verified",
    "diverifikasi": "verified",
}

# code -> (Bahasa Indonesia, English), from the catalogue (iv.issue.<code>).
MESSAGES = IssueTexts("iv.issue.")

_DIGITS = re.compile(r"^\d{16}$")
_WHOLE = re.compile(r"^(\d+)(?:[.,]0+)?$")


def _id16(value: str | None) -> tuple[str | None, bool]:
    """(16-digit id, ok); blank is (None, True). Excel's '6401….0' and spaces are tolerated."""
    if value is None:
        return None, True
    s = value.strip().replace(" ", "").replace("'", "")
    if s.endswith(".0"):
        s = s[:-2]
    return (s, True) if _DIGITS.match(s) else (None, False)


def _quantity(value: str | None) -> tuple[int | None, bool]:
    """(quantity or None, valid): a whole number 0..MAX_QUANTITY; "90", "90.0" and "90,0"
    (a spreadsheet's number) are 90; anything else is refused, never guessed."""
    if value is None:
        return None, True
    match = _WHOLE.match(value.strip())
    if match is None or int(match.group(1)) > MAX_QUANTITY:
        return None, False
    return int(match.group(1)), True


class InterventionsImport(ChunkImport):
    """Intervention records, linked to persons by NIK or families by No KK."""

    KIND = KIND
    COLUMNS = COLUMNS

    def __init__(self, ctx: FileImport, source: TableSource) -> None:
        super().__init__(ctx, source)
        self.kinds = {k.code: k for k in service.list_kinds(self.session)}
        self.seen: set[str] = set()

    def check_columns(self, columns: dict[str, str]) -> None:
        """Refuse a file without a code, a date, or any of NIK and No KK."""
        names = [c.shown for c in COLUMNS.missing(columns)]
        if not any(f in columns for f in ("nik", "no_kk")):
            names.append("NIK / No KK")
        if names:
            raise self.refusal(self.REFUSAL_KEY, columns=names)

    def issue(
        self, row: int, fld: str | None, code: str, value: object = None
    ) -> RowIssue:
        return self.ctx.issue(
            row,
            self.columns.get(fld) if fld else None,
            code,
            value=value,
            severity=Severity.error,
        )

    def chunk(self, chunk: Chunk) -> None:
        n = len(chunk)
        rows = chunk.rows
        codes = chunk.clean("code")
        niks_raw = chunk.clean("nik")
        kks_raw = chunk.clean("no_kk")
        status_raw = chunk.clean("status")
        sectors = chunk.clean("sector")
        units = chunk.clean("unit")
        notes = chunk.clean("note")
        quantities = chunk.clean("quantity")
        dates_arr = chunk.arrow("given_on")
        parsed = parse_date(dates_arr)
        today = np.datetime64(dt.date.today(), "D")
        issues: list[list[RowIssue]] = [[] for _ in range(n)]
        niks: list[str | None] = []
        kks: list[str | None] = []
        for i in range(n):
            r = int(rows[i])
            nik, ok = _id16(niks_raw[i])
            if not ok:
                issues[i].append(self.issue(r, "nik", "invalid_nik", niks_raw[i]))
            kk, ok = _id16(kks_raw[i])
            if not ok:
                issues[i].append(self.issue(r, "no_kk", "invalid_kk", kks_raw[i]))
            niks.append(nik)
            kks.append(kk)
        persons = repo.person_by_nik(self.session, sorted({x for x in niks if x}))
        families = repo.family_by_kk(self.session, sorted({x for x in kks if x}))

        records: list[dict[str, Any]] = []
        for i in range(n):
            r = int(rows[i])
            code = codes[i]
            kind = None
            if code is None:
                issues[i].append(self.issue(r, "code", "required"))
            else:
                kind = self.kinds.get(code.strip().lower())
                if kind is None:
                    issues[i].append(self.issue(r, "code", "unknown_kind", code))
            on = parsed.values[i]
            if parsed.failed[i]:
                issues[i].append(
                    self.issue(r, "given_on", "invalid_date", dates_arr[i].as_py())
                )
            elif np.isnat(on):
                issues[i].append(self.issue(r, "given_on", "required"))
            elif on > today:
                issues[i].append(
                    self.issue(r, "given_on", "future_date", dates_arr[i].as_py())
                )
            status = "given"
            if status_raw[i] is not None:
                word = STATUS_WORDS.get(status_raw[i].strip().lower())  # type: ignore[union-attr]
                if word is None:
                    issues[i].append(
                        self.issue(r, "status", "invalid_status", status_raw[i])
                    )
                else:
                    status = word
            quantity, ok = _quantity(quantities[i])
            if not ok:
                issues[i].append(
                    self.issue(r, "quantity", "invalid_quantity", quantities[i])
                )
            pid: int | None = None
            fid: int | None = None
            desa: str | None = None
            if kind is not None:
                nik, kk = niks[i], kks[i]
                if is_family_group(kind.target_group):
                    if kk is not None:
                        fam = families.get(kk)
                        if fam is None:
                            issues[i].append(
                                self.issue(r, "no_kk", "family_not_found", kk)
                            )
                        else:
                            fid, desa = fam
                    elif nik is not None:
                        person = persons.get(nik)
                        if person is None or person[1] is None:
                            issues[i].append(
                                self.issue(r, "nik", "person_not_found", nik)
                            )
                        else:
                            fid, desa = person[1], person[2]
                    elif niks_raw[i] is None and kks_raw[i] is None:
                        issues[i].append(self.issue(r, "no_kk", "subject_required"))
                elif nik is not None:
                    person = persons.get(nik)
                    if person is None:
                        issues[i].append(self.issue(r, "nik", "person_not_found", nik))
                    else:
                        pid, desa = person[0], person[2]
                elif niks_raw[i] is None:
                    issues[i].append(self.issue(r, "nik", "nik_required"))
            if issues[i]:
                continue
            assert kind is not None
            given_on = dt.date.fromisoformat(str(on))
            key = service.record_key(kind.code, pid, fid, given_on)
            if key in self.seen:
                # A repeated row is reported and skipped; the first one is kept.
                self.ctx.issue(r, None, "duplicate_row")
                self.ctx.report.unchanged += 1
                continue
            self.seen.add(key)
            records.append(
                {
                    "kind_code": kind.code,
                    "person_id": pid,
                    "family_id": fid,
                    "desa_code": desa,
                    "given_on": given_on,
                    "status": status,
                    "sector": (sectors[i] or kind.sector)[:40],
                    "unit": (units[i] or None),
                    "note": notes[i],
                    "quantity": quantity,
                    "record_key": key,
                    "source_file": self.ctx.file[:255],
                    "source_row": r,
                }
            )
        for i in range(n):
            if issues[i]:
                self.ctx.report.rejected += 1
                keys = (
                    row_key(
                        KIND, codes[i], niks_raw[i], kks_raw[i], dates_arr[i].as_py()
                    ),
                    row_key(KIND, codes[i], niks_raw[i], kks_raw[i]),
                )
                self.ctx.reject(chunk, i, issues[i], keys)
        self._write(records)

    def _write(self, records: list[dict[str, Any]]) -> None:
        existing = repo.records_by_key(self.session, [r["record_key"] for r in records])
        new: list[dict[str, Any]] = []
        for rec in records:
            old = existing.get(rec["record_key"])
            if old is None:
                new.append(rec)
                continue
            changed = (old.status, old.sector, old.unit, old.note, old.quantity) != (
                rec["status"],
                rec["sector"],
                rec["unit"],
                rec["note"],
                rec["quantity"],
            )
            if changed:
                self.session.execute(
                    update(Intervention)
                    .where(Intervention.id == old.id)
                    .values(
                        status=rec["status"],
                        sector=rec["sector"],
                        unit=rec["unit"],
                        note=rec["note"],
                        quantity=rec["quantity"],
                        source_file=rec["source_file"],
                        source_row=rec["source_row"],
                    )
                )
                self.ctx.report.updated += 1
            else:
                self.ctx.report.unchanged += 1
        if new:
            # COPY on PostgreSQL, the driver's executemany on SQLite (the ORM's bulk
            # INSERT spent ~0.1 ms of Python per row: 49 s for 460,000 records).
            bulk_insert(self.session, Intervention.__table__, new)
            self.ctx.report.inserted += len(new)


def import_file(session: Session, *, path: str | Path, report: ImportReport) -> None:
    """Import one file of intervention records into `session` (flushes, never commits)."""
    p = Path(path)
    source = open_table(p)
    ctx = FileImport(
        session=session,
        kind=KIND,
        file=p.name,
        report=report,
        regions=RegionResolver(),
        messages=MESSAGES,
    )
    first_issue = len(report.issues)
    InterventionsImport(ctx, source).run()
    session.flush()
    report.issues[first_issue:] = sorted(
        report.issues[first_issue:], key=lambda i: i.row
    )
    if p.name not in report.files:
        report.files.append(p.name)


def run_import(engine: Engine, *, paths: Sequence[str | Path]) -> ImportReport:
    """Each file in its own transaction; an unreadable file is listed under `failed_files`."""
    report = ImportReport(kind=KIND)
    failed: list[dict[str, str]] = []
    for path in paths:
        part = ImportReport(kind=KIND)
        try:
            with write_transaction(engine) as session:
                import_file(session, path=path, report=part)
        except ImportFileError as exc:
            failed.append(
                {
                    "file": str(path),
                    "error": exc.message,
                    **(
                        {"said": dumps([exc.said])}
                        if isinstance(exc.said, Message)
                        else {}
                    ),
                }
            )
            continue
        merge_report(report, part)
    report.extra["failed_files"] = failed
    return report
