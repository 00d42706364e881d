"""The authorisation matrix as a literal table: route × role × inside/outside the role's
region → allowed (the route's success status) or refused (403).

Written by hand from the policy the teams agreed (docs/web.md), NOT computed from
`tumbuh.accounts.roles`: a wrong policy in the code then fails the matrix tests instead of
passing its own test. Read a cell as two letters, inside then outside the user's region:
`Y` allowed, `-` refused with 403, `0` refused with 404 (answered as if the record did not
exist, so that a lookup does not tell where a NIK is registered). Columns, in this order:

    province_admin  province_analyst  district_analyst  subdistrict_officer  village_team  viewer

Every route of the app must have a line (tests/web/test_authorization.py checks it).
"""

from __future__ import annotations

from tumbuh.accounts.roles import Role

ROLES = (
    Role.province_admin,
    Role.province_analyst,
    Role.district_analyst,
    Role.subdistrict_officer,
    Role.village_team,
    Role.viewer,
)

# fmt: off
EXPECTED: dict[tuple[str, str], str] = {
    # Logging in and out, one's own account: everyone.
    ("GET", "/login"):                             "YY YY YY YY YY YY",
    ("POST", "/login"):                            "YY YY YY YY YY YY",
    ("POST", "/logout"):                           "YY YY YY YY YY YY",
    ("GET", "/"):                                  "YY YY YY YY YY YY",
    ("GET", "/account/password"):                  "YY YY YY YY YY YY",
    ("POST", "/account/password"):                 "YY YY YY YY YY YY",
    ("POST", "/api/v1/auth/token"):                "YY YY YY YY YY YY",
    ("POST", "/api/v1/auth/logout"):               "YY YY YY YY YY YY",
    ("GET", "/api/v1/me"):                         "YY YY YY YY YY YY",
    ("GET", "/api/docs"):                          "YY YY YY YY YY YY",
    ("GET", "/api/v1/openapi.json"):               "YY YY YY YY YY YY",
    # Reference material, no personal data: everyone.
    ("GET", "/sw.js"):                             "YY YY YY YY YY YY",
    ("GET", "/manifest.webmanifest"):              "YY YY YY YY YY YY",
    ("GET", "/today"):                             "YY YY YY YY YY YY",
    ("GET", "/geo/{province}/{level}.geojson"):    "YY YY YY YY YY YY",
    ("GET", "/growth"):                            "YY YY YY YY YY YY",
    ("GET", "/api/v1/growth/curves"):              "YY YY YY YY YY YY",
    ("GET", "/interventions"):                     "YY YY YY YY YY YY",
    ("GET", "/quality"):                           "YY YY YY YY YY YY",
    # Aggregates of a region: every role, inside its own area only.
    ("GET", "/regions/{code}"):                    "Y- Y- Y- Y- Y- Y-",
    ("GET", "/api/v1/regions/{code}/summary"):     "Y- Y- Y- Y- Y- Y-",
    ("GET", "/api/v1/regions/{code}/indicators"):  "Y- Y- Y- Y- Y- Y-",
    ("GET", "/quality/{code}"):                    "Y- Y- Y- Y- Y- Y-",
    ("GET", "/actions"):                           "Y- Y- Y- Y- Y- Y-",
    ("GET", "/meetings"):                          "Y- Y- Y- Y- Y- Y-",
    ("GET", "/regions/{code}/rakor.{ext}"):        "Y- Y- Y- Y- Y- Y-",
    # Meeting actions: every role but the viewer, inside its own area.
    ("POST", "/meetings"):                         "Y- Y- Y- Y- Y- --",
    ("POST", "/meetings/{meeting_id}/actions"):    "Y- Y- Y- Y- Y- --",
    ("POST", "/actions"):                          "Y- Y- Y- Y- Y- --",
    ("POST", "/actions/{action_id}"):              "Y- Y- Y- Y- Y- --",
    # Personal data (names, NIK, one child's measurements): not the viewer; own area only.
    ("GET", "/api/v1/children"):                   "Y- Y- Y- Y- Y- --",
    ("GET", "/api/v1/children/{child_id}"):        "Y- Y- Y- Y- Y- --",
    ("GET", "/api/v1/families/{family_id}"):       "Y- Y- Y- Y- Y- --",
    ("GET", "/children/{child_id}"):               "Y- Y- Y- Y- Y- --",
    ("GET", "/families/{family_id}"):              "Y- Y- Y- Y- Y- --",
    ("GET", "/regions/{code}/visits.{ext}"):       "Y- Y- Y- Y- Y- --",
    ("GET", "/regions/{code}/gaps.xlsx"):          "Y- Y- Y- Y- Y- --",
    ("POST", "/interventions/records"):            "Y0 Y0 Y0 Y0 Y0 --",
    # Visits and interventions recorded from a family or child page (issue 17): the
    # personal-data roles, inside their area; the offline queue's sync answers per item
    # (outside the area: an item error), so the request itself is allowed inside and out.
    ("POST", "/families/{family_id}/visits"):      "Y- Y- Y- Y- Y- --",
    ("POST", "/children/{child_id}/visits"):       "Y- Y- Y- Y- Y- --",
    ("POST", "/families/{family_id}/interventions"): "Y- Y- Y- Y- Y- --",
    ("POST", "/children/{child_id}/interventions"):  "Y- Y- Y- Y- Y- --",
    ("POST", "/sync"):                             "YY YY YY YY YY --",
    # The province's register and catalogue: the province admin only.
    ("GET", "/imports"):                           "YY -- -- -- -- --",
    ("POST", "/imports"):                          "YY -- -- -- -- --",
    ("GET", "/imports/jobs/{job_id}"):             "YY -- -- -- -- --",
    ("POST", "/imports/quarantine/{row_id}"):      "YY -- -- -- -- --",
    ("POST", "/interventions/kinds/{code}"):       "YY -- -- -- -- --",
    # Users and the audit log: the province admin; changes inside the province only.
    ("GET", "/admin/users"):                       "YY -- -- -- -- --",
    ("POST", "/admin/users"):                      "Y- -- -- -- -- --",
    ("POST", "/admin/users/{user_id}/active"):     "Y- -- -- -- -- --",
    ("GET", "/admin/audit"):                       "YY -- -- -- -- --",
}
# fmt: on


def _letter(method: str, path: str, role: Role, inside: bool) -> str:
    cells = EXPECTED[(method, path)].split()
    assert len(cells) == len(ROLES), path
    assert all(len(c) == 2 and set(c) <= {"Y", "-", "0"} for c in cells), path
    return cells[ROLES.index(role)][0 if inside else 1]


def allowed(method: str, path: str, role: Role, inside: bool) -> bool:
    """The table's answer for one cell."""
    return _letter(method, path, role, inside) == "Y"


def refusal(method: str, path: str, role: Role, inside: bool) -> int:
    """The status of a refused call: 404 for `0`, else 403."""
    return 404 if _letter(method, path, role, inside) == "0" else 403
