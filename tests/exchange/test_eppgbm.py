"""The e-PPGBM upload file: what tumbuh recorded, in the layout its own e-PPGBM importer
reads; imported into an empty register it gives the same measurements."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.imports.service import run_import
from tumbuh.models import Base
from tumbuh.register.models import Measurement, Person
from tumbuh.register.regions import load_regions

runner = CliRunner()


def _measurements(engine: Engine) -> set[tuple[object, ...]]:
    with unit_of_work(engine) as s:
        rows = s.execute(
            select(
                Person.nik, Person.name, Person.sex, Person.birth_date,
                Measurement.measured_on, Measurement.desa_code, Measurement.weight_kg,
                Measurement.lenhei_cm, Measurement.measure, Measurement.muac_cm,
                Measurement.headc_cm, Measurement.zlen,
            ).join(Person, Person.id == Measurement.person_id)
        ).all()  # fmt: skip
    return {tuple(r) for r in rows}


def test_the_upload_file_imports_back_as_the_same_measurements(
    register_url: str, accounts: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "upload.csv"
    result = runner.invoke(
        app,
        ["--lang", "en", "export", "eppgbm", "--region", "64", "-o", str(out), "--user",
         accounts["province_admin"], "--db", register_url],
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    assert "96 measurements" in result.output

    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    source = make_engine(register_url)
    try:
        create_schema(fresh, Base.metadata)
        with unit_of_work(fresh) as s:
            load_regions(s)
        report = run_import(fresh, kind="eppgbm", paths=[out])
        assert report.rejected == 0, report.issues[:3]
        assert report.inserted == 96
        assert _measurements(fresh) == _measurements(source)
        again = run_import(fresh, kind="eppgbm", paths=[out])
        assert (again.inserted, again.updated) == (0, 0)
    finally:
        fresh.dispose()
        source.dispose()


def test_without_full_nik_rights_the_file_has_no_nik(
    register_url: str, accounts: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "upload.csv"
    result = runner.invoke(
        app,
        ["export", "eppgbm", "--region", "64.02", "-o", str(out), "--user",
         accounts["district_analyst"], "--db", register_url],
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 48
    header = lines[0].split(",")
    nik = header.index("NIK")
    assert all(line.split(",")[nik] == "" for line in lines[1:])
    assert all(",64.02." in line for line in lines[1:])
