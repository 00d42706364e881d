"""Bahasa Indonesia by default, English on request: a small catalogue and Indonesian formats.

Numbers: decimal comma and dot thousands (12,5 kg; 1.234.567). Dates: 18 November 2025.
Missing keys fall back to Indonesian, then to the key itself, so a page never breaks.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

Lang = Literal["id", "en"]
# Kalimantan Timur keeps Waktu Indonesia Tengah, UTC+8, with no daylight saving.
WITA = dt.timezone(dt.timedelta(hours=8), "WITA")
LANGUAGES: tuple[Lang, ...] = ("id", "en")

MONTHS: dict[Lang, tuple[str, ...]] = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
        "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December",
    ),
}  # fmt: skip

CATALOGUE: dict[Lang, dict[str, str]] = {
    "id": {
        "app.name": "Tumbuh",
        "app.tagline": "Sistem informasi percepatan penurunan stunting",
        "nav.home": "Beranda",
        "nav.users": "Pengguna",
        "nav.audit": "Log audit",
        "nav.logout": "Keluar",
        "nav.skip": "Langsung ke isi",
        "nav.language": "Bahasa",
        "login.title": "Masuk",
        "login.username": "Nama pengguna",
        "login.password": "Kata sandi",
        "login.submit": "Masuk",
        "login.expired": "Sesi Anda telah berakhir. Silakan masuk kembali.",
        "error.title": "Terjadi kesalahan",
        "error.back": "Kembali ke beranda",
        "error.unauthorized": "Anda perlu masuk terlebih dahulu.",
        "error.invalid_credentials": "Nama pengguna atau kata sandi salah.",
        "error.too_many_attempts": "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit.",
        "error.forbidden": "Anda tidak berhak membuka halaman ini.",
        "error.outside_region": "Wilayah ini berada di luar wilayah kerja Anda.",
        "error.aggregates_only": "Peran Anda hanya dapat melihat angka agregat.",
        "error.admin_only": "Hanya administrator yang dapat membuka halaman ini.",
        "error.not_found": "Data tidak ditemukan.",
        "error.csrf_failed": "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman dan coba lagi.",
        "error.invalid_region_code": "Kode wilayah tidak sah.",
        "error.invalid_input": "Masukan tidak sah.",
        "error.username_taken": "Nama pengguna sudah dipakai.",
        "error.register_unavailable": "Data register belum tersedia.",
        "role.province_admin": "Admin provinsi",
        "role.province_analyst": "Analis provinsi",
        "role.district_analyst": "Analis kabupaten/kota",
        "role.subdistrict_officer": "Petugas kecamatan/puskesmas",
        "role.village_team": "Tim desa (TPK/kader)",
        "role.viewer": "Pemirsa (agregat saja)",
        "table.export_xlsx": "Unduh Excel",
        "table.empty": "Belum ada data.",
        "users.title": "Pengguna",
        "users.create": "Tambah pengguna",
        "users.username": "Nama pengguna",
        "users.password": "Kata sandi awal",
        "users.role": "Peran",
        "users.region": "Kode wilayah",
        "users.active": "Aktif",
        "users.last_login": "Terakhir masuk",
        "users.deactivate": "Nonaktifkan",
        "users.activate": "Aktifkan",
        "users.created": "Pengguna {username} dibuat.",
        "audit.title": "Log audit",
        "audit.at": "Waktu",
        "audit.who": "Pengguna",
        "audit.action": "Tindakan",
        "audit.object": "Objek",
        "audit.region": "Wilayah",
        "audit.ip": "Alamat IP",
        "audit.detail": "Keterangan",
        "region.province": "Provinsi",
        "region.kabkota": "Kabupaten/Kota",
        "region.kecamatan": "Kecamatan",
        "region.desa": "Desa/Kelurahan",
        "region.code": "Kode",
        "region.name": "Nama",
        "prov.title": "Prevalensi stunting menurut survei",
        "prov.source": "Sumber",
        "prov.year": "Tahun",
        "prov.show": "Tampilkan",
        "prov.national": "Angka nasional",
        "prov.province": "Angka provinsi",
        "prov.target": "Target",
        "prov.map": "Peta prevalensi stunting kabupaten/kota",
        "prov.map_note": "Warna menurut prevalensi stunting (%); abu-abu: tidak ada angka.",
        "prov.table": "Kabupaten/kota: angka terbit dan peringatan dini",
        "prov.value": "Prevalensi (%)",
        "prov.series": "Riwayat",
        "prov.status": "Status",
        "prov.reasons": "Alasan",
        "prov.no_value": "tidak ada angka",
        "prov.citation": "Sumber angka",
        "prov.no_figures": "Angka terbit belum dimuat. Jalankan: tumbuh import aggregates",
        "prov.surveillance_missing": "Modul surveilans belum tersedia di instalasi ini.",
        "kind.survey": "Survei (SSGBI/SSGI/SKI)",
        "kind.routine": "Rutin (e-PPGBM)",
        "prov.projected": "Proyeksi tercapai: {year}",
        "prov.more_reasons": "{n} alasan lain",
        "prov.citation_note": "Alasan menyebut angka terbit beserta sumber dan tahunnya; survei dan data rutin tidak pernah dicampur dalam satu tren.",
        "prov.no_status": "Belum ada status peringatan dini untuk tingkat wilayah ini.",
        "growth.title": "Grafik pertumbuhan WHO",
        "growth.indicator": "Indikator",
        "growth.sex": "Jenis kelamin",
        "growth.lines": "garis −3, −2, −1, 0, +1, +2 dan +3 SD",
        "growth.source": "Standar Pertumbuhan Anak WHO 2006 (tabel LMS); garis dihitung dengan tumbuh.growth.",
        "nav.growth": "Grafik pertumbuhan",
        "child.nik": "NIK",
        "child.sex": "Jenis kelamin",
        "child.birth_date": "Tanggal lahir",
        "child.mother": "Nama ibu",
        "child.family": "Keluarga",
        "child.status": "Status gizi (PB/U, TB/U) terakhir",
        "child.stunted": "stunting (z < −2)",
        "child.not_stunted": "tidak stunting",
        "child.measurements": "Pengukuran",
        "child.measured_on": "Tanggal ukur",
        "child.age_months": "Umur (bulan)",
        "child.weight": "Berat (kg)",
        "child.length": "Panjang/tinggi (cm)",
        "children.title": "Anak yang diukur",
        "children.count": "Anak diukur",
        "children.stunting": "Stunting (pengukuran terakhir)",
        "children.suppressed": "disembunyikan (kurang dari {n} anak)",
        "sex.M": "Laki-laki",
        "sex.F": "Perempuan",
        "family.title": "Keluarga (KK)",
        "family.water": "Sumber air minum",
        "family.latrine": "Jamban",
        "family.decile": "Desil kesejahteraan",
        "family.surveyed_on": "Tanggal pendataan",
        "family.members": "Anggota keluarga",
        "family.role": "Hubungan",
        "routine.title": "Peringatan dini data rutin (e-PPGBM) {year}",
        "routine.rate": "Prevalensi terkoreksi (%)",
        "routine.note": "Dari pengukuran di register: satu pengukuran terakhir per anak per tahun; angka wilayah kecil ditarik ke rata-rata wilayah induknya (empirical Bayes) agar desa dengan sedikit anak tidak memicu alarm secara kebetulan.",
        "status.rising": "naik",
        "status.stalled": "mandek",
        "status.falling": "turun",
        "status.on_track": "sesuai target",
        "status.no_data": "tidak ada data",
        "footer.privacy": "Data pribadi dilindungi (UU PDP 27/2022); akses dicatat.",
    },
    "en": {
        "app.name": "Tumbuh",
        "app.tagline": "Stunting-reduction information system",
        "nav.home": "Home",
        "nav.users": "Users",
        "nav.audit": "Audit log",
        "nav.logout": "Log out",
        "nav.skip": "Skip to content",
        "nav.language": "Language",
        "login.title": "Log in",
        "login.username": "Username",
        "login.password": "Password",
        "login.submit": "Log in",
        "login.expired": "Your session has expired. Please log in again.",
        "error.title": "Something went wrong",
        "error.back": "Back to home",
        "error.unauthorized": "Please log in first.",
        "error.invalid_credentials": "Wrong username or password.",
        "error.too_many_attempts": "Too many failed logins. Try again in 15 minutes.",
        "error.forbidden": "You may not open this page.",
        "error.outside_region": "This region is outside your area.",
        "error.aggregates_only": "Your role sees aggregate figures only.",
        "error.admin_only": "Only administrators may open this page.",
        "error.not_found": "Not found.",
        "error.csrf_failed": "The form expired or is not valid. Reload the page and try again.",
        "error.invalid_region_code": "Invalid region code.",
        "error.invalid_input": "Invalid input.",
        "error.username_taken": "That username is taken.",
        "error.register_unavailable": "Register data is not available yet.",
        "role.province_admin": "Province admin",
        "role.province_analyst": "Province analyst",
        "role.district_analyst": "District analyst",
        "role.subdistrict_officer": "Subdistrict officer",
        "role.village_team": "Village team (TPK/cadre)",
        "role.viewer": "Viewer (aggregates only)",
        "table.export_xlsx": "Download Excel",
        "table.empty": "No data yet.",
        "users.title": "Users",
        "users.create": "Add user",
        "users.username": "Username",
        "users.password": "Initial password",
        "users.role": "Role",
        "users.region": "Region code",
        "users.active": "Active",
        "users.last_login": "Last login",
        "users.deactivate": "Deactivate",
        "users.activate": "Activate",
        "users.created": "User {username} created.",
        "audit.title": "Audit log",
        "audit.at": "Time",
        "audit.who": "User",
        "audit.action": "Action",
        "audit.object": "Object",
        "audit.region": "Region",
        "audit.ip": "IP address",
        "audit.detail": "Detail",
        "region.province": "Province",
        "region.kabkota": "District/City",
        "region.kecamatan": "Subdistrict",
        "region.desa": "Village",
        "region.code": "Code",
        "region.name": "Name",
        "prov.title": "Stunting prevalence from surveys",
        "prov.source": "Source",
        "prov.year": "Year",
        "prov.show": "Show",
        "prov.national": "National rate",
        "prov.province": "Province rate",
        "prov.target": "Target",
        "prov.map": "Map of stunting prevalence by district/city",
        "prov.map_note": "Colour by stunting prevalence (%); grey: no figure.",
        "prov.table": "Districts/cities: published figures and early warning",
        "prov.value": "Prevalence (%)",
        "prov.series": "Series",
        "prov.status": "Status",
        "prov.reasons": "Reasons",
        "prov.no_value": "no figure",
        "prov.citation": "Source of figures",
        "prov.no_figures": "No published figures loaded. Run: tumbuh import aggregates",
        "prov.surveillance_missing": "The surveillance module is not available in this installation.",
        "kind.survey": "Survey (SSGBI/SSGI/SKI)",
        "kind.routine": "Routine (e-PPGBM)",
        "prov.projected": "Projected to reach it: {year}",
        "prov.more_reasons": "{n} more reasons",
        "prov.citation_note": "Reasons cite the published figures with source and year; surveys and routine data are never mixed in one trend.",
        "prov.no_status": "No early-warning status for this level of region yet.",
        "growth.title": "WHO growth charts",
        "growth.indicator": "Indicator",
        "growth.sex": "Sex",
        "growth.lines": "lines at −3, −2, −1, 0, +1, +2 and +3 SD",
        "growth.source": "WHO Child Growth Standards 2006 (LMS tables); lines computed by tumbuh.growth.",
        "nav.growth": "Growth charts",
        "child.nik": "NIK",
        "child.sex": "Sex",
        "child.birth_date": "Date of birth",
        "child.mother": "Mother's name",
        "child.family": "Family",
        "child.status": "Latest length/height-for-age",
        "child.stunted": "stunted (z < −2)",
        "child.not_stunted": "not stunted",
        "child.measurements": "Measurements",
        "child.measured_on": "Measured on",
        "child.age_months": "Age (months)",
        "child.weight": "Weight (kg)",
        "child.length": "Length/height (cm)",
        "children.title": "Children measured",
        "children.count": "Children measured",
        "children.stunting": "Stunting (latest measurement)",
        "children.suppressed": "suppressed (fewer than {n} children)",
        "sex.M": "Boy",
        "sex.F": "Girl",
        "family.title": "Family (KK)",
        "family.water": "Drinking water",
        "family.latrine": "Latrine",
        "family.decile": "Welfare decile",
        "family.surveyed_on": "Surveyed on",
        "family.members": "Family members",
        "family.role": "Relation",
        "routine.title": "Routine-data early warning (e-PPGBM) {year}",
        "routine.rate": "Shrunken prevalence (%)",
        "routine.note": "From the register's measurements: each child's last measurement per year; small areas are pulled towards their parent region (empirical Bayes) so that a village with few children does not raise alarms by chance.",
        "status.rising": "rising",
        "status.stalled": "stalled",
        "status.falling": "falling",
        "status.on_track": "on track",
        "status.no_data": "no data",
        "footer.privacy": "Personal data is protected (UU PDP 27/2022); access is logged.",
    },
}


def translate(key: str, lang: Lang = "id", **values: object) -> str:
    """The text of `key` in `lang` (falls back to Indonesian, then the key), formatted with values."""
    text = CATALOGUE.get(lang, {}).get(key) or CATALOGUE["id"].get(key) or key
    return text.format(**values) if values else text


def pick_language(query: str | None, cookie: str | None, default: Lang = "id") -> Lang:
    """?lang= wins, then the cookie, then the default; unknown values are ignored."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return default


def format_number(
    value: float | int | None, decimals: int = 1, lang: Lang = "id"
) -> str:
    """12.5 → '12,5' (id) or '12.5' (en); thousands with '.' (id) or ',' (en); None/NaN → '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_date(value: dt.date | dt.datetime | None, lang: Lang = "id") -> str:
    """18 November 2025 (id) or 18 November 2025 (en, same order); None → '–'."""
    if value is None:
        return "–"
    return f"{value.day} {MONTHS[lang][value.month - 1]} {value.year}"


def format_datetime(value: dt.datetime | None, lang: Lang = "id") -> str:
    """Local Kaltim time: 18 November 2025 14.05 WITA (id writes hours.minutes, per PUEBI)."""
    if value is None:
        return "–"
    if (
        value.tzinfo is None
    ):  # SQLite hands back naive datetimes; they are stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(WITA)
    sep = "." if lang == "id" else ":"
    return f"{format_date(local, lang)} {local.hour:02d}{sep}{local.minute:02d} WITA"
