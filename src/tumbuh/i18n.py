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
import decimal
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from babel import Locale
    from babel.numbers import NumberPattern

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "WITA",
    "Lang",
    "Message",
    "catalogue",
    "dumps",
    "error_text",
    "format_date",
    "format_datetime",
    "format_number",
    "format_percent",
    "loads",
    "localise",
    "neutral",
    "render_all",
    "translate",
    "translate_plural",
]

Lang = Literal["id", "en"]
LANGUAGES: tuple[Lang, ...] = ("id", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "tumbuh"
# Kalimantan Timur keeps Waktu Indonesia Tengah, UTC+8, with no daylight saving.
WITA = dt.timezone(dt.timedelta(hours=8), "WITA")
# Babel locale of each language: Indonesian as written in Indonesia.
BABEL_LOCALE: dict[str, str] = {"id": "id_ID", "en": "en"}


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


@functools.cache
def _plural_forms(lang: Lang) -> tuple[Mapping[str, tuple[str, ...]], Any]:
    """``{key: (form, ...)}`` of the plural entries (``msgid_plural``) of one language, and
    the function of its ``Plural-Forms`` header that picks a form for a count."""
    import gettext

    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}, gettext.c2py("0")
    with path.open("rb") as f:
        messages = read_po(f, locale=BABEL_LOCALE.get(lang, lang), domain=DOMAIN)
    forms = {
        str(m.id[0]): tuple(str(s) for s in m.string)
        for m in messages
        if isinstance(m.id, tuple | list) and m.string and all(m.string)
    }
    return forms, gettext.c2py(messages.plural_expr)


def translate_plural(
    key: str, count: int, lang: str = "id", /, **values: object
) -> str:
    """The text of plural entry `key` for ``count`` in `lang` (gettext's
    ``msgid_plural``/``msgstr[i]``, the form chosen by the file's Plural-Forms: "1 family",
    "2 families"; Indonesian has one form). ``{n}`` is ``values["n"]`` (the count as the
    caller formatted it), else the plain number. Falls back to Indonesian, then to
    the key."""
    values.setdefault("n", count)
    for candidate in (lang, "id"):
        if candidate not in LANGUAGES:
            continue
        forms, choose = _plural_forms(candidate)  # type: ignore[arg-type]
        if key in forms:
            form = int(choose(abs(int(count))))
            text = forms[key][min(form, len(forms[key]) - 1)]
            return text.format(**values)
    return key


def error_text(error: object, lang: str) -> str:
    """An expected error's message for people in ``lang``: its catalogue message
    (``said``) or key and values (``TumbuhError(..., key=..., values=...)``) when it has
    them, else its English
    ``message`` (read by attribute: this module and ``tumbuh.errors`` import neither)."""
    said = getattr(error, "said", None)
    if isinstance(said, Message):
        return said.render(lang)
    key = getattr(error, "key", None)
    if not key:
        return str(getattr(error, "message", error))
    return translate(str(key), lang, **dict(getattr(error, "values", None) or {}))


def translate(key: str, lang: str = "id", **values: object) -> str:
    """The text of `key` in `lang` (falls back to Indonesian, then the key), formatted with values."""
    own = catalogue(lang) if lang in LANGUAGES else {}  # type: ignore[arg-type]
    text = own.get(key) or catalogue("id").get(key) or key
    return text.format(**values) if values else text


@functools.cache
def _locale(lang: str) -> Locale:
    from babel import Locale

    return Locale.parse(BABEL_LOCALE.get(lang, "id_ID"))


@functools.cache
def _pattern(
    decimals: int, min_decimals: int, signed: bool, percent: bool
) -> NumberPattern:
    from babel.numbers import parse_pattern

    body = "#,##0"
    if decimals > 0:
        body += "." + "0" * min_decimals + "#" * (decimals - min_decimals)
    if percent:
        body += "\u00a0%"  # 13,4 % (a space before the sign, kept on one line)
    return parse_pattern(f"+{body};-{body}" if signed else body)


def format_number(
    value: float | int | decimal.Decimal | None,
    decimals: int = 1,
    lang: str = "id",
    *,
    min_decimals: int | None = None,
    signed: bool = False,
) -> str:
    """12.5 → '12,5' (id) or '12.5' (en), thousands '.' (id) or ',' (en); None/NaN → '–'.

    ``decimals`` fraction digits, rounded half up; with ``min_decimals`` trailing zeros
    beyond it are dropped (``decimals=2, min_decimals=1``: 1.50 → '1,5', 1.25 → '1,25').
    ``signed`` writes '+' before positive values. Babel's CLDR symbols of ``id_ID``/``en``.
    """
    if value is None or value != value:  # NaN
        return "–"
    least = decimals if min_decimals is None else min(min_decimals, decimals)
    pattern = _pattern(decimals, least, signed, False)
    with decimal.localcontext(rounding=decimal.ROUND_HALF_UP):
        return str(pattern.apply(value, _locale(lang)))


def format_percent(
    value_pct: float | None,
    decimals: int = 1,
    lang: str = "id",
    *,
    min_decimals: int | None = None,
) -> str:
    """A percentage given in points: 13.4 → '13,4 %' (id) or '13.4 %' (en); None/NaN → '–'."""
    if value_pct is None or value_pct != value_pct:
        return "–"
    least = decimals if min_decimals is None else min(min_decimals, decimals)
    pattern = _pattern(decimals, least, False, True)
    # Babel multiplies a percent pattern's value by 100: hand it the fraction, exactly.
    fraction = decimal.Decimal(str(value_pct)) / 100
    with decimal.localcontext(rounding=decimal.ROUND_HALF_UP):
        return str(pattern.apply(fraction, _locale(lang))).replace("\u00a0", " ")


def format_date(value: dt.date | dt.datetime | None, lang: str = "id") -> str:
    """18 November 2025 (id: Babel's month names of id_ID) or 18 November 2025 (en); None → '–'."""
    if value is None:
        return "–"
    from babel.dates import format_date as babel_date

    day = value.date() if isinstance(value, dt.datetime) else value
    return str(babel_date(day, "d MMMM y", locale=_locale(lang)))


def format_datetime(value: dt.datetime | None, lang: str = "id") -> str:
    """Local Kaltim time: 18 November 2025 14.05 WITA (id writes hours.minutes, per PUEBI)."""
    if value is None:
        return "–"
    from babel.dates import format_datetime as babel_datetime

    if (
        value.tzinfo is None
    ):  # SQLite hands back naive datetimes; they are stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    time = "HH.mm" if lang == "id" else "HH:mm"
    local = value.astimezone(WITA)
    text = babel_datetime(local, f"d MMMM y {time}", tzinfo=WITA, locale=_locale(lang))
    return f"{text} WITA"


# --------------------------------------------------------------------- messages
# A domain object keeps what to say, not how: a catalogue key and its parameters in a
# language-neutral form (numbers as decimal text "22.8" / "+100", dates as ISO "2025-03-01",
# anything else verbatim). It is rendered in the reader's language at display time, numbers
# and dates through Babel. Stored, a list of messages is JSON (see `dumps` / `loads`).
#
# Two refinements keep sentences whole for translators:
# - a parameter named ``year``, ``period`` or ``code`` (or ending in ``_year``, ``_period``,
#   ``_code``) is an identifier, shown as given: 2024 stays 2024, not 2.024, and a region
#   code 64.71 is not a decimal;
# - a parameter may be a tuple of messages, a list the catalogue text lays out: ``{history}``
#   joins them with ", ", ``{parts:semicolon}`` with "; ", ``{values:and}`` as the language
#   says a list (Babel: "a, b dan c", "a, b, and c").

_NUMBER = re.compile(r"[+-]?\d+(?:\.(\d+))?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_VERBATIM = re.compile(r"(?:^|_)(?:year|period|code)$")


def neutral(
    value: float | int | decimal.Decimal | None,
    decimals: int = 0,
    *,
    signed: bool = False,
    min_decimals: int | None = None,
) -> str:
    """A number as language-neutral decimal text with ``decimals`` places (22.8, +100),
    rounded half up on its decimal text as `format_number` does; with ``min_decimals``
    trailing zeros beyond it are dropped (19.80 -> 19.8); None/NaN -> '–'."""
    if value is None or value != value:
        return "–"
    exact = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
    text = f"{exact.quantize(decimal.Decimal(1).scaleb(-decimals), decimal.ROUND_HALF_UP):f}"
    if min_decimals is not None and decimals > min_decimals:
        whole, _, fraction = text.partition(".")
        fraction = fraction.rstrip("0").ljust(min_decimals, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    if text.startswith("-") and text.strip("-0.") == "":
        text = text[1:]  # -0.0 -> 0.0
    return f"+{text}" if signed and not text.startswith("-") else text


def localise(value: str, lang: str) -> str:
    """A neutral parameter in ``lang``: '22.8' -> '22,8' (id), '2025-03-01' -> '1 Maret 2025'."""
    number = _NUMBER.fullmatch(value)
    if number:
        decimals = len(number.group(1) or "")
        return format_number(
            decimal.Decimal(value), decimals, lang, signed=value.startswith("+")
        )
    if _ISO_DATE.fullmatch(value):
        return format_date(dt.date.fromisoformat(value), lang)
    return value


class _Listed:
    """Rendered list items; ``format`` lays them out (spec ``and``: the language's list)."""

    __slots__ = ("items", "lang")

    def __init__(self, items: list[str], lang: str) -> None:
        self.items = items
        self.lang = lang

    def __format__(self, spec: str) -> str:
        if spec == "and":
            from babel.lists import format_list

            return str(format_list(self.items, locale=_locale(self.lang)))
        return ("; " if spec == "semicolon" else ", ").join(self.items)

    def __str__(self) -> str:
        return format(self, "")


@dataclass(frozen=True, slots=True)
class Message:
    """A catalogue key and its neutral parameters: a sentence to be said in any language."""

    key: str
    values: tuple[tuple[str, str | tuple[Message, ...]], ...] = ()

    @classmethod
    def of(cls, key: str, **values: str | tuple[Message, ...]) -> Message:
        return cls(key, tuple(sorted(values.items())))

    def render(self, lang: str) -> str:
        values = {k: _render_value(k, v, lang) for k, v in self.values}
        count = _count_of(self, lang)
        if count is not None:
            return translate_plural(self.key, count, lang, **values)
        return translate(self.key, lang, **values)


#: The parameter that carries the count of a plural message ("1 row", "2 rows").
_COUNT_PARAMS = ("n", "rows")


def _count_of(message: Message, lang: str) -> int | None:
    """The count of `message` when its key is a plural entry (``msgid_plural``) in `lang`
    or Indonesian, read from its ``n`` or ``rows`` parameter; else None."""
    plural = any(
        message.key in _plural_forms(c)[0]  # type: ignore[arg-type]
        for c in (lang, "id")
        if c in LANGUAGES
    )
    if not plural:
        return None
    given = dict(message.values)
    for name in _COUNT_PARAMS:
        value = given.get(name)
        if isinstance(value, str) and value.isdigit():  # stored unformatted: "1234"
            return int(value)
    return None


def _render_value(name: str, value: str | tuple[Message, ...], lang: str) -> object:
    if isinstance(value, tuple):
        return _Listed([m.render(lang) for m in value], lang)
    return value if _VERBATIM.search(name) else localise(value, lang)


def render_all(messages: Iterable[Message], lang: str, sep: str = "; ") -> str:
    """Messages in ``lang``, joined by ``sep``."""
    return sep.join(m.render(lang) for m in messages)


def _plain(message: Message) -> list[object]:
    return [
        message.key,
        {
            k: [_plain(m) for m in v] if isinstance(v, tuple) else v
            for k, v in message.values
        },
    ]


def _message(row: list[Any]) -> Message:
    key, values = row
    return Message.of(
        str(key),
        **{
            str(k): tuple(_message(m) for m in v) if isinstance(v, list) else str(v)
            for k, v in values.items()
        },
    )


def dumps(messages: Iterable[Message]) -> str:
    """Messages as JSON text for a database column: ``[["key", {"name": "22.8"}], ...]``
    (a list parameter as a list of such pairs); no message gives ''."""
    rows = [_plain(m) for m in messages]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")) if rows else ""


def loads(text: str | None) -> list[Message] | None:
    """Messages stored by `dumps` ('' gives []); None when ``text`` is not such JSON (a
    sentence stored by an earlier version: show it as it is)."""
    if not text:
        return []
    if not text.startswith("[["):
        return None
    try:
        rows = json.loads(text)
        return [_message(row) for row in rows]
    except (ValueError, TypeError, AttributeError):
        return None
