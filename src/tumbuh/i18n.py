"""Every word a user sees, in Bahasa Indonesia (the default) or English: one catalogue.

The catalogue is gettext: ``tumbuh/locale/<lang>/LC_MESSAGES/tumbuh.po``, what translators edit
(Poedit, Weblate). A msgid is a symbolic key (``nav.home``, ``signal.kek``), its msgstr the text,
with ``{name}`` fields the code fills in. The files are read with Babel on first use (a few
milliseconds), so importing this module costs nothing. A missing key falls back to Indonesian,
then to the key itself, so a page never breaks.

Numbers and dates are formatted with Babel's CLDR data (locale ``id_ID`` or ``en``): decimal
comma and dot thousands in Indonesian (12,5 kg; 1.234.567), 18 November 2025 in both.
This module sits at the bottom of the stack (beside ``config`` and ``errors``): the domains
keep codes and parameters, and whoever shows them (web, CLI, reports) renders them here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "WITA",
    "Lang",
    "catalogue",
    "format_date",
    "format_datetime",
    "format_number",
    "translate",
]

Lang = Literal["id", "en"]
LANGUAGES: tuple[Lang, ...] = ("id", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "tumbuh"
# Kalimantan Timur keeps Waktu Indonesia Tengah, UTC+8, with no daylight saving.
WITA = dt.timezone(dt.timedelta(hours=8), "WITA")
# Babel locale of each language: Indonesian as written in Indonesia.
BABEL_LOCALE: dict[Lang, str] = {"id": "id_ID", "en": "en"}


@functools.cache
def catalogue(lang: Lang) -> Mapping[str, str]:
    """``{key: text}`` of one language, read from its ``.po`` once per process."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        messages = read_po(f, locale=BABEL_LOCALE.get(lang, lang), domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in messages
        if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
    }


def translate(key: str, lang: str = "id", **values: object) -> str:
    """The text of `key` in `lang` (falls back to Indonesian, then the key), formatted with values."""
    own = catalogue(lang) if lang in LANGUAGES else {}  # type: ignore[arg-type]
    text = own.get(key) or catalogue("id").get(key) or key
    return text.format(**values) if values else text


def format_number(
    value: float | int | None, decimals: int = 1, lang: str = "id"
) -> str:
    """12.5 → '12,5' (id) or '12.5' (en); thousands with '.' (id) or ',' (en); None/NaN → '–'."""
    if value is None or value != value:  # NaN
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


_MONTHS: dict[str, tuple[str, ...]] = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
        "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def format_date(value: dt.date | dt.datetime | None, lang: str = "id") -> str:
    """18 November 2025 (id) or 18 November 2025 (en, same order); None → '–'."""
    if value is None:
        return "–"
    months = _MONTHS.get(lang, _MONTHS["id"])
    return f"{value.day} {months[value.month - 1]} {value.year}"


def format_datetime(value: dt.datetime | None, lang: str = "id") -> str:
    """Local Kaltim time: 18 November 2025 14.05 WITA (id writes hours.minutes, per PUEBI)."""
    if value is None:
        return "–"
    if (
        value.tzinfo is None
    ):  # SQLite hands back naive datetimes; they are stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(WITA)
    sep = "." if lang == "id" else ":"
    return f"{format_date(local, lang)} {local.hour:02d}{sep}{local.minute:02d} WITA"
