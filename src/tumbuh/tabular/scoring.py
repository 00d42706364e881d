"""Score a table chunk with the WHO growth kernel: text cells in, anthro columns out.

Used by ``tumbuh zscore`` and by importers: it parses the mapped input columns
(numbers with decimal commas, sex codes, dates, measure and oedema codes), computes
age from dates when there is no age column, calls :mod:`tumbuh.growth`, and returns
the anthro (WHO 2006) or anthroplus (WHO 2007) output columns plus one ``issues``
text per row. A row with an invalid value keeps empty outputs and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from tumbuh.growth import DAYS_PER_MONTH, zscores, zscores_who2007
from tumbuh.i18n import translate
from tumbuh.tabular.issues import RowIssue, Severity
from tumbuh.tabular.mapping import ColumnMapping
from tumbuh.tabular.parse import (
    Parsed,
    parse_date,
    parse_measure,
    parse_number,
    parse_oedema,
    parse_sex,
    text_array,
)
from tumbuh.tabular.readers import ROW_COLUMN

__all__ = [
    "DAYS_PER_MONTH",
    "ScoredChunk",
    "Standard",
    "plan_inputs",
    "row_issue",
    "score_chunk",
]

Standard = Literal["who2006", "who2007"]
AgeUnit = Literal["days", "months"]


_MEASUREMENTS_2006 = {
    "weight": ("weight_kg", "weight"),
    "lenhei": ("lenhei_cm", "length/height"),
    "headc": ("headc_cm", "head circumference"),
    "armc": ("armc_cm", "arm circumference"),
    "triskin": ("triskin_mm", "triceps skinfold"),
    "subskin": ("subskin_mm", "subscapular skinfold"),
}
_MEASUREMENTS_2007 = {
    "weight": ("weight_kg", "weight"),
    "lenhei": ("height_cm", "height"),
}
_TRUE = {"true", "t", "1", "yes", "y", "ya"}
_FALSE = {"false", "f", "0", "no", "n", "tidak"}


@dataclass
class InputPlan:
    """Which columns feed the kernel and how age is obtained."""

    mapping: ColumnMapping
    standard: Standard
    age_unit: AgeUnit
    age_from_dates: bool
    missing: list[str] = field(default_factory=list)  # required inputs not found


def plan_inputs(
    mapping: ColumnMapping, *, standard: Standard, age_unit: AgeUnit | None
) -> InputPlan:
    """Decide the age source and unit; list required inputs that are missing.

    Age comes from the age column when there is one (unit: ``age_unit``, else what the
    column's name says, else days for WHO 2006 and months for WHO 2007), otherwise from
    birth and measurement dates (exact days).
    """
    has_age = mapping.get("age") is not None
    from_dates = (
        not has_age
        and mapping.get("birth_date") is not None
        and mapping.get("measure_date") is not None
    )
    if from_dates:
        unit: AgeUnit = "days"
    elif age_unit is not None:
        unit = age_unit
    elif mapping.age_unit is not None:
        unit = mapping.age_unit
    else:
        unit = "months" if standard == "who2007" else "days"
    missing = []
    if mapping.get("sex") is None:
        missing.append("sex")
    if not has_age and not from_dates:
        missing.append("age (or birth date + measurement date)")
    if mapping.get("weight") is None and mapping.get("lenhei") is None:
        missing.append("weight or length/height")
    return InputPlan(mapping, standard, unit, from_dates, missing)


@dataclass
class ScoredChunk:
    """Computed columns for one chunk (same row order) and the row problems found."""

    table: pa.Table  # computed columns + "issues" (null for good rows)
    issues: list[RowIssue]
    bad_rows: int
    # Rows scored but with a z-score beyond the WHO plausibility limits (flag = 1): kept,
    # as in WHO anthro, and said in `issues` (a WAZ of 5405.79 is a unit error, not a child).
    flagged_rows: int = 0


def row_issue(
    file: str,
    row: int,
    column: str | None,
    code: str,
    message_id: str,
    message_en: str,
    value: object = None,
) -> RowIssue:
    """One row problem; the offending cell, when there is one, is quoted after the
    messages (``not a number (weight) '7,x'``) and kept as text in ``value``."""
    shown = "" if value is None else f" {value!r}"
    return RowIssue(
        file=file,
        row=row,
        column=column,
        code=code,
        message_id=f"{message_id}{shown}",
        message_en=f"{message_en}{shown}",
        value=None if value is None else str(value),
    )


class _Problems:
    """Collects per-row messages and RowIssues while parsing a chunk."""

    def __init__(self, n: int, rows: npt.NDArray[np.int64], file: str) -> None:
        self.n = n
        self.rows = rows
        self.file = file
        self.texts: dict[int, list[str]] = {}
        self.bad = np.zeros(n, dtype=bool)
        self.issues: list[RowIssue] = []

    def add(
        self,
        mask: npt.NDArray[np.bool_],
        column: str | None,
        code: str,
        key: str,
        values: list[Any] | None = None,
        **fields: object,
    ) -> None:
        """Rows ``mask`` have problem ``code``, said by catalogue entry ``key``
        (``score.issue.*``) in both languages."""
        idn, en = translate(key, "id", **fields), translate(key, "en", **fields)
        where = f"{column}: " if column else ""
        for i in np.flatnonzero(mask):
            issue = row_issue(
                self.file,
                int(self.rows[i]),
                column,
                code,
                f"{where}{idn}",
                f"{where}{en}",
                None if values is None else values[i],
            )
            self.texts.setdefault(int(i), []).append(issue.message_en)
            self.issues.append(issue)
        self.bad |= mask


def _column(text: pa.Table, name: str | None) -> pa.Array | None:
    if name is None:
        return None
    col = text.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _number(
    text: pa.Table, name: str | None, what: str, p: _Problems
) -> npt.NDArray[np.float64] | None:
    col = _column(text, name)
    if col is None:
        return None
    res = parse_number(col)
    if res.failed.any():
        p.add(
            res.failed,
            name,
            "invalid_number",
            "score.issue.invalid_number",
            col.to_pylist(),
            what=what,
        )
    return np.asarray(res.values, dtype=np.float64)


def _codes(
    text: pa.Table,
    name: str | None,
    parser: Callable[[pa.Array], Parsed],
    code: str,
    p: _Problems,
) -> Parsed | None:
    """The coded column `name` parsed (None when it is not mapped); unknown codes are
    row problems."""
    col = _column(text, name) if name else None
    if col is None:
        return None
    parsed = parser(col)
    if parsed.failed.any():
        p.add(parsed.failed, name, code, f"score.issue.{code}", col.to_pylist())
    return parsed


def _month_flags(col: pa.Array) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    low = pc.utf8_lower(text_array(col))
    true = pc.fill_null(pc.is_in(low, value_set=pa.array(sorted(_TRUE))), False)
    false = pc.fill_null(pc.is_in(low, value_set=pa.array(sorted(_FALSE))), False)
    valid = pc.is_valid(low)
    t = np.asarray(true.to_numpy(zero_copy_only=False), dtype=bool)
    f = np.asarray(false.to_numpy(zero_copy_only=False), dtype=bool)
    v = np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool)
    return t, v & ~t & ~f


def _to_arrow(values: Any, n: int) -> pa.Array:
    arr = np.asarray(values)
    if arr.shape != (n,):
        arr = np.broadcast_to(arr, (n,))
    if arr.dtype.kind == "f":
        return pa.array(arr, type=pa.float64(), from_pandas=True)
    if arr.dtype.kind in "iub":
        return pa.array(arr)
    try:
        return pa.array(arr, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in arr], pa.string())


def _kernel_issue_list(result: Any, n: int) -> list[str | None]:
    issues = getattr(result, "issues", None)
    out: list[str | None] = [None] * n
    if issues is None:
        return out
    arr = np.asarray(issues, dtype=object)
    present = np.fromiter((v is not None for v in arr), dtype=bool, count=len(arr))
    for i in np.flatnonzero(present):
        v = arr[i]
        if v != "" and not (isinstance(v, float) and v != v):
            out[i] = str(v)
    return out


def _call_2006(kw: dict[str, Any]) -> tuple[dict[str, Any], list[str | None]]:
    n = len(kw["sex"])
    r = zscores(**kw, validate="row")
    return dict(r.to_dict()), _kernel_issue_list(r, n)


def score_chunk(text: pa.Table, plan: InputPlan, *, file: str = "") -> ScoredChunk:
    """Score one all-text chunk (as from ``TableSource.chunks()``) with the WHO kernel."""
    n = text.num_rows
    m = plan.mapping
    rows = (
        np.asarray(text.column(ROW_COLUMN).to_numpy(), dtype=np.int64)
        if ROW_COLUMN in text.column_names
        else np.arange(2, n + 2, dtype=np.int64)
    )
    p = _Problems(n, rows, file)

    sex = _codes(
        text,
        m.get("sex"),
        parse_sex,
        "invalid_sex",
        p,
    )
    sex_values = sex.values if sex is not None else np.full(n, np.nan)

    # Age
    age: npt.NDArray[np.float64] | None = None
    months_rows = (
        np.zeros(n, dtype=bool) if plan.age_unit == "days" else np.ones(n, dtype=bool)
    )
    if plan.age_from_dates:
        bcol, mcol = m.get("birth_date"), m.get("measure_date")
        dates = []
        for name in (bcol, mcol):
            col = _column(text, name)
            assert col is not None
            res = parse_date(col)
            if res.failed.any():
                p.add(
                    res.failed,
                    name,
                    "invalid_date",
                    "score.issue.invalid_date",
                    col.to_pylist(),
                )
            dates.append(res.values)
        delta = (dates[1] - dates[0]).astype("m8[D]")
        age = np.where(np.isnat(delta), np.nan, delta.astype(np.float64))
        neg = age < 0
        if neg.any():
            p.add(
                neg,
                mcol,
                "measured_before_birth",
                "score.issue.measured_before_birth",
            )
    else:
        age = _number(text, m.get("age"), "age", p)
        if age is not None:
            neg = age < 0
            if neg.any():
                p.add(
                    neg,
                    m.get("age"),
                    "negative_age",
                    "score.issue.negative_age",
                    _column(text, m.get("age")).to_pylist(),  # type: ignore[union-attr]
                )
        flag_col = m.get("age_is_months")
        if flag_col is not None and plan.standard == "who2006":
            months_rows, bad_flag = _month_flags(_column(text, flag_col))  # type: ignore[arg-type]
            if bad_flag.any():
                p.add(
                    bad_flag,
                    flag_col,
                    "invalid_flag",
                    "score.issue.invalid_flag",
                )
    if age is None:
        age = np.full(n, np.nan)

    if plan.standard == "who2006":
        table_cols = _score_2006(text, plan, p, sex_values, age, months_rows, n)
    else:
        table_cols = _score_2007(text, plan, p, sex_values, age, months_rows, n)
    if plan.age_from_dates:
        table_cols = {"age_days": age, **table_cols}
    flagged = _flag_problems(table_cols, p, n)
    scored = _finish(table_cols, p, n)
    scored.flagged_rows = flagged
    return scored


# Plausibility flags of the kernels' outputs (anthro and anthroplus) and the z-score each
# one is about.
_FLAGS = {
    "flen": "zlen", "fwei": "zwei", "fwfl": "zwfl", "fbmi": "zbmi", "fhc": "zhc",
    "fac": "zac", "fts": "zts", "fss": "zss",
    "fhfa": "zhfa", "fwfa": "zwfa", "fbfa": "zbfa",
}  # fmt: skip


def _flag_problems(cols: dict[str, Any], p: _Problems, n: int) -> int:
    """Rows (not bad otherwise) with a flagged z-score: an issue each, outputs kept."""
    hits: dict[int, list[str]] = {}
    for flag, zname in _FLAGS.items():
        if flag not in cols:
            continue
        with np.errstate(invalid="ignore"):
            on = np.asarray(cols[flag], dtype=np.float64) == 1
        z = np.asarray(cols.get(zname, np.full(n, np.nan)), dtype=np.float64)
        for i in np.flatnonzero(on & ~p.bad).tolist():
            hits.setdefault(i, []).append(f"{zname} {z[i]:.2f}")
    for i, parts in sorted(hits.items()):
        shown = ", ".join(parts)
        issue = replace(
            row_issue(
                p.file,
                int(p.rows[i]),
                None,
                "z_flagged",
                translate("score.issue.z_flagged", "id", values=shown),
                translate("score.issue.z_flagged", "en", values=shown),
            ),
            severity=Severity.warning,
        )
        p.texts.setdefault(i, []).append(issue.message_en)
        p.issues.append(issue)
    return len(hits)


def _common_inputs(
    text: pa.Table,
    plan: InputPlan,
    p: _Problems,
    sex: npt.NDArray[np.float64],
    measurements: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    """Kernel arguments both standards share: sex, the measurements and oedema."""
    m = plan.mapping
    kw: dict[str, Any] = {"sex": sex}
    for canon, (arg, what) in measurements.items():
        vals = _number(text, m.get(canon), what, p)
        if vals is not None:
            kw[arg] = vals
    oed = _codes(
        text,
        m.get("oedema"),
        parse_oedema,
        "invalid_oedema",
        p,
    )
    if oed is not None:
        kw["oedema"] = oed.values
    return kw


def _score_2006(
    text: pa.Table,
    plan: InputPlan,
    p: _Problems,
    sex: npt.NDArray[np.float64],
    age: npt.NDArray[np.float64],
    months_rows: npt.NDArray[np.bool_],
    n: int,
) -> dict[str, Any]:
    m = plan.mapping
    kw = _common_inputs(text, plan, p, sex, _MEASUREMENTS_2006)
    meas = _codes(
        text,
        m.get("measure"),
        parse_measure,
        "invalid_measure",
        p,
    )
    if meas is not None:
        kw["measure"] = meas.values
    # The kernel is given clean inputs only: cells that failed to parse are NaN/None
    # already, and rows with any problem get their outputs blanked afterwards.
    if months_rows.all():
        out, kissues = _call_2006({**kw, "age_months": age})
    elif not months_rows.any():
        out, kissues = _call_2006({**kw, "age_days": age})
    else:
        out, kissues = _merge_calls(kw, age, months_rows, n)
    _kernel_problems(p, kissues)
    return out


def _merge_calls(
    kw: dict[str, Any],
    age: npt.NDArray[np.float64],
    months_rows: npt.NDArray[np.bool_],
    n: int,
) -> tuple[dict[str, Any], list[str | None]]:
    """Rows with ages in months and rows with ages in days, scored separately."""
    idx_m = np.flatnonzero(months_rows)
    idx_d = np.flatnonzero(~months_rows)
    sub = {k: np.asarray(v) for k, v in kw.items()}
    out_m, iss_m = _call_2006(
        {k: v[idx_m] for k, v in sub.items()} | {"age_months": age[idx_m]}
    )
    out_d, iss_d = _call_2006(
        {k: v[idx_d] for k, v in sub.items()} | {"age_days": age[idx_d]}
    )
    merged: dict[str, Any] = {}
    for name in out_d:
        a_m, a_d = np.asarray(out_m[name]), np.asarray(out_d[name])
        dtype = np.result_type(a_m, a_d) if a_m.dtype.kind == a_d.dtype.kind else object
        full = np.empty(n, dtype=dtype)
        full[idx_m] = a_m
        full[idx_d] = a_d
        merged[name] = full
    issues: list[str | None] = [None] * n
    for j, i in enumerate(idx_m):
        issues[i] = iss_m[j]
    for j, i in enumerate(idx_d):
        issues[i] = iss_d[j]
    return merged, issues


def _score_2007(
    text: pa.Table,
    plan: InputPlan,
    p: _Problems,
    sex: npt.NDArray[np.float64],
    age: npt.NDArray[np.float64],
    months_rows: npt.NDArray[np.bool_],
    n: int,
) -> dict[str, Any]:
    kw = _common_inputs(text, plan, p, sex, _MEASUREMENTS_2007)
    age_months = age if plan.age_unit == "months" else age / DAYS_PER_MONTH
    r = zscores_who2007(**kw, age_months=age_months, validate="row")
    _kernel_problems(p, _kernel_issue_list(r, n))
    return dict(r.to_dict())


def _kernel_problems(p: _Problems, kissues: list[str | None]) -> None:
    for i, msg in enumerate(kissues):
        if msg is None:
            continue
        if not p.bad[i]:
            p.texts.setdefault(i, []).append(msg)
            p.bad[i] = True
            p.issues.append(
                row_issue(p.file, int(p.rows[i]), None, "invalid_input", msg, msg)
            )


def _finish(cols: dict[str, Any], p: _Problems, n: int) -> ScoredChunk:
    arrays = []
    names = []
    bad = pa.array(p.bad)
    for name, values in cols.items():
        arr = _to_arrow(values, n)
        if p.bad.any():
            arr = pc.if_else(bad, pa.scalar(None, arr.type), arr)
        arrays.append(arr)
        names.append(name)
    if p.texts:
        issue_text: list[str | None] = [None] * n
        for i, texts in p.texts.items():
            issue_text[i] = "; ".join(texts)
        arrays.append(pa.array(issue_text, pa.string()))
    else:
        arrays.append(pa.nulls(n, pa.string()))
    names.append("issues")
    return ScoredChunk(
        table=pa.table(arrays, names=names),
        issues=p.issues,
        bad_rows=int(p.bad.sum()),
    )
