"""Region master, BPS crosswalk and region-name resolution."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.register.models import Region
from tumbuh.register.regions import (
    RegionResolver,
    bps_to_kemendagri,
    kemendagri_to_bps,
    load_regions,
    name_key,
    split_prefix,
)


class TestMaster:
    def test_all_of_indonesia_is_loaded_with_parents(self, db: Session) -> None:
        assert load_regions(db) == 0  # already loaded: nothing added twice
        n = db.scalar(select(func.count()).select_from(Region))
        assert n is not None
        assert n > 90_000
        kubar = db.get(Region, "64.07")
        assert kubar is not None
        assert (kubar.name, kubar.level, kubar.parent_code, kubar.bps_code) == (
            "Kabupaten Kutai Barat",
            2,
            "64",
            "6402",
        )
        kaltim_kec = db.scalar(
            select(func.count())
            .select_from(Region)
            .where(Region.level == 3, Region.code.like("64.%"))
        )
        assert kaltim_kec == 105  # facts.md §6a


class TestCrosswalk:
    @pytest.mark.parametrize(
        ("bps", "kemendagri"),
        [("6402", "64.07"), ("6403", "64.02"), ("6472", "64.72"), ("6474", "64.74")],
    )
    def test_bps_and_kemendagri_codes_map_both_ways(
        self, bps: str, kemendagri: str
    ) -> None:
        assert bps_to_kemendagri(bps) == kemendagri
        assert kemendagri_to_bps(kemendagri) == bps

    def test_an_unknown_code_maps_to_none(self) -> None:
        assert bps_to_kemendagri("9999") is None


class TestNames:
    @pytest.mark.parametrize(
        ("raw", "key"),
        [
            ("KAB. KUTAI  BARAT", "kab kutai barat"),
            ("\u00a0Sungai-Kunjang ", "sungai kunjang"),
        ],
    )
    def test_name_key_folds_case_punctuation_and_blanks(
        self, raw: str, key: str
    ) -> None:
        assert name_key(raw) == key

    def test_prefixes_are_split_by_level(self) -> None:
        assert split_prefix("Kota Samarinda", 2) == ("kota", "samarinda")
        assert split_prefix("Kota Bangun", 3) == (
            None,
            "kota bangun",
        )  # a kecamatan name
        assert split_prefix("Kel. Loa Bakung", 4) == ("kel", "loa bakung")


class TestResolver:
    @pytest.fixture
    def resolver(self, db: Session) -> RegionResolver:
        return RegionResolver.from_session(db)

    @pytest.mark.parametrize(
        ("names", "code"),
        [
            (("KALIMANTAN TIMUR", "KAB. KUTAI BARAT"), "64.07"),
            (("Kalimantan Timur", "Kabupaten Kutai Barat"), "64.07"),
            (("kalimantan timur", "Samarinda"), "64.72"),
            (
                (
                    "Prov. Kalimantan Timur",
                    "KOTA SAMARINDA",
                    "Sungai Kunjang",
                    "Kel. Loa Bakung",
                ),
                "64.72.06.1001",
            ),
            (("Kalimantan Timur", "Kutai Kartanegara", "Kota Bangun"), None),
        ],
        ids=[
            "kab-dot",
            "kabupaten",
            "no-prefix",
            "desa-with-kel",
            "kecamatan-named-kota",
        ],
    )
    def test_names_resolve_within_their_parent(
        self, resolver: RegionResolver, names: tuple[str, ...], code: str | None
    ) -> None:
        parent = None
        for level, value in enumerate(names, start=1):
            parent, _ = resolver.resolve(parent, level, value)
            assert parent is not None, value
        if code is not None:
            assert parent == code
        else:
            assert resolver.names[parent] == "Kota Bangun"

    def test_kabupaten_and_kota_of_the_same_name_are_told_apart(
        self, resolver: RegionResolver
    ) -> None:
        jabar, _ = resolver.resolve(None, 1, "Jawa Barat")
        kab, _ = resolver.resolve(jabar, 2, "Kab. Bekasi")
        kota, _ = resolver.resolve(jabar, 2, "Kota Bekasi")
        assert kab != kota
        assert resolver.names[kab] == "Kabupaten Bekasi"
        assert resolver.names[kota] == "Kota Bekasi"

    def test_a_typo_matches_approximately_and_says_so(
        self, resolver: RegionResolver
    ) -> None:
        kaltim, fuzzy = resolver.resolve(None, 1, "Kalimantan Timur")
        assert not fuzzy
        code, fuzzy = resolver.resolve(kaltim, 2, "Kota Samarnda")
        assert (code, fuzzy) == ("64.72", True)

    def test_an_unknown_name_resolves_to_none(self, resolver: RegionResolver) -> None:
        assert resolver.resolve("64", 2, "Atlantis") == (None, False)
