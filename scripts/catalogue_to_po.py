"""Carry catalogue entries written as Python dicts into the gettext catalogues.

The catalogues translators edit are ``src/tumbuh/locale/<lang>/LC_MESSAGES/tumbuh.po``
(msgid = the symbolic key, e.g. ``nav.home``; msgstr = the text). Entries used to be Python
dicts (``web/i18n.py``, ``web/i18n_village.py``, ``reports/rakor/words.py``); a branch still
adding keys there is merged by re-running this script on its files:

    python scripts/catalogue_to_po.py                     # the default source files, if present
    python scripts/catalogue_to_po.py --rev main          # the same files as committed on main
    python scripts/catalogue_to_po.py path/to/file.py     # any file holding such dicts

Two shapes are read, by parsing (never importing) the source: ``{"id": {key: text},
"en": {key: text}}`` anywhere in the file, and ``{key: (text_id, text_en)}``. Keys missing
from the ``.po`` are added; keys whose text differs are listed and, with ``--update``, take
the Python text (the ``.po`` wins by default: a translator may have edited it). Every run
also refreshes, in the English file, the comment quoting the Indonesian text for each key,
and marks entries with ``{name}`` fields ``python-brace-format`` (Poedit and Weblate check
that a translation keeps them). Re-running is harmless: nothing changes when nothing is new.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "src" / "tumbuh" / "locale"
LANGS = ("id", "en")
SOURCES = (
    "src/tumbuh/web/i18n.py",
    "src/tumbuh/web/i18n_village.py",
    "src/tumbuh/reports/rakor/words.py",
)
# The meeting pack's words had their own namespace: their keys get this prefix.
PREFIXES = {"src/tumbuh/reports/rakor/words.py": "rakor."}
_FIELD = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}")
_SOURCE_NOTE = "Bahasa Indonesia: "


def _text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def entries_from_source(
    source: str, origin: str, prefix: str = ""
) -> dict[str, dict[str, str]]:
    """``{lang: {prefix + key: text}}`` from every catalogue-shaped dict literal in ``source``."""
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    for node in ast.walk(ast.parse(source, filename=origin)):
        if not isinstance(node, ast.Dict) or not node.keys:
            continue
        keys = [_text(k) if k is not None else None for k in node.keys]
        if set(keys) <= set(LANGS) and all(
            isinstance(v, ast.Dict) for v in node.values
        ):
            for lang, inner in zip(keys, node.values, strict=True):
                assert lang is not None
                assert isinstance(inner, ast.Dict)
                for k, v in zip(inner.keys, inner.values, strict=True):
                    key, text = (_text(k) if k else None), _text(v)
                    if key is None or text is None:
                        print(f"{origin}: skipped a non-literal entry", file=sys.stderr)
                        continue
                    out[lang][prefix + key] = text
        elif all(
            key is not None
            and isinstance(v, ast.Tuple)
            and len(v.elts) == 2
            and all(_text(e) is not None for e in v.elts)
            for key, v in zip(keys, node.values, strict=True)
        ):
            for key, v in zip(keys, node.values, strict=True):
                assert key is not None
                assert isinstance(v, ast.Tuple)
                for lang, elt in zip(LANGS, v.elts, strict=True):
                    out[lang][prefix + key] = _text(elt) or ""
    return out


def _read_source(path: str, rev: str | None) -> str | None:
    if rev is None:
        file = Path(path) if Path(path).is_absolute() else ROOT / path
        return file.read_text(encoding="utf-8") if file.exists() else None
    done = subprocess.run(
        ["git", "show", f"{rev}:{path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "tumbuh.po"


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if path.exists():
        with path.open("rb") as f:
            return read_po(f, locale=lang, domain="tumbuh")
    return Catalog(
        locale=lang,
        domain="tumbuh",
        project="tumbuh",
        version="0.1.0",
        copyright_holder="tumbuh",
        fuzzy=False,
        header_comment=(
            f"# tumbuh's words in {'Bahasa Indonesia' if lang == 'id' else 'English'}.\n"
            '# msgid is the symbolic key the code uses (t("nav.home")); msgstr is the text.\n'
            "# {name} fields are filled in by the code and must be kept."
        ),
        language_team="tumbuh",
        last_translator="tumbuh",
    )


def save(lang: str, catalog: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=88, omit_header=False)


def merge(
    found: dict[str, dict[str, str]], *, update: bool
) -> tuple[dict[str, int], list[str]]:
    """Add/update entries in both catalogues; return counts added and keys that differ."""
    added: dict[str, int] = {}
    differ: list[str] = []
    catalogs = {lang: load(lang) for lang in LANGS}
    for lang in LANGS:
        catalog = catalogs[lang]
        added[lang] = 0
        for key, text in found[lang].items():
            message = catalog.get(key)
            if message is None:
                catalog.add(key, text)
                added[lang] += 1
            elif message.string != text:
                differ.append(f"{lang} {key}: po {message.string!r} / py {text!r}")
                if update:
                    message.string = text
    # A plural entry (msgid_plural) is keyed by its msgid and quoted by its last form.
    source = {_entry_key(m.id): _entry_text(m.string) for m in catalogs["id"] if m.id}
    for lang in LANGS:
        for message in catalogs[lang]:
            if not message.id:
                continue
            fields = _FIELD.search(_entry_text(message.string)) or _FIELD.search(
                source.get(_entry_key(message.id), "")
            )
            if fields:
                message.flags.add("python-brace-format")
            else:
                message.flags.discard("python-brace-format")
            if lang != "id":
                # A long note is read back as several comment lines: drop them all.
                starts = [
                    i
                    for i, c in enumerate(message.auto_comments)
                    if c.startswith(_SOURCE_NOTE)
                ]
                if starts:
                    del message.auto_comments[starts[0] :]
                if _entry_key(message.id) in source:
                    note = source[_entry_key(message.id)]
                    message.auto_comments.append(_SOURCE_NOTE + note)
        save(lang, catalogs[lang])
    return added, differ


def _entry_key(msgid: object) -> str:
    """The key of an entry: its msgid (the first of a plural entry's pair)."""
    return str(msgid[0]) if isinstance(msgid, tuple | list) else str(msgid)


def _entry_text(msgstr: object) -> str:
    """An entry's text: its msgstr (the last form of a plural entry)."""
    return str(msgstr[-1]) if isinstance(msgstr, tuple | list) else str(msgstr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help=f"source files (default: {SOURCES})")
    parser.add_argument(
        "--rev", help="read the files as committed at this git revision"
    )
    parser.add_argument(
        "--update", action="store_true", help="Python text wins over the .po"
    )
    args = parser.parse_args(argv)
    found: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    for path in args.files or SOURCES:
        source = _read_source(path, args.rev)
        if source is None:
            continue
        for lang, texts in entries_from_source(
            source, path, PREFIXES.get(path, "")
        ).items():
            found[lang].update(texts)
    one_sided = sorted(set(found["id"]) ^ set(found["en"]))
    added, differ = merge(found, update=args.update)
    print(
        f"read {len(found['id'])} id / {len(found['en'])} en entries; "
        f"added {added['id']} id / {added['en']} en"
    )
    for line in differ:
        print(("updated " if args.update else "differs ") + line)
    for key in one_sided:
        print(f"only in one language: {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
