"""Roles and what each may see: one table, read by scope.py and the web layer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    province_admin = "province_admin"
    province_analyst = "province_analyst"
    district_analyst = "district_analyst"  # kabupaten/kota
    subdistrict_officer = "subdistrict_officer"  # kecamatan / puskesmas
    village_team = "village_team"  # desa/kelurahan: TPK, cadres
    viewer = "viewer"  # aggregates only


@dataclass(frozen=True, slots=True)
class RolePolicy:
    """What a role may do.

    `region_depth` is the number of code segments the user's region must have
    (1 = province `64`, 2 = kab/kota `64.71`, 3 = kecamatan `64.71.01`, 4 = desa);
    None means any level. Personal data (names, dates of birth, measurements of one
    child) is shown only when `personal_data`; the full NIK only when `full_nik`
    (the people who visit families need it to find them; analysts do not).
    """

    label_id: str
    label_en: str
    region_depth: int | None
    personal_data: bool
    full_nik: bool
    manage_users: bool
    read_audit: bool


POLICIES: dict[Role, RolePolicy] = {
    Role.province_admin: RolePolicy(
        "Admin provinsi", "Province admin", 1, True, True, True, True
    ),
    Role.province_analyst: RolePolicy(
        "Analis provinsi", "Province analyst", 1, True, False, False, False
    ),
    Role.district_analyst: RolePolicy(
        "Analis kabupaten/kota", "District analyst", 2, True, False, False, False
    ),
    Role.subdistrict_officer: RolePolicy(
        "Petugas kecamatan/puskesmas",
        "Subdistrict officer",
        3,
        True,
        True,
        False,
        False,
    ),
    Role.village_team: RolePolicy(
        "Tim desa (TPK/kader)", "Village team", 4, True, True, False, False
    ),
    Role.viewer: RolePolicy("Pemirsa", "Viewer", None, False, False, False, False),
}


def policy(role: Role | str) -> RolePolicy:
    """The policy of a role (raises ValueError for an unknown role name)."""
    return POLICIES[Role(role)]
