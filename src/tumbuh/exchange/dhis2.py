"""DHIS2 exchange: ``dataValueSets`` JSON and ADX XML out, the same files back in.

Out: the kab/kota figures of :func:`tumbuh.exchange.values.routine_figures`, one data
element per indicator and measure (``TUMBUH_STUNTING_PCT``, ``TUMBUH_STUNTING_N``, ...),
org units by Kemendagri code (``64.72``) and periods in DHIS2 syntax (``2025``, ``2025Q3``,
``202508``). Codes go with ``idScheme: CODE``; a mapping file (CSV ``type,code,uid``, type
``orgUnit``/``dataElement``/``dataSet``) puts an instance's own UIDs in instead
(``idScheme: UID``).

In: such a file (JSON or ADX, codes or mapped UIDs) becomes published routine figures
(`tumbuh.surveillance`: source ``DHIS2``, kind ``routine``), through the same import as a
figures CSV, so re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError, InvalidInput
from tumbuh.exchange.periods import parse_period
from tumbuh.exchange.values import INDICATORS, Figure
from tumbuh.i18n import translate
from tumbuh.register.models import Region
from tumbuh.surveillance.service import Layout, import_file
from tumbuh.tabular.issues import ImportReport, RowIssue

__all__ = [
    "DATA_SET",
    "IdMap",
    "data_element",
    "data_value_set",
    "import_dhis2",
    "read_mapping",
    "write_adx",
    "write_json",
]

DATA_SET = "TUMBUH_GIZI"
ADX_NS = "urn:ihe:qrph:adx:2015"
SOURCE = "DHIS2"
_ELEMENT = re.compile(r"^TUMBUH_([A-Z_]+)_(PCT|N)$")
_REGION = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
_TYPES = ("orgUnit", "dataElement", "dataSet")
_FIGURE_COLUMNS = (
    "region_code",
    "region_name",
    "year",
    "source",
    "kind",
    "indicator",
    "value_pct",
    "n",
    "confidence",
    "citation",
    "note",
)


def data_element(indicator: str, measure: str) -> str:
    """The data element code of an indicator's value (``PCT``) or denominator (``N``)."""
    return f"TUMBUH_{indicator.upper()}_{measure}"


@dataclass(frozen=True)
class IdMap:
    """tumbuh codes <-> a DHIS2 instance's UIDs, by type."""

    to_uid: dict[str, dict[str, str]] = field(default_factory=dict)

    def uid(self, kind: str, code: str) -> str:
        return self.to_uid.get(kind, {}).get(code, code)

    def code(self, kind: str, uid: str) -> str:
        for code, value in self.to_uid.get(kind, {}).items():
            if value == uid:
                return code
        return uid

    @property
    def empty(self) -> bool:
        return not any(self.to_uid.values())


def read_mapping(path: Path | None) -> IdMap:
    """A mapping file (CSV ``type,code,uid``); None gives the empty mapping (codes)."""
    if path is None:
        return IdMap()
    out: dict[str, dict[str, str]] = {t: {} for t in _TYPES}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if set(reader.fieldnames or ()) < {"type", "code", "uid"}:
            raise InvalidInput(
                f"{path}: a mapping file needs the columns type,code,uid"
            )
        for line, rec in enumerate(reader, start=2):
            kind = (rec["type"] or "").strip()
            if kind not in _TYPES:
                raise InvalidInput(
                    f"{path}, row {line}, column type: {kind!r} is not one of "
                    + ", ".join(_TYPES)
                )
            out[kind][(rec["code"] or "").strip()] = (rec["uid"] or "").strip()
    return IdMap(out)


def data_value_set(
    figures: Sequence[Figure], mapping: IdMap | None = None
) -> dict[str, Any]:
    """The DHIS2 ``dataValueSets`` payload of `figures` (values as DHIS2 strings)."""
    m = mapping or IdMap()
    values: list[dict[str, str]] = []
    for f in figures:
        org = m.uid("orgUnit", f.region_code)
        for measure, value in (("PCT", f"{f.value_pct:.2f}"), ("N", f"{f.n}")):
            if measure == "N" and f.n is None:
                continue
            values.append(
                {
                    "dataElement": m.uid(
                        "dataElement", data_element(f.indicator, measure)
                    ),
                    "period": f.period.dhis2,
                    "orgUnit": org,
                    "value": value,
                }
            )
    scheme = "CODE" if m.empty else "UID"
    return {
        "dataSet": m.uid("dataSet", DATA_SET),
        "idScheme": scheme,
        "dataElementIdScheme": scheme,
        "orgUnitIdScheme": scheme,
        "dataValues": values,
    }


def write_json(
    figures: Sequence[Figure], path: Path, mapping: IdMap | None = None
) -> int:
    """Write the dataValueSets JSON; return the number of data values."""
    payload = data_value_set(figures, mapping)
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return len(payload["dataValues"])


def write_adx(
    figures: Sequence[Figure], path: Path, mapping: IdMap | None = None
) -> int:
    """Write the same values as ADX XML (one ``group`` per org unit and period)."""
    payload = data_value_set(figures, mapping)
    root = etree.Element(f"{{{ADX_NS}}}adx", nsmap={None: ADX_NS})
    groups: dict[tuple[str, str], Any] = {}
    for v in payload["dataValues"]:
        key = (v["orgUnit"], v["period"])
        if key not in groups:
            groups[key] = etree.SubElement(
                root,
                f"{{{ADX_NS}}}group",
                orgUnit=v["orgUnit"],
                period=parse_period(v["period"]).adx,
                dataSet=payload["dataSet"],
            )
        etree.SubElement(
            groups[key],
            f"{{{ADX_NS}}}dataValue",
            dataElement=v["dataElement"],
            value=v["value"],
        )
    path.write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
    return len(payload["dataValues"])


# --------------------------------------------------------------------------- reading


def _read_values(path: Path) -> list[dict[str, str]]:
    """The data values of a dataValueSets JSON or an ADX XML file, in file order."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    text = raw.lstrip()
    if text.startswith(b"<"):
        try:
            root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as exc:
            raise ImportFileError(f"{path.name}: not well-formed XML ({exc})") from exc
        if etree.QName(root).localname != "adx":
            raise ImportFileError(f"{path.name}: an XML file but not ADX (<adx> root)")
        out = []
        for group in root:
            if (
                not isinstance(group.tag, str)
                or etree.QName(group).localname != "group"
            ):
                continue
            for dv in group:
                if isinstance(dv.tag, str) and etree.QName(dv).localname == "dataValue":
                    out.append(
                        {
                            "orgUnit": group.get("orgUnit", ""),
                            "period": group.get("period", ""),
                            "dataElement": dv.get("dataElement", ""),
                            "value": dv.get("value", ""),
                        }
                    )
        return out
    try:
        payload = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(
            f"{path.name}: neither dataValueSets JSON nor ADX XML ({exc})"
        ) from exc
    values = payload.get("dataValues") if isinstance(payload, dict) else None
    if not isinstance(values, list):
        raise ImportFileError(f"{path.name}: no dataValues list (DHIS2 dataValueSets)")
    return [
        {k: str(v.get(k, "")) for k in ("orgUnit", "period", "dataElement", "value")}
        if isinstance(v, dict)
        else {}
        for v in values
    ]


def _issue(
    path: Path,
    row: int,
    column: str,
    code: str,
    key: str,
    cell: str,
    /,
    **values: object,
) -> RowIssue:
    """A row problem said by catalogue entry ``key`` (``dhis2.issue.*``) in both languages."""
    said_id, said_en = translate(key, "id", **values), translate(key, "en", **values)
    return RowIssue(path.name, row, column, code, said_id, said_en, value=cell)


def import_dhis2(
    session: Session, *, path: Path, mapping: IdMap | None = None
) -> ImportReport:
    """Read a DHIS2 file back as published routine figures (flushes, never commits).

    Rows are the data values in file order (1 = the first); a value that cannot be used
    is reported (file, row, column, reason) and the others still go in.
    """
    m = mapping or IdMap()
    values = _read_values(path)
    issues: list[RowIssue] = []
    pairs: dict[tuple[str, str, str], dict[str, float]] = {}
    first_row: dict[tuple[str, str, str], int] = {}
    for row, v in enumerate(values, start=1):
        element = m.code("dataElement", v.get("dataElement", "").strip())
        org = m.code("orgUnit", v.get("orgUnit", "").strip())
        match = _ELEMENT.match(element)
        indicator = match[1].lower() if match else ""
        if not match or indicator not in (*INDICATORS, "coverage"):
            issues.append(_issue(
                path, row, "dataElement", "unknown_data_element",
                "dhis2.issue.unknown_data_element", element, value=repr(element),
            ))  # fmt: skip
            continue
        if not _REGION.match(org):
            issues.append(_issue(
                path, row, "orgUnit", "invalid_region_code",
                "dhis2.issue.invalid_region_code", org, value=repr(org),
            ))  # fmt: skip
            continue
        try:
            period = parse_period(v.get("period", ""))
        except InvalidInput:
            issues.append(_issue(
                path, row, "period", "invalid_period", "dhis2.issue.invalid_period",
                v.get("period", ""), value=repr(v.get("period")),
            ))  # fmt: skip
            continue
        try:
            number = float(v.get("value", "").strip())
        except ValueError:
            issues.append(_issue(
                path, row, "value", "invalid_number", "dhis2.issue.invalid_number",
                v.get("value", ""), value=repr(v.get("value")),
            ))  # fmt: skip
            continue
        measure = match[2]
        if (measure == "PCT" and not 0 <= number <= 100) or (
            measure == "N" and (number < 0 or number != int(number))
        ):
            issues.append(_issue(
                path, row, "value", "out_of_range",
                "dhis2.issue.out_of_range_pct" if measure == "PCT"
                else "dhis2.issue.out_of_range_n",
                v.get("value", ""), value=repr(v.get("value")),
            ))  # fmt: skip
            continue
        key = (org, period.dhis2, indicator)
        pairs.setdefault(key, {})[measure] = number
        first_row.setdefault(key, row)
    names = _region_names(session, {k[0] for k in pairs})
    with tempfile.TemporaryDirectory(prefix="tumbuh-dhis2-") as tmp:
        csv_path = Path(tmp) / f"{path.stem}.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=_FIGURE_COLUMNS)
            writer.writeheader()
            for (org, period_id, indicator), got in pairs.items():
                if "PCT" not in got:
                    issues.append(_issue(
                        path, first_row[(org, period_id, indicator)], "dataElement",
                        "missing_value", "dhis2.issue.only_n", data_element(indicator, "N"),
                        indicator=indicator, org=org, period=period_id,
                    ))  # fmt: skip
                    continue
                n = got.get("N")
                writer.writerow(
                    {
                        "region_code": org,
                        "region_name": names.get(org, org),
                        "year": period_id[:4],
                        "source": SOURCE,
                        "kind": "routine",
                        "indicator": indicator,
                        "value_pct": f"{got['PCT']:g}",
                        "n": "" if n is None else f"{int(n)}",
                        "confidence": "primary",
                        "citation": f"DHIS2 dataValueSet {DATA_SET}, period {period_id}",
                        "note": "imported from DHIS2",
                    }
                )
        report = import_file(session, path=csv_path, layout=Layout.figures)
    report.kind = "dhis2"
    report.files = [path.name]
    report.read = len(values)
    report.rejected += len(issues)
    report.issues = sorted([*issues, *report.issues], key=lambda i: i.row)
    return report


def _region_names(session: Session, codes: set[str]) -> Mapping[str, str]:
    if not codes:
        return {}
    rows = session.execute(
        select(Region.code, Region.name).where(Region.code.in_(sorted(codes)))
    )
    return {str(row[0]): str(row[1]) for row in rows}
