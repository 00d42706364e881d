"""Static files with a version in the URL: /static/v/<content hash>/css/tumbuh.css is served
with ``Cache-Control: public, max-age=31536000, immutable``, so a phone downloads each file
once per release; a changed file changes the hash, hence the URL. Templates keep calling
``url_for('static', path=...)``, which names this versioned mount."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


@cache
def static_version(directory: Path) -> str:
    """12 hex digits of the sha256 over every file's relative path and content."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class VersionedStatic(StaticFiles):
    """StaticFiles whose responses may be cached for a year (the URL carries the version)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


class PlainStatic(StaticFiles):
    """The unversioned /static/ URLs: revalidated on every use (ETag / Last-Modified)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.setdefault("Cache-Control", REVALIDATE)
        return response
