"""scripts/catalogue_to_po.py: Python dict catalogues carried into the gettext files."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.pofile import read_po

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "catalogue_to_po.py"

SOURCE = """
CATALOGUE = {"id": {"a.one": "satu", "a.n": "{n} anak"}, "en": {"a.one": "one", "a.n": "{n} children"}}
WORDS = {"pack.title": ("Bahan rapat", "Meeting pack")}
OTHER = {"x": 1}
"""


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalogue_to_po", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "LOCALE_DIR", tmp_path / "locale")
    return module


def _po(script: ModuleType, lang: str) -> dict[str, str]:
    with script.po_path(lang).open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def test_both_shapes_are_read(script: ModuleType) -> None:
    found = script.entries_from_source(SOURCE, "x.py")
    assert found["id"] == {
        "a.one": "satu",
        "a.n": "{n} anak",
        "pack.title": "Bahan rapat",
    }
    assert found["en"]["pack.title"] == "Meeting pack"


def test_rerun_adds_new_keys_and_keeps_edited_texts(script: ModuleType) -> None:
    found = script.entries_from_source(SOURCE, "x.py")
    added, differ = script.merge(found, update=False)
    assert added == {"id": 3, "en": 3}
    first = script.po_path("en").read_bytes()
    assert script.merge(found, update=False) == ({"id": 0, "en": 0}, [])
    assert script.po_path("en").read_bytes() == first  # re-running changes nothing

    # A translator edits the .po; a branch adds a key to the dicts.
    script.po_path("en").write_text(
        script.po_path("en").read_text().replace('"one"', '"one (edited)"')
    )
    found["id"]["a.two"], found["en"]["a.two"] = "dua", "two"
    added, differ = script.merge(found, update=False)
    assert added == {"id": 1, "en": 1}
    assert differ == ["en a.one: po 'one (edited)' / py 'one'"]
    assert _po(script, "en")["a.one"] == "one (edited)"
    assert _po(script, "en")["a.two"] == "two"
    script.merge(found, update=True)
    assert _po(script, "en")["a.one"] == "one"


def test_fields_are_flagged_for_translators(script: ModuleType) -> None:
    script.merge(script.entries_from_source(SOURCE, "x.py"), update=False)
    text = script.po_path("en").read_text()
    # (Babel drops the flag on reading, judging by the symbolic msgid: check the file.)
    assert '#. Bahasa Indonesia: {n} anak\n#, python-brace-format\nmsgid "a.n"' in text
    assert '#, python-brace-format\nmsgid "a.one"' not in text


def test_a_long_indonesian_note_is_not_repeated_on_rerun(script: ModuleType) -> None:
    """A note longer than a line is written over several comment lines and read back as
    several comments: a re-run replaces them all (it used to keep the continuation lines
    and add the note again, growing the file on every run)."""
    long = " ".join(["kalimat panjang"] * 12)
    found = {"id": {"a.long": long}, "en": {"a.long": "a long sentence"}}
    script.merge(found, update=False)
    first = script.po_path("en").read_bytes()
    assert first.count(b"#. ") >= 2  # the note is wrapped
    script.merge(found, update=False)
    assert script.po_path("en").read_bytes() == first
