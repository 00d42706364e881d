"""Region master (Kemendagri codes for all of Indonesia), BPS crosswalk and name resolution."""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from rapidfuzz import fuzz, process
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from tumbuh.register.models import Region

REGIONS_CSV = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "regions"
    / "wilayah_kemendagri_2025.csv"
)

# BPS ↔ Kemendagri codes for the kab/kota of Kalimantan Timur. Kemendagri codes come from
# Kepmendagri 300.2.2-2138/2025 (data/regions); BPS codes follow official BPS numbering
# (facts.md §0, §6a). Only Kutai Barat (BPS 6402 = Kemendagri 64.07) and Samarinda
# (6472 = 64.72) are stated in facts.md; the others were derived from the BPS numbering
# given in the project brief and are UNVERIFIED against a BPS master file.
KALTIM_BPS_TO_KEMENDAGRI: dict[str, str] = {
    "6401": "64.01",  # Paser (unverified)
    "6402": "64.07",  # Kutai Barat (facts.md §0)
    "6403": "64.02",  # Kutai Kartanegara (unverified)
    "6404": "64.08",  # Kutai Timur (unverified)
    "6405": "64.03",  # Berau (unverified)
    "6409": "64.09",  # Penajam Paser Utara (unverified)
    "6411": "64.11",  # Mahakam Ulu (unverified)
    "6471": "64.71",  # Balikpapan (unverified)
    "6472": "64.72",  # Samarinda (facts.md §0)
    "6474": "64.74",  # Bontang (unverified)
}
KALTIM_KEMENDAGRI_TO_BPS = {v: k for k, v in KALTIM_BPS_TO_KEMENDAGRI.items()}


def bps_to_kemendagri(bps_code: str) -> str | None:
    """Kemendagri code of a Kaltim kab/kota BPS code (`6402` → `64.07`), None when unknown."""
    return KALTIM_BPS_TO_KEMENDAGRI.get(bps_code.strip().replace(".", ""))


def kemendagri_to_bps(code: str) -> str | None:
    """BPS code of a Kaltim kab/kota Kemendagri code (`64.07` → `6402`), None when unknown."""
    return KALTIM_KEMENDAGRI_TO_BPS.get(code.strip())


def parent_of(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


@functools.cache
def master_codes(path: Path = REGIONS_CSV) -> frozenset[str]:
    """Every Kemendagri code of the bundled master (province to desa), read once."""
    with path.open(encoding="utf-8", newline="") as fh:
        return frozenset(rec["kode"].strip() for rec in csv.DictReader(fh))


def load_regions(session: Session, *, path: Path = REGIONS_CSV) -> int:
    """Insert the regions of the master file that are not in the table yet; return how many."""
    existing = set(session.scalars(select(Region.code)))
    rows: list[dict[str, object]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            code = rec["kode"].strip()
            if code in existing:
                continue
            rows.append(
                {
                    "code": code,
                    "name": rec["nama"].strip(),
                    "level": int(rec["level"]),
                    "parent_code": parent_of(code),
                    "bps_code": KALTIM_KEMENDAGRI_TO_BPS.get(code),
                }
            )
    table = cast(Table, Region.__table__)  # Core executemany: no ORM bookkeeping
    for start in range(0, len(rows), 20_000):
        session.execute(insert(table), rows[start : start + 20_000])
    session.flush()
    return len(rows)


def ensure_regions(session: Session) -> None:
    """Load the master on first use (an empty regions table)."""
    if not session.scalar(select(func.count()).select_from(Region)):
        load_regions(session)


# Administrative prefixes that real exports write, or leave out, in front of names, by level.
_PREFIXES: dict[int, tuple[str, ...]] = {
    1: ("provinsi", "prov"),
    2: ("kabupaten", "kab", "kota adm", "kota"),
    3: ("kecamatan", "kec", "distrik"),
    4: ("kelurahan", "kel", "desa", "kampung", "ds", "nagari", "gampong"),
}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=262_144)
def name_key(value: str) -> str:
    """Lower-case ASCII letters and digits separated by single spaces (`KAB. KUTAI  BARAT` → `kab kutai barat`)."""
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def split_prefix(value: str, level: int) -> tuple[str | None, str]:
    """(prefix, rest) of a region name key for its level: `kota samarinda` → (`kota`, `samarinda`)."""
    key = name_key(value)
    for prefix in _PREFIXES[level]:
        if key.startswith(prefix + " "):
            return prefix, key[len(prefix) + 1 :]
    return None, key


_RESOLVERS: dict[tuple[str, int], RegionResolver] = {}


@dataclass
class RegionResolver:
    """Resolve region names within their parent, robust to case, prefixes and punctuation."""

    names: dict[str, str] = field(default_factory=dict)  # code -> name
    levels: dict[str, int] = field(default_factory=dict)
    # Children per parent as (code, name, level); their name index is built on first use.
    _rows: dict[str | None, list[tuple[str, str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _index: dict[str | None, dict[str, list[str]]] = field(default_factory=dict)
    _cache: dict[tuple[str | None, int, str], tuple[str | None, bool]] = field(
        default_factory=dict
    )
    _compact: dict[str | None, dict[str, list[str]]] = field(default_factory=dict)

    @classmethod
    def from_session(cls, session: Session) -> RegionResolver:
        """The resolver for the session's database, built once per process and region count."""
        ensure_regions(session)
        count = session.scalar(select(func.count()).select_from(Region)) or 0
        key = (session.get_bind().engine.url.render_as_string(), int(count))
        cached = _RESOLVERS.get(key)
        if cached is None:
            cached = _RESOLVERS[key] = cls.build(session)
        return cached

    @classmethod
    def build(cls, session: Session) -> RegionResolver:
        resolver = cls()
        for code, name, level, parent in session.execute(
            select(Region.code, Region.name, Region.level, Region.parent_code)
        ):
            resolver.add(code, name, level, parent)
        return resolver

    def add(self, code: str, name: str, level: int, parent: str | None) -> None:
        self.names[code] = name
        self.levels[code] = level
        self._rows[parent].append((code, name, level))
        self._index.pop(parent, None)
        self._compact.pop(parent, None)

    def children(self, parent: str | None) -> dict[str, list[str]]:
        """{name key without prefix: codes} of the regions directly under `parent`."""
        index = self._index.get(parent)
        if index is None:
            index = {}
            for code, name, level in self._rows.get(parent, ()):
                _, key = split_prefix(name, level)
                index.setdefault(key, []).append(code)
            self._index[parent] = index
        return index

    def compact(self, parent: str | None) -> dict[str, list[str]]:
        """`children` keyed without spaces: `pulaulaut utara` and `pulau laut utara`,
        `kotabaru` and `kota baru` are one key (exports split or join words freely)."""
        index = self._compact.get(parent)
        if index is None:
            index = {}
            for key, codes in self.children(parent).items():
                index.setdefault(key.replace(" ", ""), []).extend(codes)
            self._compact[parent] = index
        return index

    def resolve(
        self, parent: str | None, level: int, value: str
    ) -> tuple[str | None, bool]:
        """(code, fuzzy) of the region named `value` under `parent`; (None, False) when not found."""
        cache_key = (parent, level, value)
        hit = self._cache.get(cache_key)
        if hit is None:
            hit = self._resolve(parent, level, value)
            self._cache[cache_key] = hit
        return hit

    def _resolve(
        self, parent: str | None, level: int, value: str
    ) -> tuple[str | None, bool]:
        if parent is None and level > 1:
            return None, False
        prefix, key = split_prefix(value, level)
        if not key:
            return None, False
        siblings = self.children(parent)
        codes = siblings.get(key)
        if not codes:
            compact = self.compact(parent)
            codes = compact.get(key.replace(" ", ""))
            if not codes and prefix is not None:  # `KOTA BARU` for Kotabaru
                codes = compact.get(name_key(value).replace(" ", ""))
        fuzzy = False
        if not codes:
            # Fuzzy match within the parent only (typos such as "Samarnda"); 90 keeps
            # "Sungai Kunjang" and "Sungai Pinang" apart.
            match = process.extractOne(
                key, list(siblings), scorer=fuzz.ratio, score_cutoff=90
            )
            if match is None:
                return None, False
            codes = siblings[match[0]]
            fuzzy = True
        if len(codes) == 1:
            return codes[0], fuzzy
        # "Kabupaten Bekasi" and "Kota Bekasi": the written prefix decides, Kabupaten by default.
        want = "kota" if prefix in ("kota", "kota adm") else "kabupaten"
        for code in codes:
            if name_key(self.names[code]).startswith(want):
                return code, fuzzy
        return codes[0], fuzzy

    def is_code(self, code: str, level: int) -> bool:
        return self.levels.get(code) == level
