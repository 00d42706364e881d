"""Header aliases → canonical anthropometric inputs."""

from __future__ import annotations

import pytest

from tumbuh.tabular.mapping import map_columns, normalize_header

EPPGBM = (
    "No, NIK, Nama, JK, Tgl Lahir, BB Lahir, TB Lahir, Nama Ortu, NIK Ortu, No KK, Prov, "
    "Kab/Kota, Kec, Pukesmas, Desa/Kel, Posyandu, RT, RW, Alamat, Usia Saat Ukur, "
    "Tanggal Pengukuran, Berat, Tinggi, Cara Ukur, LiLA, Lingkar Kepala, BB/U, ZS BB/U, "
    "TB/U, ZS TB/U, BB/TB, ZS BB/TB, Naik Berat Badan"
).split(", ")


class TestMapColumns:
    def test_eppgbm_export_headers(self) -> None:
        m = map_columns(EPPGBM)
        assert m.fields == {
            "sex": "JK",
            "birth_date": "Tgl Lahir",
            "measure_date": "Tanggal Pengukuran",
            "weight": "Berat",
            "lenhei": "Tinggi",
            "measure": "Cara Ukur",
            "armc": "LiLA",
            "headc": "Lingkar Kepala",
        }
        assert "BB Lahir" in m.unmatched
        assert "Usia Saat Ukur" in m.unmatched
        assert m.ambiguous == {}

    def test_who_anthro_reference_headers(self) -> None:
        cols = ["case_id", "sex", "age", "is_age_in_month", "weight", "lenhei", "measure",
                "headc", "armc", "triskin", "subskin", "oedema"]  # fmt: skip
        m = map_columns(cols)
        assert m.fields["age_is_months"] == "is_age_in_month"
        for canon in ["sex", "age", "weight", "lenhei", "measure", "headc", "armc",
                      "triskin", "subskin", "oedema"]:  # fmt: skip
            assert m.fields[canon] == canon
        assert m.age_unit is None

    def test_anthroplus_headers_and_age_unit_from_name(self) -> None:
        m = map_columns(
            ["sex", "age_in_months", "oedema", "height_in_cm", "weight_in_kg"]
        )
        assert m.fields["age"] == "age_in_months"
        assert m.fields["lenhei"] == "height_in_cm"
        assert m.fields["weight"] == "weight_in_kg"
        assert m.age_unit == "months"

    @pytest.mark.parametrize(
        ("header", "canon"),
        [
            ("Jenis Kelamin", "sex"),
            ("  GENDER\xa0", "sex"),
            ("Usia (bulan)", "age"),
            ("Tanggal Lahir", "birth_date"),
            ("Tgl Ukur", "measure_date"),
            ("Berat Badan", "weight"),
            ("Panjang Badan", "lenhei"),
            ("TB", "lenhei"),
            ("Edema", "oedema"),
            ("LK", "headc"),
            ("MUAC", "armc"),
        ],
    )
    def test_aliases_are_case_and_space_insensitive(
        self, header: str, canon: str
    ) -> None:
        assert map_columns([header]).fields == {canon: header}

    def test_two_candidates_are_reported_as_ambiguous(self) -> None:
        m = map_columns(["TB", "PB", "BB"])
        assert m.fields["lenhei"] == "TB"
        assert m.ambiguous == {"lenhei": ["TB", "PB"]}
        assert m.unmatched == ["PB"]

    def test_usia_bulan_sets_months_and_overrides_win(self) -> None:
        m = map_columns(["Usia (bulan)", "X"], overrides={"weight": "X"})
        assert m.age_unit == "months"
        assert m.fields["weight"] == "X"
        assert m.unmatched == []


def test_normalize_header() -> None:
    assert normalize_header(" Usia\xa0(Bulan) ") == "usia bulan"
    assert normalize_header("age_in_months") == "age in months"
