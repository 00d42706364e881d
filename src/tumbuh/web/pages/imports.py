"""Imports page: upload a file (queued as an import job, run in the background one at a
time), follow the job's progress and report, list the quarantined rows with their issues,
fix a row's cells and re-import it.

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
from tumbuh.i18n import error_text
from tumbuh.imports import jobs
from tumbuh.imports.limits import ImportLimitError, ImportLimits, check_unzipped
from tumbuh.imports.models import JobStatus
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
    SettingsDep,
    client_ip,
)
from tumbuh.web.templating import render

router = APIRouter()
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


def after_import(_job_id: int | None = None) -> None:
    """What the pages computed from the register is stale once an import went in."""
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
    limits = ImportLimits.from_settings(request.app.state.settings)
    return render(
        request,
        "imports/imports.html",
        {
            "kinds": KINDS,
            "report": report,
            "quarantine": rows,
            "jobs": jobs.recent(db),
            "limits": limits,
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
    settings: SettingsDep,
    lang: LangDep,
    kind: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Store the uploaded file and queue its import; the job's page follows its progress.
    A file over the size limits is refused here, with the file and the limit named."""
    require_data_manager(user)
    if kind not in KINDS:
        raise InvalidInput(f"unknown import kind {kind!r}; expected one of {KINDS}")
    name = Path(file.filename or "upload.csv").name
    if not name.lower().endswith(SUFFIXES):
        raise InvalidInput(
            f"{name}: expected a .csv, .xlsx or .parquet file", code="invalid_input"
        )
    limits = ImportLimits.from_settings(settings)
    try:
        stored = jobs.store_upload(
            file.file, file_name=name, folder=jobs.import_dir(settings), limits=limits
        )
        try:
            check_unzipped(stored, limits, file=name)
        except ImportLimitError:
            jobs.discard(stored)
            raise
    except ImportLimitError as exc:
        text = error_text(exc, lang)
        return _page(request, db, lang, message=text, status_code=413)
    job = jobs.enqueue(
        db, kind=kind, file_name=name, stored_path=stored, user_id=user.id
    )
    accounts.record(
        db, actor=user, action="import", object_type=kind, object_id=str(job.id),
        region_code=user.region_code, ip=client_ip(request), detail=f"{name}: queued",
    )  # fmt: skip
    db.commit()  # queued before the worker looks
    worker = getattr(request.app.state, "import_worker", None)
    if worker is not None:
        worker.wake()
    return RedirectResponse(f"/imports/jobs/{job.id}", status_code=303)


@router.get("/imports/jobs/{job_id}")
def job_page(
    request: Request, job_id: RecordId, user: PageUser, db: DbDep, lang: LangDep
) -> Response:
    """An import job: its place in the queue, its progress, then its report or why it failed.
    The page reloads itself (a meta refresh, no script) until the job is finished."""
    require_data_manager(user)
    job = jobs.get(db, job_id)
    if job is None:
        raise NotFound(f"import job {job_id} does not exist")
    active = job.status in (JobStatus.queued, JobStatus.running)
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "active": active,
            "ahead": jobs.waiting_before(db, job)
            if job.status == JobStatus.queued
            else 0,
            "message": jobs.job_message(job, lang),
        },
        lang=lang,
    )


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
        # One row: not queued behind a whole file (its transaction waits at most for
        # one chunk of a running import).
        report = run_import(engine, kind=row.kind, paths=[path], lock=False)
    after_import()
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
