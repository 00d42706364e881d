"""One error hierarchy, rendered per channel (JSON for the API, HTML for pages, stderr for the CLI)."""

from __future__ import annotations


class TumbuhError(Exception):
    """An expected failure with a stable code, a message for people and an HTTP status hint."""

    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        key: str | None = None,
        values: dict[str, object] | None = None,
        said: object | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        # A catalogue key (and its fields) that says the message in any language; without
        # one, `message` (English) is all there is (`tumbuh.i18n.error_text` says it).
        self.key = key
        self.values = dict(values or {})
        # Or a whole `tumbuh.i18n.Message` (a key whose values are messages themselves,
        # e.g. "FILE: the reason"), rendered in the reader's language.
        self.said = said


class NotFound(TumbuhError):
    code = "not_found"
    status = 404


class Forbidden(TumbuhError):
    code = "forbidden"
    status = 403


class Unauthorized(TumbuhError):
    code = "unauthorized"
    status = 401


class Conflict(TumbuhError):
    code = "conflict"
    status = 409


class InvalidInput(TumbuhError):
    code = "invalid_input"
    status = 422


class ImportFileError(TumbuhError):
    """A whole file cannot be read (row-level problems are RowIssues, not exceptions)."""

    code = "unreadable_file"
    status = 422
