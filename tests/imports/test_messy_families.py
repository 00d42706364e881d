"""Family files as they come (issue 13's "files no one here wrote"): a member whose birth
date cannot be read is kept, with the reason on its row, instead of stopping the file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tumbuh.imports.service import import_file
from tumbuh.register.models import Person
from tumbuh.tabular.issues import ImportReport

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_an_unreadable_birth_date_is_an_issue_not_a_crash(
    db: Session, tmp_path: Path
) -> None:
    lines = (EXAMPLES / "families.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    born = header.index("Tgl Lahir")
    cells = lines[2].split(",")
    nik = cells[header.index("NIK")]
    cells[born] = "31/02/1990"  # no such day
    lines[2] = ",".join(cells)
    path = tmp_path / "families.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = ImportReport(kind="families")
    import_file(db, kind="families", path=path, report=report)

    assert (report.read, report.inserted, report.rejected) == (7, 7, 0)
    [issue] = [i for i in report.issues if i.row == 3]
    assert (issue.column, issue.code, issue.value) == (
        "Tgl Lahir",
        "invalid_date",
        "31/02/1990",
    )
    person = db.scalars(select(Person).where(Person.nik == nik)).one()
    assert person.birth_date is None
