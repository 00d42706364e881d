"""Screening measurements written in another unit (issue 13's units and plausibility, for
the screening file): read in the right unit when exactly one reading fits, reported on the
row; anything else outside the plausible range reported and left out, never stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tumbuh.imports.service import import_file
from tumbuh.register.models import Screening
from tumbuh.tabular.issues import ImportReport

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("column", "written", "stored", "code"),
    [
        ("LiLA", "225", 22.5, "muac_mm"),
        ("Hb", "104", 10.4, "hb_g_per_l"),
        ("Berat", "48000", 48.0, "weight_grams"),
        ("Berat", "480", 48.0, "weight_decimal_lost"),
        ("Tinggi", "1.49", 149.0, "height_metres"),
        ("Tinggi", "1490", 149.0, "height_decimal_lost"),
        ("Hb", "-2", None, "hb_implausible"),
        ("LiLA", "2", None, "muac_implausible"),
        ("Usia Kehamilan", "60", None, "value_implausible"),
    ],
)
def test_a_value_in_another_unit(
    db: Session,
    tmp_path: Path,
    column: str,
    written: str,
    stored: float | None,
    code: str,
) -> None:
    lines = (EXAMPLES / "screenings.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index(column)] = written
    path = tmp_path / "screenings.csv"
    path.write_text("\n".join([lines[0], ",".join(cells)]) + "\n", encoding="utf-8")

    report = ImportReport(kind="screenings")
    import_file(db, kind="screenings", path=path, report=report)

    assert (report.inserted, report.rejected) == (1, 0)
    [issue] = report.issues
    assert (issue.row, issue.column, issue.code) == (2, column, code)
    field = {
        "LiLA": Screening.muac_cm,
        "Hb": Screening.hb_g_dl,
        "Berat": Screening.weight_kg,
        "Tinggi": Screening.height_cm,
        "Usia Kehamilan": Screening.gestational_weeks,
    }[column]
    assert db.scalars(select(field)).one() == stored
