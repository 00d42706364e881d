"""The meeting pack's words: the one catalogue's ``rakor.*`` keys (``tumbuh.i18n``).

Domain objects keep codes (status ``rising``, sector ``Dinkes``); this module names them.
"""

from __future__ import annotations

from typing import Literal

from tumbuh.i18n import format_number, format_percent, translate

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")


def word(key: str, lang: Lang, **values: object) -> str:
    """The text of `key` (``rakor.<key>`` in the catalogue) in `lang`, fields filled in."""
    return translate(f"rakor.{key}", lang, **values)


def number(value: float | None, lang: Lang, digits: int = 1) -> str:
    """1234.5 -> '1.234,5' (id) or '1,234.5' (en); None -> '-'."""
    return "-" if value is None else format_number(value, digits, lang)


def percent(value: float | None, lang: Lang) -> str:
    return "-" if value is None else format_percent(value, 1, lang)
