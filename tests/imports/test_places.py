"""Region resolution of import rows (`imports.places`), on its own: no file, no import."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tumbuh.imports.places import NO_PLACE, Places
from tumbuh.register.regions import RegionResolver
from tumbuh.tabular.issues import ImportReport


@pytest.fixture
def places(db: Session) -> Places:
    return Places(RegionResolver.from_session(db), ImportReport(kind="eppgbm"))


def key(
    code: str | None = None,
    prov: str | None = None,
    kab: str | None = None,
    kec: str | None = None,
    desa: str | None = None,
    puskesmas: str | None = None,
) -> tuple[str | None, ...]:
    return (code, prov, kab, kec, desa, puskesmas)


def test_a_desa_code_gives_its_kecamatan_and_kab_kota(places: Places) -> None:
    assert places.resolve(key("6472061001")) == (
        "64.72.06.1001", "64.72.06", "64.72", None, None, None, None,
    )  # fmt: skip


def test_names_resolve_down_to_the_desa(places: Places) -> None:
    got = places.resolve(
        key(None, "KALIMANTAN TIMUR", "KOTA SAMARINDA", "SUNGAI KUNJANG", "LOA BAKUNG")
    )
    assert got[:4] == ("64.72.06.1001", "64.72.06", "64.72", None)


def test_same_named_kab_and_kota_are_told_apart_by_the_kecamatan(
    places: Places,
) -> None:
    kota = places.resolve(key(None, None, "TEGAL", "TEGAL BARAT", "KRATON"))
    kab = places.resolve(key(None, None, "TEGAL", "MARGASARI", "PRUPUK SELATAN"))
    assert kota[2] == "33.76"
    assert kota[6] is None
    assert kab[2] == "33.28"
    assert kab[6] is None
    assert places.report.extra["region_choices"] == {
        "TEGAL": ["Kota Tegal (33.76)", "Kabupaten Tegal (33.28)"]
    }


def test_an_undecided_same_name_takes_the_kabupaten_and_says_so(
    places: Places,
) -> None:
    got = places.resolve(key(None, "JAWA TENGAH", "TEGAL"))
    assert got[2] == "33.28"
    assert got[6] is not None
    assert "Kabupaten Tegal (33.28)" in got[6]


def test_an_unknown_place_is_a_problem_on_its_field(places: Places) -> None:
    got = places.resolve(key(None, "KALIMANTAN TIMUR", "KOTA SAMARINDA", "ENTAH"))
    assert got[2] == "64.72"
    assert got[1] is None
    assert (got[3], got[5]) == ("ENTAH", "kec")


def test_each_distinct_place_is_resolved_once(places: Places) -> None:
    first = places.resolve(key(None, None, "TEGAL", "TEGAL BARAT"))
    assert places.resolve(key(None, None, "TEGAL", "TEGAL BARAT")) is first
    assert len(places.cache) == 1
    assert NO_PLACE == (None,) * 7
