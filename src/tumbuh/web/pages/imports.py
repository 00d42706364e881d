"""Imports page: upload a file and import it in the request, read its report, list the
quarantined rows with their issues, fix a row's cells and re-import it.

Imports write the whole province's register (a file is not limited to one region) and the
quarantined rows show raw cells (full NIK, names) to be fixed, so only province-wide roles
that see personal data and full NIKs (the data managers: today the province admin) use it.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.accounts.roles import policy
from tumbuh.errors import Forbidden, InvalidInput, NotFound
from tumbuh.imports.service import KINDS, run_import
from tumbuh.register import read as register_read
from tumbuh.tabular.issues import ImportReport
from tumbuh.web import cache, figures
from tumbuh.web.deps import (
    DbDep,
    EngineDep,
    LangDep,
    PageUser,
    RecordId,
    client_ip,
)
from tumbuh.web.templating import render

router = APIRouter()
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx", ".xls", ".parquet", ".txt")
QUARANTINE_PAGE = 100


def require_data_manager(user: User) -> None:
    """Province-wide roles that see personal data and full NIKs run imports."""
    rules = policy(user.role)
    if not (rules.personal_data and rules.full_nik) or "." in user.region_code:
        raise Forbidden(
            "imports and quarantined rows are for province data managers",
            code="forbidden",
        )


def _after_import() -> None:
    cache.clear_cache()
    figures.clear_routine_cache()


def _page(
    request: Request,
    db: DbDep,
    lang: LangDep,
    *,
    report: ImportReport | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = register_read.quarantined_rows(db, limit=QUARANTINE_PAGE)
    return render(
        request,
        "imports/imports.html",
        {
            "kinds": KINDS,
            "report": report,
            "quarantine": rows,
            "message": message,
            "request_fixed": request.query_params.get("fixed") == "1",
        },
        lang=lang,
        status_code=status_code,
    )


@router.get("/imports")
def imports_page(
    request: Request, user: PageUser, db: DbDep, lang: LangDep
) -> Response:
    require_data_manager(user)
    accounts.record(
        db, actor=user, action="view", object_type="quarantine", region_code=user.region_code,
        ip=client_ip(request),
    )  # fmt: skip
    return _page(request, db, lang)


@router.post("/imports")
def upload(
    request: Request,
    user: PageUser,
    db: DbDep,
    engine: EngineDep,
    lang: LangDep,
    kind: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Import the uploaded file now (its own transaction) and show the report."""
    require_data_manager(user)
    if kind not in KINDS:
        raise InvalidInput(f"unknown import kind {kind!r}; expected one of {KINDS}")
    name = Path(file.filename or "upload.csv").name
    if not name.lower().endswith(SUFFIXES):
        raise InvalidInput(
            f"{name}: expected a .csv, .xlsx or .parquet file", code="invalid_input"
        )
    db.commit()  # release the read transaction before the import takes the write lock
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        size = 0
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise InvalidInput(
                        f"{name}: larger than {MAX_UPLOAD_BYTES >> 20} MB"
                    )
                out.write(chunk)
        report = run_import(engine, kind=kind, paths=[path])
    _after_import()
    accounts.record(
        db, actor=user, action="import", object_type=kind, region_code=user.region_code,
        ip=client_ip(request),
        detail=f"{name}: read {report.read}, inserted {report.inserted}, rejected {report.rejected}",
    )  # fmt: skip
    return _page(request, db, lang, report=report)


@router.post("/imports/quarantine/{row_id}")
async def fix_row(
    request: Request,
    row_id: RecordId,
    user: PageUser,
    db: DbDep,
    engine: EngineDep,
    lang: LangDep,
) -> Response:
    """Replace the quarantined row's cells with the form's `cell:<column>` fields and import it
    again as a one-row file of the same name; an accepted row leaves the quarantine."""
    require_data_manager(user)
    row = register_read.quarantined_row(db, row_id)
    if row is None:
        raise NotFound(f"quarantined row {row_id} does not exist")
    form = await request.form()
    cells = {
        col: str(form.get(f"cell:{col}", "" if value is None else value))
        for col, value in row.raw.items()
    }
    db.commit()  # release the read transaction before the import takes the write lock
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(row.file).stem + ".csv")
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(cells))
            writer.writeheader()
            writer.writerow(cells)
        report = run_import(engine, kind=row.kind, paths=[path])
    _after_import()
    accounts.record(
        db, actor=user, action="import", object_type="quarantine", object_id=str(row_id),
        region_code=user.region_code, ip=client_ip(request),
        detail=f"re-import: inserted {report.inserted}, rejected {report.rejected}",
    )  # fmt: skip
    if report.rejected == 0 and not report.extra.get("failed_files"):
        # Imported: the old entry goes even when the fix changed the row's identity cells.
        register_read.drop_quarantined(db, row_id)
        return RedirectResponse("/imports?fixed=1", status_code=303)
    return _page(request, db, lang, report=report, status_code=422)
