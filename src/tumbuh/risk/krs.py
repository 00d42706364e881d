"""Keluarga berisiko stunting (KRS) by BKKBN's operational rule, over whole columns.

Two layers:

- :func:`classify_krs` is the kernel: numpy arrays in (numbers as float with NaN for unknown,
  yes/no as 1.0/0.0/NaN, codes as strings or None), a frozen :class:`KrsResult` out.
- :func:`classify_family_table` takes a family table as read from a file (any cell types,
  blanks allowed), validates each cell, calls the kernel, and returns the table with the
  columns ``target_family``, ``krs``, ``risk_factors``, ``missing_inputs`` and ``issues`` added.
  Bad cells never drop a row: they are reported in ``issues`` and treated as missing.

A risk factor whose input is blank (or invalid) is not counted: a family is only called KRS on
evidence. ``missing_inputs`` lists the blank inputs so a cadre knows what to ask at the next
visit. See ``docs/krs.md`` for the rule, its sources and the decisions taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from tumbuh.errors import InvalidInput
from tumbuh.i18n import translate
from tumbuh.risk.config import KrsRules, Latrine, WaterSource
from tumbuh.tabular.cells import read_column
from tumbuh.tabular.columns import Cells, Column, Columns

__all__ = [
    "FACTORS_2024",
    "FACTORS_BASE",
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "KrsResult",
    "classify_family_table",
    "classify_krs",
    "classify_krs_frame",
    "factor_names",
    "family_inputs",
    "krs_at",
]

# Output order of risk factors is fixed (issue text): base factors, then the 2024 ones.
FACTORS_BASE: tuple[str, ...] = (
    "water",
    "latrine",
    "too_young",
    "too_old",
    "too_close",
    "too_many",
)
FACTORS_2024: tuple[str, ...] = ("no_modern_contraception", "poorest_decile")

INPUT_COLUMNS: tuple[str, ...] = (
    "family_id",
    "wife_age",
    "pregnant",
    "children_count",
    "min_birth_interval_months",
    "has_child_0_23",
    "has_child_24_59",
    "water_source",
    "latrine",
    "modern_contraception",
    "welfare_decile",
)
# Needed only when the 2024 factors are on; otherwise a table may leave them out.
# The numbers' declarations (tabular.cells reads them): plausible ranges, and counts.
_NUMBERS: dict[str, Column] = {
    "wife_age": Column("wife_age", ("wife_age",), cells=Cells.number, bounds=(10, 99)),
    "children_count": Column(
        "children_count",
        ("children_count",),
        cells=Cells.number,
        bounds=(0, 30),
        whole=True,
    ),
    "min_birth_interval_months": Column(
        "min_birth_interval_months",
        ("min_birth_interval_months",),
        cells=Cells.number,
        bounds=(0, 600),
    ),
    "welfare_decile": Column(
        "welfare_decile",
        ("welfare_decile",),
        cells=Cells.number,
        bounds=(1, 10),
        whole=True,
    ),
}
_INPUTS = Columns(
    *(
        _NUMBERS.get(name) or Column(name, (name,), cells=Cells.code)
        for name in INPUT_COLUMNS
    )
)
_OPTIONAL_COLUMNS = frozenset({"modern_contraception", "welfare_decile"})

OUTPUT_COLUMNS: tuple[str, ...] = (
    "target_family",
    "krs",
    "risk_factors",
    "missing_inputs",
    "issues",
)

_YES = frozenset({"y", "ya", "yes", "iya", "1", "true"})
_NO = frozenset({"n", "tidak", "tdk", "no", "0", "false"})
_BLANK = frozenset({"", "-", "nan", "none", "null", "na", "n/a"})

# Indonesian labels of the family template (docs/templates.md §2) accepted beside the codes.
_WATER_ALIASES: dict[str, str] = {
    "ledeng/pam": "piped",
    "ledeng": "piped",
    "pam": "piped",
    "air kemasan/isi ulang": "bottled_refill",
    "air kemasan": "bottled_refill",
    "isi ulang": "bottled_refill",
    "sumur bor": "bored_well",
    "sumur terlindung": "protected_well",
    "mata air terlindung": "protected_spring",
    "sumur tak terlindung": "unprotected_well",
    "mata air tak terlindung": "unprotected_spring",
    "air permukaan/sungai": "surface_water",
    "air permukaan": "surface_water",
    "sungai": "surface_water",
    "air hujan": "rainwater",
    "lainnya": "other",
}
_LATRINE_ALIASES: dict[str, str] = {
    "milik sendiri dengan septic tank": "own_septic",
    "bersama dengan septic tank": "shared_septic",
    "tanpa septic tank": "no_septic",
    "tidak ada": "none",
}


def factor_names(rules: KrsRules) -> tuple[str, ...]:
    """The risk factors reported under ``rules``, in output order."""
    return FACTORS_BASE + (FACTORS_2024 if rules.include_2024_factors else ())


@dataclass(frozen=True, slots=True)
class KrsResult:
    """Per-family classification: boolean arrays, all of the input length.

    ``factors`` maps each factor name (in output order) to "present on evidence";
    ``missing`` maps each input name to "blank and needed for the rule".
    """

    target_family: NDArray[np.bool_]
    krs: NDArray[np.bool_]
    factors: Mapping[str, NDArray[np.bool_]]
    missing: Mapping[str, NDArray[np.bool_]]

    def risk_factors_text(self) -> NDArray[np.object_]:
        """``;``-separated factor names of each family (empty when none)."""
        return _join_flags(self.factors)

    def missing_inputs_text(self) -> NDArray[np.object_]:
        """``;``-separated names of the blank inputs of each family (empty when none)."""
        return _join_flags(self.missing)

    def counts(self) -> dict[str, int]:
        """Totals: families, target families, KRS, and KRS per factor."""
        out = {
            "families": int(self.krs.size),
            "target_families": int(self.target_family.sum()),
            "krs": int(self.krs.sum()),
        }
        for name, flag in self.factors.items():
            out[name] = int((flag & self.target_family).sum())
        return out


def _join_flags(flags: Mapping[str, NDArray[np.bool_]]) -> NDArray[np.object_]:
    """``;``-joined names of the set flags, in mapping order.

    Each row's flags are packed into one integer; the text is built once per distinct
    combination (at most 2**len(flags), in practice a few dozen) and gathered.
    """
    names = list(flags)
    if not names:
        return np.full(0, "", dtype=object)
    code = np.zeros(len(flags[names[0]]), dtype=np.int64)
    for bit, name in enumerate(names):
        code |= flags[name].astype(np.int64) << bit
    combos, inverse = np.unique(code, return_inverse=True)
    texts = np.array(
        [
            ";".join(n for b, n in enumerate(names) if c >> b & 1)
            for c in combos.tolist()
        ],
        dtype=object,
    )
    out: NDArray[np.object_] = texts[inverse.reshape(-1)] if combos.size else texts
    return out


def _as_float(name: str, values: ArrayLike, n: int | None) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} values, expected {n}")
    return arr


def _as_codes(name: str, values: ArrayLike, n: int) -> NDArray[np.object_]:
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"{name} has {arr.size} values, expected {n}")
    return arr


def classify_krs(
    *,
    wife_age: ArrayLike,
    pregnant: ArrayLike,
    children_count: ArrayLike,
    min_birth_interval_months: ArrayLike,
    has_child_0_23: ArrayLike,
    has_child_24_59: ArrayLike,
    water_source: ArrayLike,
    latrine: ArrayLike,
    modern_contraception: ArrayLike | None = None,
    welfare_decile: ArrayLike | None = None,
    rules: KrsRules | None = None,
) -> KrsResult:
    """Classify families as target family and KRS by BKKBN's rule.

    Parameters
    ----------
    wife_age : ages of the wife in years (floored to completed years); NaN = unknown.
    pregnant, has_child_0_23, has_child_24_59, modern_contraception :
        1.0 = yes, 0.0 = no, NaN = unknown.
    children_count : number of living children; NaN = unknown.
    min_birth_interval_months : shortest interval between two births, months; NaN = unknown or
        fewer than two children.
    water_source, latrine : codes of :class:`WaterSource` / :class:`Latrine`; anything else
        (None, "", unknown code) is unknown.
    welfare_decile : 1 (poorest) .. 10; NaN = unknown.
    rules : thresholds; ``KrsRules()`` by default.

    Returns
    -------
    KrsResult
        A family is a target family when the wife is 15-49, or she is pregnant, or there is a
        child 0-23 or 24-59 months. It is KRS when it is a target family with at least one
        risk factor present on evidence (unknown inputs count as "not present").
    """
    rules = rules or KrsRules()
    age_raw = _as_float("wife_age", wife_age, None)
    n = age_raw.size
    age = np.floor(age_raw)  # completed years: see KrsRules docstring
    preg = _as_float("pregnant", pregnant, n)
    count = _as_float("children_count", children_count, n)
    interval = _as_float("min_birth_interval_months", min_birth_interval_months, n)
    c023 = _as_float("has_child_0_23", has_child_0_23, n)
    c2459 = _as_float("has_child_24_59", has_child_24_59, n)
    water = _as_codes("water_source", water_source, n)
    lat = _as_codes("latrine", latrine, n)

    water_known = np.isin(water, [str(w) for w in WaterSource])
    latrine_known = np.isin(lat, [str(x) for x in Latrine])

    # NaN comparisons are False, so every factor below is "present on evidence" only.
    pus = (age >= rules.pus_min_age) & (age <= rules.pus_max_age)
    target = pus | (preg == 1) | (c023 == 1) | (c2459 == 1)

    terlalu_scope = pus if rules.terlalu_requires_pus else np.ones(n, dtype=bool)
    factors: dict[str, NDArray[np.bool_]] = {
        "water": water_known & ~np.isin(water, [str(w) for w in rules.improved_water]),
        "latrine": latrine_known
        & np.isin(lat, [str(x) for x in rules.improper_latrine]),
        "too_young": terlalu_scope & (age < rules.too_young_under),
        "too_old": terlalu_scope & (age > rules.too_old_over),
        "too_close": terlalu_scope & (interval < rules.too_close_under_months),
        "too_many": terlalu_scope & (count > rules.too_many_over),
    }
    missing: dict[str, NDArray[np.bool_]] = {
        "wife_age": np.isnan(age_raw),
        "pregnant": np.isnan(preg),
        "children_count": np.isnan(count),
        # An interval exists only with two or more children; ask for it only then.
        "min_birth_interval_months": np.isnan(interval) & ~(count < 2),
        "has_child_0_23": np.isnan(c023),
        "has_child_24_59": np.isnan(c2459),
        "water_source": _is_blank_code(water),
        "latrine": _is_blank_code(lat),
    }

    if rules.include_2024_factors:
        if modern_contraception is None or welfare_decile is None:
            raise ValueError(
                "modern_contraception and welfare_decile are required when "
                "include_2024_factors is on"
            )
        kb = _as_float("modern_contraception", modern_contraception, n)
        decile = _as_float("welfare_decile", welfare_decile, n)
        # "PUS not using modern contraception": a wife aged 15-49 who is not pregnant (a
        # pregnant woman is not expected to use contraception) and answered "no".
        factors["no_modern_contraception"] = pus & (kb == 0) & (preg != 1)
        factors["poorest_decile"] = decile <= rules.poorest_decile_max
        missing["modern_contraception"] = np.isnan(kb) & (preg != 1)
        missing["welfare_decile"] = np.isnan(decile)

    any_factor = np.zeros(n, dtype=bool)
    for flag in factors.values():
        any_factor |= flag
    return KrsResult(
        target_family=target,
        krs=target & any_factor,
        factors=factors,
        missing=missing,
    )


def _is_blank_code(codes: NDArray[np.object_]) -> NDArray[np.bool_]:
    ser = pd.Series(codes, dtype=object)
    return np.asarray(ser.isna() | (ser.astype(str).str.strip() == ""), dtype=bool)


# --------------------------------------------------------------------------- table layer


class _Issues:
    """Collects per-row issue texts column by column (vectorised, no row loop)."""

    def __init__(self, n: int) -> None:
        self.text: NDArray[np.object_] = np.full(n, "", dtype=object)

    def add(
        self,
        mask: NDArray[np.bool_],
        column: str,
        values: pd.Series,
        key: str,
        **fields: object,
    ) -> None:
        """`column: <reason in Bahasa Indonesia> / <in English> 'value'` on the rows of
        `mask`; the reason is catalogue entry `key` (krs.issue.*)."""
        if not mask.any():
            return
        id_ = translate(key, "id", **fields)
        en = translate(key, "en", **fields)
        shown = (
            values.astype(object)
            .where(values.notna(), "")
            .astype(str)
            .str.strip()
            .to_numpy(dtype=object)
        )
        msg = (
            np.full(mask.size, f"{column}: {id_} / {en} '", dtype=object) + shown + "'"
        )
        sep = np.where(self.text == "", "", " | ")
        self.text = np.where(mask, self.text + sep + msg, self.text)


def _clean(values: pd.Series) -> tuple[pd.Series, NDArray[np.bool_]]:
    """Lower-cased stripped text of each cell, and the mask of blank cells."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    text = text.str.replace("\u00a0", " ", regex=False).str.strip().str.lower()
    blank = text.isin(_BLANK).to_numpy()
    return text, blank


def _parse_yes_no(
    values: pd.Series, column: str, issues: _Issues
) -> NDArray[np.float64]:
    text, blank = _clean(values)
    yes = text.isin(_YES).to_numpy()
    no = text.isin(_NO).to_numpy()
    bad = ~(yes | no | blank)
    issues.add(bad, column, values, "krs.issue.not_yes_no")
    return np.where(yes, 1.0, np.where(no, 0.0, np.nan))


def _parse_number(
    values: pd.Series, column: str, issues: _Issues
) -> NDArray[np.float64]:
    """A number column read as `_NUMBERS` declares (tabular.cells); bad cells reported."""
    declared = _NUMBERS[column]
    text, blank = _clean(values)
    read = read_column(declared, text.where(~blank, None).to_numpy(dtype=object))
    arr: NDArray[np.float64] = np.where(blank, np.nan, read.values)
    low, high = declared.bounds or (-np.inf, np.inf)
    for code in ("invalid_number", "out_of_range", "not_whole"):
        at = [p.at for p in read.problems if p.code == code]
        if at:
            mask = np.zeros(len(arr), dtype=bool)
            mask[at] = True
            issues.add(
                mask,
                column,
                values,
                f"krs.issue.{code}",
                low=f"{low:g}",
                high=f"{high:g}",
            )
    return arr


def _parse_code(
    values: pd.Series,
    column: str,
    issues: _Issues,
    codes: Sequence[str],
    aliases: Mapping[str, str],
) -> NDArray[np.object_]:
    text, blank = _clean(values)
    mapped = text.map(aliases)
    text = mapped.where(mapped.notna(), text.str.replace(" ", "_", regex=False))
    known = text.isin(list(codes)).to_numpy()
    bad = ~(known | blank)
    issues.add(bad, column, values, "krs.issue.unknown_code")
    out: NDArray[np.object_] = text.to_numpy(dtype=object)
    out[~known] = None
    return out


def _resolve_columns(columns: Sequence[Any], rules: KrsRules) -> dict[str, Any]:
    """Map each expected column to the table's own header (tabular.columns.header_key:
    case, blanks and punctuation do not matter)."""
    by_text: dict[str, Any] = {}
    for col in columns:
        by_text.setdefault(str(col), col)
    found = {f: by_text[h] for f, h in _INPUTS.match(by_text).items()}
    needed = [
        c
        for c in INPUT_COLUMNS
        if c not in found and (rules.include_2024_factors or c not in _OPTIONAL_COLUMNS)
    ]
    if needed:
        raise InvalidInput(
            "kolom tidak ada / missing columns: "
            + ", ".join(needed)
            + " (expected: "
            + ", ".join(INPUT_COLUMNS)
            + ")"
        )
    return found


def classify_family_table(
    table: pd.DataFrame, rules: KrsRules | None = None
) -> pd.DataFrame:
    """Classify a family table; returns a copy with the KRS output columns appended.

    Every input column is kept unchanged. ``target_family`` and ``krs`` are ``y``/``n``;
    ``risk_factors`` and ``missing_inputs`` are ``;``-separated; ``issues`` holds one
    ``column: reason 'value'`` text per invalid cell, separated by `` | ``. Output columns
    already present (an earlier run's) are replaced. Raises
    :class:`~tumbuh.errors.InvalidInput` only when required columns are absent.
    """
    rules = rules or KrsRules()
    cols = _resolve_columns(list(table.columns), rules)
    n = len(table)
    issues = _Issues(n)

    def col(name: str) -> pd.Series:
        if name in cols:
            found: pd.Series = table[cols[name]].reset_index(drop=True)
            return found
        return pd.Series([None] * n, dtype=object)

    wife_age = _parse_number(col("wife_age"), "wife_age", issues)
    pregnant = _parse_yes_no(col("pregnant"), "pregnant", issues)
    children = _parse_number(col("children_count"), "children_count", issues)
    interval = _parse_number(
        col("min_birth_interval_months"), "min_birth_interval_months", issues
    )
    c023 = _parse_yes_no(col("has_child_0_23"), "has_child_0_23", issues)
    c2459 = _parse_yes_no(col("has_child_24_59"), "has_child_24_59", issues)
    water = _parse_code(
        col("water_source"),
        "water_source",
        issues,
        [str(w) for w in WaterSource],
        _WATER_ALIASES,
    )
    latrine = _parse_code(
        col("latrine"), "latrine", issues, [str(x) for x in Latrine], _LATRINE_ALIASES
    )
    kb = _parse_yes_no(col("modern_contraception"), "modern_contraception", issues)
    decile = _parse_number(col("welfare_decile"), "welfare_decile", issues)

    # Contradictions are reported but the data is used as given.
    young_child = (c023 == 1) | (c2459 == 1)
    issues.add(
        young_child & (children == 0),
        "children_count",
        col("children_count"),
        "krs.issue.no_children",
    )

    result = classify_krs(
        wife_age=wife_age,
        pregnant=pregnant,
        children_count=children,
        min_birth_interval_months=interval,
        has_child_0_23=c023,
        has_child_24_59=c2459,
        water_source=water,
        latrine=latrine,
        modern_contraception=kb,
        welfare_decile=decile,
        rules=rules,
    )
    # Output columns already in the table (e.g. re-classifying an earlier output) are
    # replaced, matched like the input headers; they are not inputs of the rule.
    stale = [c for c in table.columns if str(c).strip().lower() in OUTPUT_COLUMNS]
    out = table.drop(columns=stale)
    out["target_family"] = np.where(result.target_family, "y", "n")
    out["krs"] = np.where(result.krs, "y", "n")
    out["risk_factors"] = result.risk_factors_text()
    out["missing_inputs"] = result.missing_inputs_text()
    out["issues"] = issues.text
    return out


# ------------------------------------------------------------ from register member rows

_DAYS_PER_MONTH = 30.4375  # WHO anthro: 365.25 / 12
_WIFE_ROLES = frozenset({"istri", "wife"})
_HEAD_ROLES = frozenset({"kepala", "head"})
_CHILD_ROLES = frozenset({"anak", "child"})


def family_inputs(
    members: pd.DataFrame,
    families: pd.DataFrame,
    *,
    as_of: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Derive the KRS inputs of each family from register-style member and family rows.

    ``members``: ``family_id``, ``family_role`` (``kepala``/``istri``/``anak``/``lainnya``),
    ``birth_date`` and optionally ``sex`` (``F``/``P`` female). ``families``: ``family_id``,
    ``water_source``, ``latrine``, ``wife_pregnant``, ``wife_modern_contraception`` (bool or
    None), ``welfare_decile`` and optionally ``surveyed_on`` (the date ages are taken at;
    ``as_of`` is used where it is blank).

    Returns one row per family of ``families`` with the columns of :data:`INPUT_COLUMNS`
    (numbers as float, yes/no as 1.0/0.0/NaN), ready for :func:`classify_krs_frame`.
    The wife is the ``istri`` (the youngest if several), else a female head. Children are
    the ``anak`` rows: a child living elsewhere is not counted, so ``children_count`` and
    the birth interval can be understated (say so to users).
    """
    fam = families.reset_index(drop=True)
    ref = pd.to_datetime(
        fam["surveyed_on"]
        if "surveyed_on" in fam.columns
        else pd.Series(pd.NaT, fam.index),
        errors="coerce",
    )
    if as_of is not None:
        ref = ref.fillna(pd.Timestamp(as_of))
    ref_by_family = pd.Series(ref.to_numpy(), index=fam["family_id"].to_numpy())

    m = members.loc[members["family_id"].isin(fam["family_id"])].copy()
    role = m["family_role"].astype(str).str.strip().str.lower()
    birth = pd.to_datetime(m["birth_date"], errors="coerce")
    at = pd.to_datetime(m["family_id"].map(ref_by_family))
    years = at.dt.year - birth.dt.year
    before_birthday = (at.dt.month < birth.dt.month) | (
        (at.dt.month == birth.dt.month) & (at.dt.day < birth.dt.day)
    )
    m["_age_years"] = (years - before_birthday.astype("float64")).astype("float64")
    m["_age_months"] = np.floor(
        (at - birth).dt.days.astype("float64") / _DAYS_PER_MONTH
    )
    m["_birth"] = birth

    female = (
        m["sex"].astype(str).str.strip().str.upper().isin(["F", "P"])
        if "sex" in m.columns
        else pd.Series(False, index=m.index)
    )
    wives = m.loc[role.isin(_WIFE_ROLES)]
    heads = m.loc[role.isin(_HEAD_ROLES) & female]
    wife_age = wives.groupby("family_id")["_age_years"].min()
    wife_age = wife_age.combine_first(heads.groupby("family_id")["_age_years"].min())

    kids = m.loc[role.isin(_CHILD_ROLES)].sort_values(["family_id", "_birth"])
    gaps = (
        kids.groupby("family_id")["_birth"].diff().dt.days.astype("float64")
        / _DAYS_PER_MONTH
    )
    interval = gaps.groupby(kids["family_id"]).min()
    count = kids.groupby("family_id").size().astype("float64")
    age_m = kids["_age_months"]
    c023 = (age_m >= 0) & (age_m < 24)
    c2459 = (age_m >= 24) & (age_m < 60)
    has023 = c023.groupby(kids["family_id"]).any()
    has2459 = c2459.groupby(kids["family_id"]).any()

    ids = fam["family_id"]

    def per_family(values: pd.Series, default: float) -> NDArray[np.float64]:
        mapped = ids.map(values.astype("float64")).fillna(default)
        out: NDArray[np.float64] = np.asarray(mapped, dtype=np.float64)
        return out

    def yes_no(column: str) -> NDArray[np.float64]:
        if column not in fam.columns:
            return np.full(len(fam), np.nan)
        # True/False/1.0 arrive as the text "true"/"false"/"1.0".
        text, _ = _clean(fam[column])
        text = text.str.replace(r"\.0$", "", regex=True)
        yes = text.isin(_YES).to_numpy()
        no = text.isin(_NO).to_numpy()
        out: NDArray[np.float64] = np.where(yes, 1.0, np.where(no, 0.0, np.nan))
        return out

    # Without any child row, a family has no young child and 0 children (known, not blank).
    return pd.DataFrame(
        {
            "family_id": ids.to_numpy(),
            "wife_age": per_family(wife_age, np.nan),
            "pregnant": yes_no("wife_pregnant"),
            "children_count": per_family(count, 0.0),
            "min_birth_interval_months": per_family(interval, np.nan),
            "has_child_0_23": per_family(has023, 0.0),
            "has_child_24_59": per_family(has2459, 0.0),
            "water_source": fam["water_source"].to_numpy(dtype=object)
            if "water_source" in fam.columns
            else None,
            "latrine": fam["latrine"].to_numpy(dtype=object)
            if "latrine" in fam.columns
            else None,
            "modern_contraception": yes_no("wife_modern_contraception"),
            "welfare_decile": pd.to_numeric(
                fam.get("welfare_decile", pd.Series(np.nan, fam.index)),
                errors="coerce",
            ).to_numpy(dtype=np.float64, na_value=np.nan),
        }
    )


def classify_krs_frame(
    inputs: pd.DataFrame, rules: KrsRules | None = None
) -> KrsResult:
    """:func:`classify_krs` over a frame with the :data:`INPUT_COLUMNS` (parsed values)."""
    n = len(inputs)

    def get(name: str) -> Any:
        if name in inputs.columns:
            return inputs[name].to_numpy()
        return np.full(n, np.nan)

    return classify_krs(
        wife_age=get("wife_age").astype(np.float64),
        pregnant=get("pregnant").astype(np.float64),
        children_count=get("children_count").astype(np.float64),
        min_birth_interval_months=get("min_birth_interval_months").astype(np.float64),
        has_child_0_23=get("has_child_0_23").astype(np.float64),
        has_child_24_59=get("has_child_24_59").astype(np.float64),
        water_source=np.asarray(get("water_source"), dtype=object),
        latrine=np.asarray(get("latrine"), dtype=object),
        modern_contraception=get("modern_contraception").astype(np.float64),
        welfare_decile=get("welfare_decile").astype(np.float64),
        rules=rules,
    )


def krs_at(
    members: pd.DataFrame,
    families: pd.DataFrame,
    as_of: pd.Timestamp | dt.date | str,
    rules: KrsRules | None = None,
) -> KrsResult:
    """KRS status of each row of `families` at `as_of`, ages taken at that date (not at the
    survey date: who is at risk at the end of a period). The one rule behind every KRS count
    of a period: the indicator engine's ``krs_families``, the gap list and the visit list.
    Columns as :func:`family_inputs`; ``surveyed_on`` is ignored."""
    fam = families.drop(columns=["surveyed_on"], errors="ignore")
    return classify_krs_frame(
        family_inputs(members, fam, as_of=pd.Timestamp(as_of)), rules
    )
