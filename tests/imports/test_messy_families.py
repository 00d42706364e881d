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


def test_a_long_name_and_any_members_bad_decile_are_said_on_their_rows(
    db: Session, tmp_path: Path
) -> None:
    lines = (EXAMPLES / "families.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    first, second = lines[1].split(","), lines[2].split(",")
    assert first[header.index("No KK")] == second[header.index("No KK")]
    first[header.index("Nama")] = "A" * 300
    second[header.index("Desil")] = (
        "-3"  # not the row the family's decile is taken from
    )
    path = tmp_path / "families.csv"
    path.write_text(
        "\n".join([lines[0], ",".join(first), ",".join(second)]) + "\n",
        encoding="utf-8",
    )

    report = ImportReport(kind="families")
    import_file(db, kind="families", path=path, report=report)

    assert (report.inserted, report.rejected) == (2, 0)
    assert [(i.row, i.column, i.code, i.value) for i in report.issues] == [
        (2, "Nama", "text_cut", "300 → 160"),
        (3, "Desil", "invalid_choice", "-3"),
    ]
    nik = first[header.index("NIK")]
    assert db.scalars(select(Person.name).where(Person.nik == nik)).one() == "A" * 160
