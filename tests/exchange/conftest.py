"""A register with measured children in two kab/kota of Kalimantan Timur, on SQLite and
PostgreSQL, imported from an e-PPGBM file through tumbuh's own importer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from tests.conftest import postgres_database
from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv

from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.imports.service import run_import
from tumbuh.models import Base
from tumbuh.register.regions import load_regions

# (Kab/Kota, Kec, Desa) as an e-PPGBM export writes them.
PLACES = (
    ("KOTA SAMARINDA", "SUNGAI KUNJANG", "Loa Bakung"),
    ("KUTAI KARTANEGARA", "MUARA MUNTAI", "Perian"),
)
CHILDREN_PER_PLACE = 24


def register_rows() -> list[dict[str, str]]:
    """Two visits per child in 2025 (March, August); every third child is short."""
    rows = []
    for p, (kab, kec, desa) in enumerate(PLACES):
        for c in range(CHILDREN_PER_PLACE):
            short = c % 3 == 0
            for visit, month in enumerate((3, 8)):
                rows.append(
                    eppgbm_row(
                        No=str(len(rows) + 1),
                        NIK=f"64{72 - 70 * p:02d}01{41 + c % 20:02d}0722{c:04d}",
                        Nama=f"Anak {p}-{c:03d}",
                        JK="P" if c % 2 else "L",
                        **{
                            "Nama Ortu": f"Ibu {p}-{c:03d}",
                            "NIK Ortu": "",
                            "No KK": "",
                            "Kab/Kota": kab,
                            "Kec": kec,
                            "Desa/Kel": desa,
                            "Pukesmas": kec.title(),
                            "Posyandu": f"Melati {p}",
                            "Tgl Lahir": f"{1 + c % 20:02d}/07/2022",
                            "Tanggal Pengukuran": f"10/{month:02d}/2025",
                            "Cara Ukur": "Berdiri",
                            "Lingkar Kepala": f"{46 + visit * 0.5:.1f}",
                            "LiLA": "14.5",
                        },
                        Berat=f"{(12.0 if short else 14.0) + visit * 0.4:.1f}",
                        Tinggi=f"{(84.0 if short else 95.0) + visit * 1.5:.1f}",
                    )
                )
    return rows


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def register_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of its own with the regions and the imported measurements."""
    tmp = tmp_path_factory.mktemp("exchange")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'register.db'}"
        else:
            request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PG
            url = stack.enter_context(postgres_database("tumbuh_exch_"))
        engine = make_engine(url)
        try:
            create_schema(engine, Base.metadata)
            with unit_of_work(engine) as s:
                load_regions(s)
            path = write_csv(tmp / "ukur.csv", EPPGBM_HEADER, register_rows())
            report = run_import(engine, kind="eppgbm", paths=[path])
            assert report.rejected == 0, report.issues[:3]
        finally:
            engine.dispose()
        yield url


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="module")
def accounts(register_url: str) -> dict[str, str]:
    """Accounts of the register database: role -> username."""
    from tumbuh.accounts.service import create_user

    users = {
        "province_admin": "admin.kaltim",
        "province_analyst": "analis.kaltim",
        "viewer": "pemirsa",
        "district_analyst": "analis.kukar",
    }
    regions = {"district_analyst": "64.02"}
    engine = make_engine(register_url)
    try:
        with unit_of_work(engine) as s:
            for role, name in users.items():
                create_user(
                    s,
                    username=name,
                    password="kata-sandi-panjang-123",
                    role=role,
                    region_code=regions.get(role, "64"),
                )
    finally:
        engine.dispose()
    return users
