"""The web's view of the one catalogue (`tumbuh.i18n`), and the choice of language.

The words are in ``src/tumbuh/locale/<lang>/LC_MESSAGES/tumbuh.po`` (gettext, edited with
Poedit or Weblate); add a key to both files. ``scripts/catalogue_to_po.py`` carries entries
still written as Python dicts (a branch from before the move) into them.
"""

from __future__ import annotations

from tumbuh.i18n import (
    LANGUAGES,
    WITA,
    Lang,
    catalogue,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    render_all,
    translate,
)

__all__ = [
    "LANGUAGES",
    "WITA",
    "Lang",
    "catalogue",
    "format_date",
    "format_datetime",
    "format_number",
    "format_percent",
    "pick_language",
    "render_all",
    "translate",
]


def pick_language(query: str | None, cookie: str | None, default: Lang = "id") -> Lang:
    """?lang= wins, then the cookie, then the default; unknown values are ignored."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return default
