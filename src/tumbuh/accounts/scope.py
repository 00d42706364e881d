"""Region scoping in one place: a user's region code is a prefix scope over Kemendagri codes.

`64` ⊃ `64.71` ⊃ `64.71.01` ⊃ `64.71.01.1001`. Every page, API route and export that
touches a region or a person asks `require_region` (or filters with `scope_prefix`).
"""

from __future__ import annotations

import re
from typing import Protocol

from tumbuh.accounts.roles import Role, policy
from tumbuh.errors import Forbidden, InvalidInput

# Kemendagri codes: province 2 digits, kab/kota 2, kecamatan 2, desa 4 (Permendagri 72/2019).
_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
LEVEL_NAMES = {1: "provinsi", 2: "kabkota", 3: "kecamatan", 4: "desa"}


class ScopedUser(Protocol):
    """What scoping needs from a user (the ORM User satisfies it)."""

    @property
    def role(self) -> str: ...

    @property
    def region_code(self) -> str: ...


def parse_region_code(code: str) -> str:
    """The code, stripped; InvalidInput naming the value when it is not a Kemendagri code."""
    clean = code.strip()
    if not _CODE.match(clean):
        raise InvalidInput(
            f"region code {code!r} is not a Kemendagri code like 64, 64.71, 64.71.01 or 64.71.01.1001",
            code="invalid_region_code",
        )
    return clean


def region_level(code: str) -> int:
    """1 province, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan."""
    return parse_region_code(code).count(".") + 1


def parent_codes(code: str) -> list[str]:
    """The code and its ancestors, widest first: 64.71.01 → [64, 64.71, 64.71.01]."""
    parts = parse_region_code(code).split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def contains(scope: str, code: str) -> bool:
    """True when region `code` lies inside (or is) region `scope`."""
    return code == scope or code.startswith(scope + ".")


def in_scope(user: ScopedUser, code: str) -> bool:
    return contains(user.region_code, code)


def require_region(user: ScopedUser, code: str) -> str:
    """Return the clean code when the user may see it; InvalidInput/Forbidden otherwise.

    Callers raise NotFound afterwards when an in-scope code names no region, so a user
    never learns which codes exist outside their scope.
    """
    clean = parse_region_code(code)
    if not in_scope(user, clean):
        raise Forbidden(
            f"region {clean} is outside your area ({user.region_code})",
            code="outside_region",
        )
    return clean


def require_personal_data(user: ScopedUser, code: str) -> str:
    """Like require_region, and the role must be allowed to see individual people."""
    if not policy(user.role).personal_data:
        raise Forbidden("your role sees aggregate figures only", code="aggregates_only")
    return require_region(user, code)


def check_role_region(role: Role | str, region_code: str) -> None:
    """InvalidInput when a role is given a region at the wrong level (e.g. a village team at 64.71)."""
    depth = policy(role).region_depth
    level = region_level(region_code)
    if depth is not None and level != depth:
        raise InvalidInput(
            f"role {Role(role).value} needs a {LEVEL_NAMES[depth]} code "
            f"({depth} segment(s)); {region_code} is a {LEVEL_NAMES[level]} code",
            code="role_region_level",
        )


def mask_nik(nik: str | None, *, role: Role | str) -> str | None:
    """The NIK as the role may see it: full, or the first 4 and last 4 digits (6471••••••••0012)."""
    if nik is None or policy(role).full_nik:
        return nik
    if len(nik) <= 8:
        return "•" * len(nik)
    return nik[:4] + "•" * (len(nik) - 8) + nik[-4:]


def require_record(user: ScopedUser, region_code: str | None) -> None:
    """May the user see one person's or family's record kept under `region_code`?

    Personal-data roles only; a record whose region is unknown is visible only to
    province-wide users (nobody below can vouch that it is theirs).
    """
    if not policy(user.role).personal_data:
        raise Forbidden("your role sees aggregate figures only", code="aggregates_only")
    if region_code is None:
        if "." in user.region_code:
            raise Forbidden(
                "this record has no region; only province-wide users see it",
                code="outside_region",
            )
        return
    require_region(user, region_code)
