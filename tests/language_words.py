"""Tell-tale words of each language and raw codes: the language tests' shared look
(tests/web/test_language.py for the pages, tests/surveillance/test_cli.py for the CLI)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# Words only Indonesian uses: a sign of an untranslated text on an English page.
INDONESIAN = {
    "dan", "yang", "anak", "keluarga", "ya", "tidak", "belum", "sudah", "dengan", "untuk",
    "dari", "bulan", "tahun", "ibu", "hamil", "kepala", "istri", "naik", "turun", "unduh",
    "simpan", "beranda", "keluar", "kembali", "alasan", "tindakan", "kunjungi", "rujuk",
    "sumur", "jamban", "minum", "layak", "umur", "pengguna", "wilayah", "catatan",
    "tanggal", "diberikan", "laki-laki", "perempuan", "berisiko", "sasaran", "cakupan",
}  # fmt: skip
# Words only English uses: a sign of an untranslated text on an Indonesian page.
ENGLISH = {
    "the", "and", "of", "with", "children", "child", "family", "families", "yes",
    "not", "download", "save", "boy", "girl", "below", "rising", "falling", "measured",
    "weight", "height", "mother", "visit", "missing", "received", "given", "planned",
    "refused", "users", "coverage", "reasons", "next", "action", "none", "unknown",
}  # fmt: skip
# A lower-case word with an underscore is a code (bottled_refill, own_septic,
# adolescent_girl, pantau_tumbuh), never a word a reader should see.
RAW_CODE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)*")


def offending(text: str, lang: str, names: list[str]) -> list[str]:
    """Words of the other language and raw codes in ``text`` (names of people and places
    taken out first)."""
    for name in names:
        text = text.replace(name, " ")
    found = sorted(set(RAW_CODE.findall(text)))
    other = INDONESIAN if lang == "en" else ENGLISH
    found += sorted({w for w in WORD.findall(text) if w.lower() in other})
    return found


def finished_import_job(user_id: int) -> Any:
    """One finished families import job (3 rows read), so that the pages and commands that
    list import jobs have something to show in both languages."""
    from tumbuh.imports.models import ImportJob

    return ImportJob(
        kind="families",
        file_name="kk-2025.csv",
        stored_path="/nonexistent/kk-2025.csv",
        status="done",
        user_id=user_id,
        rows_read=3,
        rows_total=3,
        inserted=2,
        updated=1,
        rejected=0,
        created_at=dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC),
        finished_at=dt.datetime(2025, 3, 1, 2, 1, tzinfo=dt.UTC),
    )
