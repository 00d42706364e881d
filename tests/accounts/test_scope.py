"""Region scoping and NIK masking."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tumbuh.accounts.roles import Role
from tumbuh.accounts.scope import (
    check_role_region,
    contains,
    mask_nik,
    parent_codes,
    region_level,
    require_personal_data,
    require_region,
)
from tumbuh.errors import Forbidden, InvalidInput


@dataclass
class FakeUser:
    role: str
    region_code: str


class TestContains:
    @pytest.mark.parametrize(
        ("scope", "code", "expected"),
        [
            ("64", "64", True),
            ("64", "64.71", True),
            ("64", "64.71.01.1001", True),
            ("64.71", "64.71.01", True),
            ("64.71", "64.7", False),
            ("64.7", "64.71", False),  # a prefix of digits is not a parent
            ("64.71", "64.72.01", False),
            ("64.71.01", "64.71", False),  # a child never sees its parent
            ("6", "64", False),
        ],
    )
    def test_prefix_scope_follows_code_segments(
        self, scope: str, code: str, expected: bool
    ) -> None:
        assert contains(scope, code) is expected


class TestRequireRegion:
    def test_returns_the_clean_code_inside_the_scope(self) -> None:
        user = FakeUser(Role.district_analyst.value, "64.71")
        assert require_region(user, " 64.71.01 ") == "64.71.01"

    def test_refuses_a_sibling_region(self) -> None:
        user = FakeUser(Role.district_analyst.value, "64.71")
        with pytest.raises(Forbidden, match="outside your area"):
            require_region(user, "64.72")

    @pytest.mark.parametrize("code", ["64x", "6471", "64.7", "64.71.01.101", "", "ID"])
    def test_refuses_malformed_codes_naming_them(self, code: str) -> None:
        user = FakeUser(Role.province_admin.value, "64")
        with pytest.raises(InvalidInput, match="not a Kemendagri code"):
            require_region(user, code)

    def test_viewer_is_refused_personal_data_even_inside_the_region(self) -> None:
        viewer = FakeUser(Role.viewer.value, "64.71")
        with pytest.raises(Forbidden, match="aggregate"):
            require_personal_data(viewer, "64.71.01")
        team = FakeUser(Role.village_team.value, "64.71.01.1001")
        assert require_personal_data(team, "64.71.01.1001") == "64.71.01.1001"


class TestLevels:
    def test_levels_and_parents(self) -> None:
        assert region_level("64") == 1
        assert region_level("64.71.01.1001") == 4
        assert parent_codes("64.71.01") == ["64", "64.71", "64.71.01"]

    @pytest.mark.parametrize(
        ("role", "code", "ok"),
        [
            (Role.province_admin, "64", True),
            (Role.province_admin, "64.71", False),
            (Role.district_analyst, "64.71", True),
            (Role.subdistrict_officer, "64.71.01", True),
            (Role.village_team, "64.71", False),
            (Role.village_team, "64.71.01.1001", True),
            (Role.viewer, "64.71.01", True),
        ],
    )
    def test_role_needs_a_region_of_its_level(
        self, role: Role, code: str, ok: bool
    ) -> None:
        if ok:
            check_role_region(role, code)
        else:
            with pytest.raises(InvalidInput, match="needs a"):
                check_role_region(role, code)


class TestMaskNik:
    def test_analysts_see_first_and_last_four_digits(self) -> None:
        masked = mask_nik("6471011203190012", role=Role.district_analyst)
        assert masked == "6471••••••••0012"

    @pytest.mark.parametrize(
        "role", [Role.province_admin, Role.subdistrict_officer, Role.village_team]
    )
    def test_field_roles_see_the_full_nik(self, role: Role) -> None:
        assert mask_nik("6471011203190012", role=role) == "6471011203190012"

    def test_short_or_missing_values_reveal_nothing(self) -> None:
        assert mask_nik("12345", role=Role.viewer) == "•••••"
        assert mask_nik(None, role=Role.viewer) is None
