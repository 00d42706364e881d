"""Visit lists: per desa (and per TPK), the families ranked by risk of a new stunting case,
with their reasons and the next suggested action, in Bahasa Indonesia or English (every word from
the catalogue, keys ``visits.*``); printable PDF and Excel in the list's language.

The register has no assignment of families to a Tim Pendamping Keluarga (TPK: a midwife, a
PKK cadre and a KB cadre, formed per desa/kelurahan; docs/risk-model.md §6). The default team
is the desa's; ``tpk="posyandu"`` splits the desa by the posyandu where the family's children
were last weighed, ``tpk="rw"`` by the family's RW.

:func:`visit_list` returns personal data (names, addresses): the web layer calls it only
after checking that the user may see the desa; the CLI is an admin tool.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.i18n import format_date, format_number, translate
from tumbuh.register.models import Facility, Family, Measurement, Person, Region
from tumbuh.risk.krs import krs_at
from tumbuh.risk.models import RiskScore
from tumbuh.risk.read import said

__all__ = [
    "COLUMNS",
    "TPK_GROUPINGS",
    "VisitList",
    "suggested_action",
    "visit_list",
    "write_pdf",
    "write_xlsx",
]

# Next action per reason key (catalogue key action.<reason key>), in the order they are
# tried (the family's strongest reasons first, then this order); at most `most` are joined.
_ACTIONS: tuple[str, ...] = (
    "kek", "anaemia", "pregnant", "haz", "haz_slope", "faltering", "bgm", "waz", "window",
    "lbw", "water", "latrine", "too_young", "too_old", "too_close", "too_many", "poor",
    "desa_prev", "unmeasured",
)  # fmt: skip

# Column -> its heading's catalogue key (visits.col.<column>).
COLUMNS: dict[str, str] = {
    column: f"visits.col.{column}"
    for column in (
        "rank", "no_kk", "head_name", "mother_name", "address", "risk_pct", "krs",
        "reasons", "signals", "action",
    )
}  # fmt: skip


def suggested_action(reason_keys: str, *, most: int = 2, lang: str = "id") -> str:
    """The next actions for a family, from its reason keys (strongest first), in ``lang``."""
    keys = [k for k in reason_keys.split(";") if k in _ACTIONS]
    actions: list[str] = []
    for key in keys:
        text = translate(f"action.{key}", lang)
        if text not in actions:
            actions.append(text)
        if len(actions) >= most:
            break
    if not actions:
        return translate("action.default", lang)
    return translate("action.visit", lang, actions="; ".join(actions))


# How a desa's families are split among its TPK (see the module docstring).
TPK_GROUPINGS = ("desa", "posyandu", "rw")


@dataclass
class VisitList:
    """One desa's ranked families (``rows`` has the keys of :data:`COLUMNS`, plus ``tpk``,
    the family's team, when split by ``tpk_by``; ``rank`` then counts within the team)."""

    desa_code: str
    desa_name: str
    kecamatan_name: str
    kabkota_name: str
    year: int
    generated_on: dt.date
    rows: pd.DataFrame
    tpk_by: str = "desa"
    # The period whose end the KRS column is taken at: the year before the scored year (the
    # score of year Y is made from the register before 1 January Y), as `tumbuh forecast`.
    krs_period: str = ""
    lang: str = "id"  # the language of the rows' words (reasons, KRS, action)

    @property
    def title(self) -> str:
        return translate("visits.title", self.lang, desa=self.desa_name)

    def labels(self) -> list[str]:
        """The column headings in the list's language."""
        return [translate(key, self.lang) for key in COLUMNS.values()]

    def teams(self) -> list[tuple[str, pd.DataFrame]]:
        """(team, its rows) in team order; one team for the whole desa by default."""
        if self.tpk_by == "desa" or "tpk" not in self.rows.columns:
            return [
                (
                    translate("visits.team.desa", self.lang, desa=self.desa_name),
                    self.rows,
                )
            ]
        return [
            (str(team), rows.reset_index(drop=True))
            for team, rows in self.rows.groupby("tpk", sort=False)
        ]


def _region_name(session: Session, code: str) -> str:
    name = session.scalar(select(Region.name).where(Region.code == code))
    return name or code


def visit_list(
    session: Session,
    *,
    desa_code: str,
    year: int | None = None,
    limit: int | None = None,
    min_risk: float = 0.0,
    tpk: str = "desa",
    lang: str = "id",
) -> VisitList:
    """Families of ``desa_code`` with a stored risk score for ``year`` (default: the latest
    scored year), highest risk first; with ``tpk`` = ``posyandu`` or ``rw``, one list per
    team (``limit`` then applies to each team). Every word (reasons, signals, the KRS
    column, the next action, team names, the files' headings) is said in ``lang``.
    Personal data: check the user's scope before calling."""
    code = desa_code.strip()
    if not code:
        raise InvalidInput(
            "--desa: give a desa/kelurahan code such as 64.72.03.1005",
            key="error.visits.no_desa",
        )
    if tpk not in TPK_GROUPINGS:
        raise InvalidInput(
            f"--tpk: one of {', '.join(TPK_GROUPINGS)} (got {tpk!r})",
            key="error.visits.tpk",
            values={"choices": ", ".join(TPK_GROUPINGS), "got": repr(tpk)},
        )
    if year is None:
        year = session.scalar(
            select(func.max(RiskScore.year)).where(RiskScore.desa_code == code)
        )
        if year is None:
            raise NotFound(
                f"no risk scores for desa {code}: run `tumbuh risk score` first "
                "(or check the code)",
                key="error.visits.no_scores",
                values={"desa": code},
            )
    stmt = (
        select(
            RiskScore.family_id,
            RiskScore.risk,
            RiskScore.krs,
            RiskScore.reason_keys,
            RiskScore.reasons_id,
            RiskScore.reasons_en,
            RiskScore.signal_keys,
            RiskScore.signals_id,
            RiskScore.signals_en,
            Family.no_kk,
            Family.address,
            Family.rt,
            Family.rw,
        )
        .join(Family, Family.id == RiskScore.family_id)
        .where(RiskScore.desa_code == code, RiskScore.year == year)
        .where(RiskScore.risk >= min_risk)
        .order_by(RiskScore.risk.desc(), RiskScore.family_id)
    )
    if limit is not None and tpk == "desa":
        stmt = stmt.limit(limit)
    result = session.execute(stmt)
    scores = pd.DataFrame(result.all(), columns=list(result.keys()))
    ids = [int(i) for i in scores["family_id"]] if len(scores) else []
    krs_period = str(int(year) - 1)
    krs_now = krs_of_desa(session, desa_code=code, as_of=dt.date(int(year) - 1, 12, 31))
    scores["krs"] = [krs_now.get(f, False) for f in ids]
    people = session.execute(
        select(Person.family_id, Person.family_role, Person.name).where(
            Person.family_id.in_(ids), Person.family_role.in_(["kepala", "istri"])
        )
    ).all()
    head = {f: n for f, role, n in people if role == "kepala"}
    mother = {f: n for f, role, n in people if role == "istri"}

    def address(r: pd.Series) -> str:
        parts = [str(r["address"] or "").strip()]
        if r["rt"] or r["rw"]:
            parts.append(f"RT {r['rt'] or '-'}/RW {r['rw'] or '-'}")
        return ", ".join(p for p in parts if p)

    rows = pd.DataFrame(
        {
            "rank": range(1, len(scores) + 1),
            "no_kk": scores["no_kk"] if len(scores) else [],
            "head_name": [head.get(int(f), "") for f in ids],
            "mother_name": [mother.get(int(f), "") for f in ids],
            "address": [address(r) for _, r in scores.iterrows()],
            "risk_pct": [round(100 * float(x), 1) for x in scores.get("risk", [])],
            "krs": [
                translate("common.yes" if k else "common.no", lang)
                for k in scores["krs"]
            ],
            # A family ranked by the model without one strong sign still gets a reason.
            "reasons": [
                said(i, e, lang) or translate("visits.no_reason", lang)
                for i, e in zip(
                    scores.get("reasons_id", []),
                    scores.get("reasons_en", []),
                    strict=True,
                )
            ],
            "signals": [
                said(i, e, lang)
                for i, e in zip(
                    scores.get("signals_id", []),
                    scores.get("signals_en", []),
                    strict=True,
                )
            ],
            # Actionable signals first (KEK, anaemia, 2T ...), then the model's reasons.
            "action": [
                suggested_action(f"{sk};{rk}", lang=lang)
                for sk, rk in zip(
                    scores.get("signal_keys", []),
                    scores.get("reason_keys", []),
                    strict=True,
                )
            ],
        }
    )
    if tpk != "desa":
        rows = _split_by_team(session, rows, scores, ids, tpk, limit, lang)
    parts = code.split(".")
    return VisitList(
        desa_code=code,
        desa_name=_region_name(session, code),
        kecamatan_name=_region_name(session, ".".join(parts[:3])),
        kabkota_name=_region_name(session, ".".join(parts[:2])),
        year=int(year),
        generated_on=dt.date.today(),
        rows=rows,
        tpk_by=tpk,
        krs_period=krs_period,
        lang=lang,
    )


def krs_of_desa(session: Session, *, desa_code: str, as_of: dt.date) -> dict[int, bool]:
    """KRS status at `as_of` of every family of `desa_code`, by the rule and over the rows
    the indicator engine's ``krs_families`` reads (:func:`tumbuh.risk.krs.krs_at`; members
    are the persons of the family whose desa is in the same province)."""
    fam_cols = [
        Family.id,
        Family.desa_code,
        Family.water_source,
        Family.latrine,
        Family.wife_modern_contraception,
        Family.wife_pregnant,
        Family.welfare_decile,
    ]
    names = [
        "family_id",
        "desa_code",
        "water_source",
        "latrine",
        "wife_modern_contraception",
        "wife_pregnant",
        "welfare_decile",
    ]
    fams = pd.DataFrame(
        session.execute(select(*fam_cols).where(Family.desa_code == desa_code)).all(),
        columns=names,
    )
    if fams.empty:
        return {}
    province = desa_code.split(".")[0]
    members = pd.DataFrame(
        session.execute(
            select(
                Person.id, Person.sex, Person.birth_date, Person.family_id,
                Person.family_role,
            ).where(
                Person.family_id.in_([int(f) for f in fams["family_id"]]),
                func.substr(Person.desa_code, 1, len(province)) == province,
            )
        ).all(),
        columns=["person_id", "sex", "birth_date", "family_id", "family_role"],
    )  # fmt: skip
    members["family_id"] = members["family_id"].astype("int64")
    fams["family_id"] = fams["family_id"].astype("int64")
    res = krs_at(members, fams, as_of)
    return dict(
        zip(
            fams["family_id"].astype(int).tolist(),
            [bool(k) for k in res.krs],
            strict=True,
        )
    )


def _posyandu_names(session: Session, family_ids: list[int]) -> dict[int, str]:
    """Per family, the posyandu of its children's latest measurement with a posyandu."""
    if not family_ids:
        return {}
    stmt = (
        select(Person.family_id, Measurement.measured_on, Facility.name)
        .join(Measurement, Measurement.person_id == Person.id)
        .join(Facility, Facility.id == Measurement.posyandu_id)
        .where(Person.family_id.in_(family_ids))
        .order_by(Person.family_id, Measurement.measured_on, Measurement.id)
    )
    latest: dict[int, str] = {}
    for family_id, _, name in session.execute(stmt):
        if family_id is not None:
            latest[int(family_id)] = str(name)
    return latest


def _team_of_posyandu(name: str, lang: str) -> str:
    clean = name.strip()
    if clean.lower().startswith("posyandu"):
        clean = clean[len("posyandu") :].strip()
    return translate("visits.team.posyandu", lang, posyandu=clean)


def _split_by_team(
    session: Session,
    rows: pd.DataFrame,
    scores: pd.DataFrame,
    ids: list[int],
    tpk: str,
    limit: int | None,
    lang: str,
) -> pd.DataFrame:
    """Add the ``tpk`` column, order by team (named teams first, alphabetically; families
    without the information last) and rank within each team."""
    if tpk == "posyandu":
        names = _posyandu_names(session, ids)
        unknown = translate("visits.team.no_posyandu", lang)
        teams = [
            _team_of_posyandu(names[f], lang) if f in names else unknown for f in ids
        ]
    else:
        rws = scores["rw"].tolist() if len(scores) else []
        unknown = translate("visits.team.no_rw", lang)
        teams = [
            translate("visits.team.rw", lang, rw=str(rw).strip())
            if rw and str(rw).strip()
            else unknown
            for rw in rws
        ]
    rows = rows.assign(tpk=teams, _order=range(len(rows)))
    names_sorted = sorted({t for t in teams if t != unknown})
    team_order = {t: i for i, t in enumerate([*names_sorted, unknown])}
    rows = rows.assign(_team=rows["tpk"].map(team_order))
    rows = rows.sort_values(["_team", "_order"], kind="stable")
    rows["rank"] = rows.groupby("tpk").cumcount() + 1
    if limit is not None:
        rows = rows.loc[rows["rank"] <= limit]
    return rows.drop(columns=["_team", "_order"]).reset_index(drop=True)


def _header_lines(
    vl: VisitList, rows: pd.DataFrame | None = None, team: str | None = None
) -> list[str]:
    rows = vl.rows if rows is None else rows
    lang = vl.lang
    lines = [
        translate(
            "visits.head.where", lang, kecamatan=vl.kecamatan_name,
            kabkota=vl.kabkota_name, desa_code=vl.desa_code,
        ),
        translate(
            "visits.head.year", lang, year=vl.year,
            printed=format_date(vl.generated_on, lang),
            families=format_number(len(rows), 0, lang),
        ),
    ]  # fmt: skip
    if vl.krs_period:
        as_of = dt.date(int(vl.krs_period), 12, 31)
        lines.append(translate("visits.head.krs", lang, date=format_date(as_of, lang)))
    if team is not None:
        lines.append(translate("visits.head.team", lang, team=team))
    lines.append(translate("visits.head.confidential", lang))
    return lines


def _sheet_names(teams: list[str]) -> list[str]:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    out: list[str] = []
    for team in teams:
        base = "".join(c for c in team if c not in "[]:*?/\\").strip()[:31] or "TPK"
        name, i = base, 2
        while name.lower() in {n.lower() for n in out}:
            suffix = f" ({i})"
            name, i = base[: 31 - len(suffix)] + suffix, i + 1
        out.append(name)
    return out


def write_xlsx(vl: VisitList, path: Path) -> None:
    """The visit list as an Excel workbook in the list's language: one sheet, or with a
    split by TPK a summary sheet and one sheet per team."""
    from tumbuh.tabular.guard import guarded_workbook

    book = guarded_workbook(path)
    try:
        bold = book.add_format({"bold": True})
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        teams = vl.teams()

        def sheet_of(name: str, rows: pd.DataFrame, team: str | None) -> None:
            sheet = book.add_worksheet(name)
            sheet.write(0, 0, vl.title, bold)
            lines = _header_lines(vl, rows, team)
            for i, line in enumerate(lines, start=1):
                sheet.write(i, 0, line)
            top = len(lines) + 2
            widths = [5, 18, 22, 22, 30, 10, 7, 55, 40, 55]
            for j, (key, label) in enumerate(zip(COLUMNS, vl.labels(), strict=True)):
                sheet.write(top, j, label, head)
                sheet.set_column(j, j, widths[j])
                for i, value in enumerate(rows[key].tolist(), start=top + 1):
                    if key in ("rank", "risk_pct"):
                        sheet.write_number(i, j, float(value))
                    else:
                        sheet.write_string(i, j, str(value), wrap)
            sheet.freeze_panes(top + 1, 0)
            if len(rows):
                sheet.autofilter(top, 0, top + len(rows), len(COLUMNS) - 1)

        if vl.tpk_by == "desa":
            sheet_of(translate("visits.sheet", vl.lang)[:31], vl.rows, None)
            return
        summary = book.add_worksheet(translate("visits.sheet.summary", vl.lang)[:31])
        summary.write(0, 0, vl.title, bold)
        for i, line in enumerate(_header_lines(vl), start=1):
            summary.write(i, 0, line)
        top = len(_header_lines(vl)) + 2
        labels = [
            translate(f"visits.summary.{key}", vl.lang)
            for key in ("team", "families", "krs", "expected", "sheet")
        ]
        for j, label in enumerate(labels):
            summary.write(top, j, label, head)
        summary.set_column(0, 0, 45)
        summary.set_column(1, 4, 16)
        names = _sheet_names([team for team, _ in teams])
        for i, ((team, rows), name) in enumerate(zip(teams, names, strict=True)):
            summary.write_string(top + 1 + i, 0, team)
            summary.write_number(top + 1 + i, 1, len(rows))
            summary.write_number(
                top + 1 + i,
                2,
                int((rows["krs"] == translate("common.yes", vl.lang)).sum()),
            )
            expected = round(float(rows["risk_pct"].astype(float).sum()) / 100, 1)
            summary.write_number(top + 1 + i, 3, expected)
            summary.write_string(top + 1 + i, 4, name)
        for (team, rows), name in zip(teams, names, strict=True):
            sheet_of(name, rows, team)
    finally:
        book.close()


_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)


def _latin1(text: str) -> str:
    return text.replace("\u2192", "->").encode("latin-1", "replace").decode("latin-1")


def write_pdf(vl: VisitList, path: Path) -> None:
    """The visit list as an A4 landscape PDF: header with the desa and date, page numbers.

    Uses DejaVu Sans when the system has it (all characters), else the core Helvetica font
    with text reduced to Latin-1."""
    from fpdf import FPDF

    regular = next(
        (d / "DejaVuSans.ttf" for d in _FONT_DIRS if (d / "DejaVuSans.ttf").exists()),
        None,
    )
    bold = regular.with_name("DejaVuSans-Bold.ttf") if regular else None
    title = vl.title
    teams = vl.teams()
    split = vl.tpk_by != "desa"
    current: dict[str, list[str]] = {"lines": _header_lines(vl)}

    class _Pdf(FPDF):
        def header(self) -> None:
            self.set_font(family, "B", 11)
            self.cell(0, 6, clean(title), new_x="LMARGIN", new_y="NEXT")
            self.set_font(family, "", 8)
            for line in current["lines"]:
                self.cell(0, 4.5, clean(line), new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(family, "", 8)
            page = translate("visits.page", vl.lang, page=self.page_no(), pages="{nb}")
            self.cell(0, 8, page, align="C")

    pdf = _Pdf(orientation="L", unit="mm", format="A4")
    if regular is not None and bold is not None and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        family = "DejaVu"

        def clean(text: str) -> str:
            return text

    else:
        family = "Helvetica"
        clean = _latin1
    pdf.set_auto_page_break(auto=True, margin=15)
    widths = (8, 25, 26, 26, 32, 12, 9, 50, 40, 49)
    align = ("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "CENTER", *["LEFT"] * 3)
    for team, rows in teams:
        # Each team starts on its own page, with its name in the page header.
        current["lines"] = _header_lines(vl, rows, team if split else None)
        pdf.add_page()
        pdf.set_font(family, "", 7)
        with pdf.table(
            col_widths=widths, text_align=align, line_height=3.6, repeat_headings=1
        ) as table:
            table.row([clean(label) for label in vl.labels()])
            for rec in rows.to_dict("records"):
                table.row(
                    [
                        clean(
                            format_number(rec[k], 1, vl.lang)
                            if k == "risk_pct"
                            else str(rec[k])
                        )
                        for k in COLUMNS
                    ]
                )
        if rows.empty:
            pdf.cell(0, 8, clean(translate("visits.empty", vl.lang)))
    pdf.output(str(path))
