"""Region names and the region tree from the packaged Kemendagri master (read once per province).

The importers load the same file into the `regions` table; pages and read queries only need
names and the tree, which this read-only catalogue gives without a database round trip.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from tumbuh.errors import NotFound

REGIONS_CSV = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "regions"
    / "wilayah_kemendagri_2025.csv"
)


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    name: str
    level: int  # 1 province, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit(".", 1)[0] if "." in self.code else None


@cache
def _province(prefix: str) -> dict[str, RegionInfo]:
    """Every region of one province (2-digit prefix), by code."""
    out: dict[str, RegionInfo] = {}
    with REGIONS_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["kode"]
            if code == prefix or code.startswith(prefix + "."):
                out[code] = RegionInfo(code, row["nama"], int(row["level"]))
    return out


def find_region(code: str) -> RegionInfo | None:
    return _province(code[:2]).get(code)


def get_region(code: str) -> RegionInfo:
    """The region with this code; NotFound when the master has no such code."""
    region = find_region(code)
    if region is None:
        raise NotFound(f"region {code} does not exist", code="not_found")
    return region


@cache
def _children(prefix: str) -> dict[str, tuple[RegionInfo, ...]]:
    """Direct children of every region of one province, ordered by code (pages ask for
    them several times per view: built once, not by scanning the province each time)."""
    out: dict[str, list[RegionInfo]] = {}
    for region in sorted(_province(prefix).values(), key=lambda r: r.code):
        if region.parent_code is not None:
            out.setdefault(region.parent_code, []).append(region)
    return {parent: tuple(kids) for parent, kids in out.items()}


def children_of(code: str) -> list[RegionInfo]:
    """Direct children of a region, ordered by code."""
    return list(_children(code[:2]).get(code, ()))


def lineage(code: str) -> list[RegionInfo]:
    """The region and its ancestors, widest first (for breadcrumbs)."""
    parts = code.split(".")
    out = []
    for i in range(1, len(parts) + 1):
        region = find_region(".".join(parts[:i]))
        if region is not None:
            out.append(region)
    return out


def codes_under(code: str) -> list[str]:
    """The code and every code below it in the master, sorted (for `IN (...)` filters that
    use an index and do not depend on the database's collation)."""
    return list(_codes_under(code))


@lru_cache(maxsize=4096)
def _codes_under(code: str) -> tuple[str, ...]:
    regions = _province(code[:2])
    return tuple(sorted(c for c in regions if c == code or c.startswith(code + ".")))
