"""Every word of the meeting pack, in Bahasa Indonesia and English.

The pack is rendered below the web layer (reports), so its words live here rather than in
``web/i18n.py``; the web's own words for the meeting page and button are in the web catalogue.
Domain objects keep codes (status ``rising``, sector ``Dinkes``); this module names them.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")

WORDS: dict[str, tuple[str, str]] = {
    # Title page and running header/footer
    "pack.title": ("Bahan Rapat Koordinasi TPPS", "TPPS coordination meeting pack"),
    "pack.period": ("Periode", "Period"),
    "pack.made_on": ("Dibuat", "Made on"),
    "pack.page": ("Halaman {n} dari {total}", "Page {n} of {total}"),
    "pack.audience.public": (
        "Untuk umum: angka agregat, sel kecil disembunyikan",
        "Public: aggregates only, small cells hidden",
    ),
    "pack.audience.restricted": (
        "TERBATAS: berisi lampiran dengan nama keluarga",
        "RESTRICTED: contains an annex with family names",
    ),
    "pack.period_note": (
        "Periode {period}: periode terakhir yang datanya lengkap.",
        "Period {period}: the latest period with complete data.",
    ),
    "pack.contents": ("Isi", "Contents"),
    "pack.suppressed": (
        "'<{n}': jumlah di bawah {n} disembunyikan, begitu pula persentasenya.",
        "'<{n}': counts below {n} are hidden, and so is their percentage.",
    ),
    "pack.reason_hidden": (
        "alasan memuat jumlah kecil: disembunyikan",
        "reason quotes a small count: hidden",
    ),
    "pack.none": ("Tidak ada data untuk bagian ini.", "No data for this section."),
    # Section titles
    "sec.headline": ("Angka utama", "Headline figures"),
    "sec.map": ("Peta wilayah", "Map of the regions"),
    "sec.status": ("Status per wilayah", "Status per region"),
    "sec.sources": (
        "Survei, data rutin dan data rutin terpublikasi",
        "Survey, routine and published routine figures",
    ),
    "sec.hotspots": ("Titik rawan", "Hotspots"),
    "sec.krs": ("Keluarga berisiko stunting (KRS)", "Families at risk (KRS)"),
    "sec.scorecard": (
        "Kartu skor intervensi per sektor",
        "Intervention scorecard per sector",
    ),
    "sec.gaps": (
        "Kesenjangan layanan per perangkat daerah",
        "Service gaps per responsible office",
    ),
    "sec.quality": ("Kualitas data", "Data quality"),
    "sec.actions": (
        "Tindak lanjut rapat sebelumnya",
        "Actions from the last meeting",
    ),
    "sec.annex": (
        "Lampiran terbatas: keluarga dengan layanan yang belum diterima",
        "Restricted annex: families with missing services",
    ),
    # Table titles within a section
    "tbl.krs_factors": ("Faktor risiko KRS", "KRS risk factors"),
    "tbl.krs_where": ("KRS per wilayah", "KRS by region"),
    "tbl.forecast": (
        "Perkiraan kasus stunting baru (jumlah dan per 100 anak diukur)",
        "Expected new stunting cases (count and per 100 children measured)",
    ),
    # Column headers
    "col.indicator": ("Indikator", "Indicator"),
    "col.value": ("Nilai", "Value"),
    "col.target": ("Target", "Target"),
    "col.national": ("Nasional", "National"),
    "col.source": ("Sumber", "Source"),
    "col.region": ("Wilayah", "Region"),
    "col.code": ("Kode", "Code"),
    "col.status": ("Status", "Status"),
    "col.reason": ("Alasan utama", "Lead reason"),
    "col.change": ("Perubahan (poin)", "Change (points)"),
    "col.beyond": ("Melebihi ketidakpastian?", "Beyond its uncertainty?"),
    "col.survey": ("Survei periode ini", "Survey in this period"),
    "col.survey_latest": ("Survei terakhir", "Latest survey"),
    "col.routine": ("Rutin (register)", "Routine (register)"),
    "col.published": ("Rutin terpublikasi", "Published routine"),
    "col.children": ("Anak diukur", "Children measured"),
    "col.stunting": ("Stunting (%)", "Stunting (%)"),
    "col.shrunk": ("Perkiraan wilayah kecil (%)", "Small-area estimate (%)"),
    "col.parent": ("Di dalam", "Within"),
    "col.krs": ("Keluarga KRS", "KRS families"),
    "col.krs_share": ("% KRS", "% KRS"),
    "col.families": ("Keluarga sasaran", "Target families"),
    "col.factor": ("Faktor risiko", "Risk factor"),
    "col.count": ("Jumlah", "Count"),
    "col.expected": ("Kasus baru diperkirakan", "Expected new cases"),
    "col.expected_rate": ("per 100 anak diukur", "per 100 children measured"),
    "col.range": ("Rentang", "Range"),
    "col.sector": ("Sektor / OPD", "Sector / office"),
    "col.coverage": ("Cakupan (%)", "Coverage (%)"),
    "col.met": ("Target tercapai", "Target met"),
    "col.met_count": ("Indikator mencapai target", "Indicators on target"),
    "col.missing": ("Layanan belum diterima", "Missing services"),
    "col.gap_families": ("Keluarga", "Families"),
    "col.score": ("Skor", "Score"),
    "col.band": ("Kategori", "Band"),
    "col.reasons": ("Alasan", "Reasons"),
    "col.level": ("Tingkat", "Level"),
    "col.action": ("Tindakan", "Action"),
    "col.owner": ("OPD", "Office"),
    "col.due": ("Tenggat", "Due"),
    "col.baseline": ("Awal", "Baseline"),
    "col.now": ("Sekarang", "Now"),
    "col.movement": ("Pergerakan", "Movement"),
    "col.meeting": ("Rapat", "Meeting"),
    "col.family": ("Kepala keluarga", "Head of family"),
    "col.desa": ("Desa/kelurahan", "Desa/kelurahan"),
    "col.item": ("Layanan", "Service"),
    # Status words
    "status.rising": ("naik", "rising"),
    "status.stalled": ("stagnan", "stalled"),
    "status.falling": ("turun", "falling"),
    "status.on_track": ("sesuai target", "on track"),
    "status.insufficient": ("data kurang", "insufficient data"),
    "status.no_data": ("tidak ada data", "no data"),
    "status.overdue": ("TERLAMBAT", "OVERDUE"),
    "status.open": ("terbuka", "open"),
    "status.in_progress": ("berjalan", "in progress"),
    "status.done": ("selesai", "done"),
    "status.dropped": ("dibatalkan", "dropped"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "level.province": ("provinsi", "province"),
    "level.kabkota": ("kabupaten/kota", "district/city"),
    "level.kecamatan": ("kecamatan", "subdistrict"),
    "level.desa": ("desa/kelurahan", "village"),
    "level.posyandu": ("posyandu", "posyandu"),
    # One message per slide
    "msg.headline": (
        "Stunting (data rutin) {routine}; survei terakhir {survey}; target {target}.",
        "Stunting (routine) {routine}; latest survey {survey}; target {target}.",
    ),
    "msg.map": (
        "Stunting data rutin per {level}, periode {period}.",
        "Routine stunting per {level}, period {period}.",
    ),
    "msg.status": (
        "Naik: {rising}. Terbaik: {best}.",
        "Rising: {rising}. Best: {best}.",
    ),
    "msg.sources": (
        "Tiga sumber di kolom terpisah: angkanya tidak dicampur dalam satu deret.",
        "Three sources in separate columns: never mixed in one series.",
    ),
    "msg.hotspots": (
        "Desa dengan perkiraan stunting tertinggi (diperhalus untuk wilayah kecil).",
        "Desa with the highest stunting estimates (smoothed for small areas).",
    ),
    "msg.krs": (
        "{krs} keluarga berisiko stunting; faktor terbanyak: {factor}.",
        "{krs} families at risk of stunting; most common factor: {factor}.",
    ),
    "msg.scorecard": (
        "Sektor paling tertinggal dari target Perpres 72/2021: {sector}.",
        "Sector furthest behind the Perpres 72/2021 targets: {sector}.",
    ),
    "msg.gaps": (
        "{n} layanan belum diterima keluarga berisiko; terbanyak di {sector}.",
        "{n} services not yet received by families at risk; most with {sector}.",
    ),
    "msg.quality": (
        "Kualitas data terendah: {worst}.",
        "Lowest data quality: {worst}.",
    ),
    "msg.actions": (
        "{overdue} tindakan terlambat dari {total}.",
        "{overdue} of {total} actions overdue.",
    ),
    "msg.none": ("-", "-"),
    # Notes under tables
    "note.national": (
        "Nasional: survei {source} {year}.",
        "National: survey {source} {year}.",
    ),
    "note.status": (
        "Status dari peringatan dini data rutin (perkiraan wilayah kecil, periode {period}).",
        "Status from the routine early warning (small-area estimates, period {period}).",
    ),
    "note.forecast": (
        "Perkiraan kasus baru tahun {year} dari skor risiko keluarga.",
        "Expected new cases in {year} from the families' risk scores.",
    ),
    "note.forecast_none": (
        "Belum ada skor risiko: jalankan `tumbuh risk score` untuk perkiraan kasus baru.",
        "No risk scores stored: run `tumbuh risk score` for the forecast of new cases.",
    ),
    "note.scorecard": (
        "Target nasional Perpres 72/2021 (Lampiran); tahun cakupan {period}.",
        "National targets of Perpres 72/2021 (Annex); coverage year {period}.",
    ),
    "note.quality": (
        "Skor kualitas 0-100 (gaya SMART), periode {period}; alasan dengan jumlahnya.",
        "Quality score 0-100 (SMART style), period {period}; reasons with counts.",
    ),
    "note.actions": (
        "Pergerakan diukur dengan definisi indikator yang sama: periode awal -> {period}.",
        "Movement measured with the same indicator definition: baseline period -> {period}.",
    ),
    "note.no_actions": (
        "Belum ada tindakan tercatat dari rapat sebelumnya.",
        "No actions recorded from an earlier meeting.",
    ),
    "note.annex": (
        "Lampiran ini berisi nama; hanya untuk peran yang berhak. Pembukaan dicatat.",
        "This annex holds names; only for roles allowed to see them. Access is audited.",
    ),
    "note.gaps_public": (
        "Nama keluarga hanya ada di lampiran terbatas.",
        "Family names appear only in the restricted annex.",
    ),
}


def word(key: str, lang: Lang, **values: object) -> str:
    """The text of `key` in `lang`, with ``{name}`` fields filled in."""
    text = WORDS[key][0 if lang == "id" else 1]
    return text.format(**values) if values else text


def number(value: float | None, lang: Lang, digits: int = 1) -> str:
    """1234.5 -> '1.234,5' (id) or '1,234.5' (en); None -> '-'."""
    if value is None:
        return "-"
    text = f"{value:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def percent(value: float | None, lang: Lang) -> str:
    return "-" if value is None else f"{number(value, lang)} %"
