"""The indicator catalogue: every figure that a page, command, route or export shows, defined once.

One frozen :class:`Indicator` per figure: its code, names (id/en), numerator, denominator (the
population and how the reporting period bounds it), unit, direction, source kind, targets and
citation. ``docs/indicators.md`` is generated from this module by ``python -m tumbuh.reports.docs``
(a test fails when the two differ).

Targets: national ones are copied from ``../shared/domain/facts.md`` §5 and ``targets.csv``
(RPJMN 2020-2024 / 2025-2029, Perpres 72/2021 Lampiran); province and kab/kota stunting targets
come from the packaged ``data/published/targets.csv``. A target the sources mark NOT FOUND is
``None``; nothing is estimated.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

__all__ = [
    "CATALOGUE",
    "Direction",
    "Indicator",
    "SourceKind",
    "Target",
    "Unit",
    "by_code",
    "published_targets",
    "target_for",
]


class SourceKind(StrEnum):
    survey = "survey"  # SSGBI, SSGI, SKI: sample surveys (published estimates)
    routine = "routine"  # computed from the register's posyandu measurements (e-PPGBM)
    published_routine = "published_routine"  # routine figures as published by an office
    programme = (
        "programme"  # register of families, pregnancies, screenings, interventions
    )


class Direction(StrEnum):
    lower_is_better = "lower_is_better"
    higher_is_better = "higher_is_better"
    neutral = "neutral"  # a count or a denominator: neither way is better


class Unit(StrEnum):
    percent = "percent"
    number = "number"


@dataclass(frozen=True)
class Target:
    """A target value (in the indicator's unit) from `year_from` to `year_to` inclusive.

    ``year_to`` None: the target holds until a newer one is published (Perpres 72/2021's
    intervention targets are stated for 2024 and no later value is in the sources read).
    ``region_code`` is ``ID`` (national), ``64`` (province) or ``64.07`` (kab/kota).
    """

    value: float
    year_from: int
    year_to: int | None
    region_code: str
    basis: str
    citation: str


@dataclass(frozen=True)
class Indicator:
    code: str
    name_id: str
    name_en: str
    numerator: str
    denominator: str
    unit: Unit
    direction: Direction
    source: SourceKind
    citation: str
    targets: tuple[Target, ...] = ()
    # Intervention kind whose given/verified records make the numerator (programme kinds).
    kind_code: str | None = None
    # Why the register cannot compute it (the indicator is listed, never filled in).
    not_computed: str | None = None
    # Programme aggregate (tumbuh import aggregates) that gives the indicator: its own code
    # (numerator and denominator imported) or `kua_marriages` (the denominator of catin
    # screening). Without that aggregate for the region and year the indicator is not
    # computed there (`absent` says why).
    aggregate: str | None = None
    absent: str | None = None
    group: str = "nutrition"
    notes: str = ""


# ----------------------------------------------------------------------- national targets

_MEDIA_INDONESIA = (
    "Perpres 72/2021 akan percepat penurunan stunting di Indonesia (Media Indonesia, "
    "28 Sep 2021) https://mediaindonesia.com/humaniora/435909/"
    "perpres-722021-akan-percepat-penurunan-stunting-di-indonesia"
)
_KORANMANDALA = (
    "Bappenas Targetkan Penurunan Stunting Jadi 14,2 Persen pada 2025-2029 (KoranMandala, "
    "18 Jan 2025) https://koranmandala.com/peristiwa/133649/"
    "bappenas-targetkan-penurunan-stunting-jadi-142-persen-pada-2025-2029/?amp=1"
)
_TRIBUN_WAPRES = (
    "Wapres Sebut Angka Stunting Ditargetkan 14,2 Persen pada 2029 dan 5 Persen pada 2045 "
    "(Tribunnews, 12 Nov 2025) https://www.tribunnews.com/kesehatan/7754211/"
)
_SCRIBD_ESSAY = (
    "Menakar Peluang Pencapaian Penurunan Stunting Sulawesi Selatan (Scribd, Apr 2022) "
    "https://id.scribd.com/document/622171025/Paper-percepatan-penurunan-stunting"
)
_BKKBN_2023 = (
    "Laporan Pelaksanaan Percepatan Penurunan Stunting - BKKBN untuk Kemendagri, 23 Mei "
    "2023 (Scribd) https://id.scribd.com/document/654703660/BKKBN-untuk-kemendagri-23-Mei"
)
_KONTAN = (
    "Bappenas: Diperlukan Penurunan Stunting 3,8% per Tahun untuk Capai Target 2024 "
    "(Kontan, Apr 2023) https://amp.kontan.co.id/news/"
    "bappenas-diperlukan-penurunan-stunting-38-per-tahun-untuk-capai-target-2024"
)
_PERPRES_TABLE = (
    "Strategi Nasional Percepatan Penurunan Stunting, table from Perpres 72/2021 Lampiran "
    "(banjarsari-labuhanhaji.desa.id) https://banjarsari-labuhanhaji.desa.id/artikel/2024/"
    "4/1/strategi-nasional-percepatan-penurunan-stunting"
)
_SINDO = (
    "Pemerintah Canangkan 18 Target Percepatan Penurunan Stunting (SindoNews, 28 Sep 2021) "
    "https://lifestyle.sindonews.com/read/553578/155/"
    "pemerintah-canangkan-18-target-percepatan-penurunan-stunting-1632827376"
)
_RAN_PASTI = (
    "1 Panel 2 - Gambaran Umum RAN PASTI, Indikator PPS 2023 (BKKBN slides, Scribd) "
    "https://id.scribd.com/document/688830314/"
)
_HAKLI = (
    "Buka Rakernas HAKLI, Wapres Dorong Peningkatan Akses Air Minum dan Sanitasi Layak "
    "(fajar.co.id, 26 Mar 2022) https://fajar.co.id/2022/03/26/"
)
_PERPRES = "Perpres 72/2021 Lampiran"


def _nat(value: float, year: int, basis: str, citation: str) -> Target:
    return Target(value, year, year, "ID", basis, citation)


def _perpres(value: float, citation: str = _PERPRES_TABLE) -> tuple[Target, ...]:
    return (Target(value, 2024, None, "ID", _PERPRES, citation),)


# RPJMN trajectory first where targets.csv holds several for one year (the planning
# document wins, as in surveillance.service.national_stunting_targets). 2026-2028: NOT FOUND.
_STUNTING_NATIONAL: tuple[Target, ...] = (
    _nat(21.1, 2021, "RPJMN 2020-2024 annual trajectory", _SCRIBD_ESSAY),
    _nat(
        18.0,
        2022,
        "RPJMN 2020-2024 annual trajectory (as reported by BKKBN)",
        _BKKBN_2023,
    ),
    _nat(14.0, 2024, "RPJMN 2020-2024; Perpres 72/2021 Pasal 5", _MEDIA_INDONESIA),
    _nat(18.8, 2025, "RPJMN 2025-2029 (Bappenas)", _KORANMANDALA),
    _nat(14.2, 2029, "RPJMN 2025-2029", _TRIBUN_WAPRES),
    _nat(5.0, 2045, "RPJPN 2025-2045", _TRIBUN_WAPRES),
)
_WASTING_NATIONAL: tuple[Target, ...] = (_nat(7.0, 2024, "RPJMN 2020-2024", _KONTAN),)

_PACKAGED_TARGETS = (
    Path(__file__).resolve().parent.parent / "data" / "published" / "targets.csv"
)


@cache
def published_targets() -> tuple[Target, ...]:
    """Province and kab/kota stunting-prevalence targets of the packaged targets.csv.

    Only rows with one number and one year are used (``17-18`` or ``2022-2024`` are
    statements, not targets); of two rows for one region and year the first in the file
    wins (Kaltim 2024: 14 % aligned to national, before the Governor's 12.83 %).
    """
    out: list[Target] = []
    seen: set[tuple[str, int]] = set()
    with _PACKAGED_TARGETS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["scope"] not in ("province", "kabkota"):
                continue
            if not row["indicator"].lower().startswith("prevalence of stunting"):
                continue
            try:
                value = float(row["target_value"])
                year = int(row["target_year"])
            except ValueError:
                continue
            key = (row["region_code"], year)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Target(
                    value,
                    year,
                    year,
                    row["region_code"],
                    row["basis"],
                    f"{row['source_title']} {row['source_url']}".strip(),
                )
            )
    return tuple(out)


def target_for(indicator: Indicator, region_code: str, year: int) -> Target | None:
    """The target that applies to `region_code` in `year`: the region's own, else that of
    the nearest enclosing region (kab/kota, province), else the national one; None if none.

    Published regional targets exist for stunting prevalence only.
    """
    candidates = list(indicator.targets)
    if indicator.code.startswith("stunting_"):
        candidates += published_targets()
    parts = region_code.split(".")
    chain = [".".join(parts[:i]) for i in range(len(parts), 0, -1)] + ["ID"]
    for code in chain:
        best: Target | None = None
        for t in candidates:
            if t.region_code != code or t.year_from > year:
                continue
            if t.year_to is not None and t.year_to < year:
                continue
            if best is None or t.year_from > best.year_from:
                best = t
        if best is not None:
            return best
    return None


# ------------------------------------------------------------------------- definitions

_ROUTINE_CITE = (
    "WHO Child Growth Standards 2006; Permenkes 2/2020 (Standar Antropometri Anak): "
    "stunting PB/U or TB/U < -2 SD, wasting BB/PB < -2 SD, underweight BB/U < -2 SD, "
    "overweight BB/PB > +2 SD (facts.md §4e)"
)
_LATEST = (
    "children 0-59 months measured in the period with a usable (not WHO-flagged) z-score, "
    "each at its latest measurement in the period; the region is that of that measurement"
)
_WEIGHING = (
    "children 0-59 months measured in the period's weighing months (Februari, Agustus: "
    "e-PPGBM's bulan penimbangan), each at its latest measurement in those months"
)
_SURVEY_CITE = (
    "SSGBI 2019, SSGI 2021/2022/2024, SKI 2023 as published (packaged "
    "published_stunting_kaltim.csv; figures of confidence 'primary', mean of several)"
)


def _nutrition(
    name: str, name_id: str, name_en: str, rule: str, national: tuple[Target, ...]
) -> list[Indicator]:
    lower = Direction.lower_is_better
    return [
        Indicator(
            f"{name}_routine",
            f"Prevalensi {name_id} (data rutin, pengukuran terakhir)",
            f"{name_en} prevalence (routine, latest measurement)",
            f"of the denominator, children with {rule} at that measurement",
            _LATEST,
            Unit.percent,
            lower,
            SourceKind.routine,
            _ROUTINE_CITE,
            national,
        ),
        Indicator(
            f"{name}_weighing_month",
            f"Prevalensi {name_id} (bulan penimbangan Februari/Agustus)",
            f"{name_en} prevalence (weighing months February/August)",
            f"of the denominator, children with {rule} at that measurement",
            _WEIGHING,
            Unit.percent,
            lower,
            SourceKind.routine,
            _ROUTINE_CITE + "; e-PPGBM weighing months (bulan penimbangan)",
            national,
        ),
    ]


def _programme(
    code: str,
    name_id: str,
    name_en: str,
    numerator: str,
    denominator: str,
    *,
    group: str,
    targets: tuple[Target, ...] = (),
    kind_code: str | None = None,
    not_computed: str | None = None,
    aggregate: str | None = None,
    absent: str | None = None,
    citation: str = _PERPRES_TABLE,
    direction: Direction = Direction.higher_is_better,
    notes: str = "",
) -> Indicator:
    return Indicator(
        code,
        name_id,
        name_en,
        numerator,
        denominator,
        Unit.percent,
        direction,
        SourceKind.programme,
        citation,
        targets,
        kind_code=kind_code,
        not_computed=not_computed,
        aggregate=aggregate,
        absent=absent,
        group=group,
        notes=notes,
    )


_GIVEN = "with at least one given or verified `{}` record dated in the period"
_NO_TARGET = "target NOT FOUND in the sources read (facts.md §5)"
_WELFARE = (
    "families with a welfare decile (DTKS/P3KE desil) at or below the setting "
    "`welfare_eligible_max_decile` (TUMBUH_WELFARE_ELIGIBLE_MAX_DECILE, default 4; NOT SOURCED: facts.md gives no eligibility "
    "decile for PBI, PKH or food aid, the default is the usual poor-and-vulnerable band "
    "and must be confirmed with Dinsos)"
)

CATALOGUE: tuple[Indicator, ...] = (
    *_nutrition(
        "stunting",
        "stunting",
        "Stunting",
        "length/height-for-age z < -2",
        _STUNTING_NATIONAL,
    ),
    *_nutrition(
        "severe_stunting",
        "sangat pendek",
        "Severe stunting",
        "length/height-for-age z < -3 (Permenkes 2/2020: sangat pendek)",
        (),
    ),
    *_nutrition(
        "wasting",
        "wasting (gizi kurang+buruk)",
        "Wasting",
        "weight-for-length/height z < -2",
        _WASTING_NATIONAL,
    ),
    *_nutrition(
        "underweight", "berat badan kurang", "Underweight", "weight-for-age z < -2", ()
    ),
    *_nutrition(
        "overweight", "gizi lebih", "Overweight", "weight-for-length/height z > +2", ()
    ),
    Indicator(
        "stunting_survey",
        "Prevalensi stunting (survei SSGI/SKI)",
        "Stunting prevalence (survey SSGI/SKI)",
        "weighted survey estimate (published)",
        "survey sample of under-fives of the region in the survey year (the period's year)",
        Unit.percent,
        Direction.lower_is_better,
        SourceKind.survey,
        _SURVEY_CITE,
        _STUNTING_NATIONAL,
        notes="Province and kab/kota only; never mixed with routine figures in one series.",
    ),
    Indicator(
        "stunting_published_routine",
        "Prevalensi stunting (data rutin yang dipublikasikan)",
        "Stunting prevalence (published routine figure)",
        "as published by the office (e-PPGBM)",
        "as published (children weighed; not restated by the office)",
        Unit.percent,
        Direction.lower_is_better,
        SourceKind.published_routine,
        "packaged published_stunting_kaltim.csv, kind 'routine' (e-PPGBM as quoted by "
        "offices), confidence 'primary'",
        _STUNTING_NATIONAL,
    ),
    Indicator(
        "measured",
        "Anak diukur",
        "Children measured",
        "children 0-59 months with at least one measurement in the period",
        "none (a count)",
        Unit.number,
        Direction.neutral,
        SourceKind.routine,
        "register measurements (e-PPGBM)",
        group="coverage",
    ),
    Indicator(
        "registered",
        "Balita terdaftar",
        "Under-fives registered",
        "persons of the register resident in the region (their desa) who are under 60 "
        "months on some day of the period (month precision)",
        "none (a count)",
        Unit.number,
        Direction.neutral,
        SourceKind.routine,
        "register persons",
        group="coverage",
    ),
    Indicator(
        "measured_coverage",
        "Cakupan penimbangan (bulan penimbangan, D/S)",
        "Weighing coverage (weighing months, D/S)",
        "children 0-59 months measured in the period's weighing months (Februari/Agustus)",
        "registered under-fives (see `registered`)",
        Unit.percent,
        Direction.higher_is_better,
        SourceKind.routine,
        "e-PPGBM's D/S convention (weighing months); target: Perpres 72/2021 Lampiran "
        "'under-fives whose growth and development are monitored' 90 % (the Perpres table "
        "copy; Wamenkes quoted 80 %, conflict, facts.md §5)",
        (
            Target(
                90.0,
                2024,
                None,
                "ID",
                _PERPRES,
                "PERCEPATAN PENURUNAN STUNTING - Perpres Nomor 72 Tahun 2021 (Scribd) "
                "https://id.scribd.com/presentation/620615824/PERCEPATAN-PENURUNAN-STUNTING",
            ),
        ),
        group="coverage",
        notes="This is the Perpres growth-monitoring indicator (pemantauan pertumbuhan): "
        "read from measurements, not from intervention records.",
    ),
    Indicator(
        "measured_coverage_any",
        "Cakupan pengukuran (minimal sekali dalam periode)",
        "Measurement coverage (at least once in the period)",
        "children 0-59 months measured at least once in the period",
        "registered under-fives (see `registered`)",
        Unit.percent,
        Direction.higher_is_better,
        SourceKind.routine,
        "register measurements and persons",
        group="coverage",
    ),
    Indicator(
        "new_cases",
        "Kasus stunting baru (insidens)",
        "New stunting cases (incidence)",
        "children of the denominator whose first usable HAZ < -2 falls in the period",
        "children first measured not stunted, with a later measurement in the period, "
        "not stunted before the period (analytics.routine.new_cases)",
        Unit.percent,
        Direction.lower_is_better,
        SourceKind.routine,
        _ROUTINE_CITE,
    ),
    Indicator(
        "target_families",
        "Keluarga sasaran",
        "Target families (BKKBN)",
        "families with a wife 15-49, a pregnant wife, a child 0-23 or 24-59 months, ages "
        "taken at the period's end",
        "none (a count)",
        Unit.number,
        Direction.neutral,
        SourceKind.programme,
        "BKKBN rule as explained by BKKBN Sulbar (TribunSulbar, 21 Jan 2024), facts.md §3b; "
        "tumbuh.risk.krs",
        group="krs",
    ),
    Indicator(
        "krs_families",
        "Keluarga berisiko stunting (KRS)",
        "Families at risk of stunting (KRS)",
        "target families with at least one risk factor present on evidence (BKKBN rule, "
        "tumbuh.risk.krs with the default KrsRules), ages at the period's end",
        "none (a count)",
        Unit.number,
        Direction.lower_is_better,
        SourceKind.programme,
        "BKKBN operational rule (PK21-PK23, Verval KRS), facts.md §3b; docs/krs.md",
        group="krs",
    ),
    Indicator(
        "krs_share",
        "Persentase KRS dari keluarga sasaran",
        "KRS share of target families",
        "KRS families (see `krs_families`)",
        "target families (see `target_families`)",
        Unit.percent,
        Direction.lower_is_better,
        SourceKind.programme,
        "BKKBN rule, facts.md §3b (national 2024: 8.68 M of 42.99 M target families)",
        group="krs",
    ),
)

# KRS by risk factor: one count per factor of tumbuh.risk.krs (FACTORS_BASE + 2024 ones).
_FACTORS: tuple[tuple[str, str, str], ...] = (
    ("water", "sumber air minum tidak layak", "no improved drinking water"),
    ("latrine", "jamban tidak layak", "no proper latrine"),
    ("too_young", "istri terlalu muda (< 20)", "wife too young (< 20)"),
    ("too_old", "istri terlalu tua (> 35)", "wife too old (> 35)"),
    (
        "too_close",
        "jarak kelahiran terlalu dekat (< 24 bulan)",
        "births too close (< 24 months)",
    ),
    ("too_many", "anak terlalu banyak (> 3)", "too many children (> 3)"),
    (
        "no_modern_contraception",
        "PUS tidak ber-KB modern",
        "PUS not using modern contraception",
    ),
    ("poorest_decile", "desil kesejahteraan 1", "poorest welfare decile"),
)

CATALOGUE += tuple(
    Indicator(
        f"krs_factor_{f}",
        f"KRS dengan faktor: {fid}",
        f"KRS with factor: {fen}",
        f"target families with the factor '{f}' present on evidence",
        "none (a count; a family may have several factors)",
        Unit.number,
        Direction.lower_is_better,
        SourceKind.programme,
        "BKKBN rule, facts.md §3b-3c; tumbuh.risk.krs",
        group="krs",
        notes="The 2024 screening factors (no_modern_contraception, poorest_decile) are "
        "counted only when KrsRules.include_2024_factors is on.",
    )
    for f, fid, fen in _FACTORS
)

CATALOGUE += (
    # ---------------------------------------------------- Perpres 72/2021 Lampiran, specific
    _programme(
        "ttd_remaja",
        "Remaja putri mengonsumsi tablet tambah darah (TTD)",
        "Adolescent girls consuming iron-folic tablets (TTD)",
        _GIVEN.format("ttd_remaja"),
        "girls aged 12-18 (completed years, 365.25-day years) on some day of the period, "
        "resident in the region",
        group="specific",
        targets=_perpres(58.0),
        kind_code="ttd_remaja",
        notes="BKKBN's RAN PASTI booklet shows 80 % for its own indicator (conflict).",
    ),
    _programme(
        "ttd_hamil_90",
        "Ibu hamil mengonsumsi minimal 90 TTD selama kehamilan",
        "Pregnant women consuming at least 90 TTD tablets in pregnancy",
        "women of the denominator with >= 90 tablets recorded in that pregnancy",
        "women pregnant on some day of the period",
        group="specific",
        targets=_perpres(80.0),
        kind_code="ttd_hamil",
        notes="Tablets are the records' quantity (column Jumlah of the intervention import), "
        "summed over records dated from the last menstrual period to the due date; a record "
        "without a quantity counts no tablets, so any-TTD coverage is never reported as this.",
    ),
    _programme(
        "pmt_bumil_kek",
        "Ibu hamil KEK mendapat tambahan asupan gizi",
        "Pregnant women with KEK receiving additional nutrition",
        _GIVEN.format("pmt_bumil_kek"),
        "women pregnant on some day of the period with a pregnancy screening in that "
        "pregnancy and period showing LiLA < 23.5 cm (KEK, facts.md §4a)",
        group="specific",
        targets=_perpres(90.0),
        kind_code="pmt_bumil_kek",
    ),
    _programme(
        "asi_eksklusif",
        "Bayi < 6 bulan mendapat ASI eksklusif",
        "Infants under 6 months exclusively breastfed",
        _GIVEN.format("asi_eksklusif"),
        "children under 6 months (30.4375-day months) on some day of the period",
        group="specific",
        targets=_perpres(80.0, _SINDO),
        kind_code="asi_eksklusif",
    ),
    _programme(
        "mpasi",
        "Anak 6-23 bulan mendapat MP-ASI",
        "Children 6-23 months receiving complementary feeding",
        _GIVEN.format("mpasi"),
        "children aged 6-23 months on some day of the period",
        group="specific",
        targets=_perpres(80.0, _SINDO),
        kind_code="mpasi",
    ),
    _programme(
        "imunisasi",
        "Imunisasi dasar lengkap",
        "Complete basic immunisation",
        _GIVEN.format("imunisasi"),
        "children aged 0-23 months on some day of the period (the age basic immunisation "
        "is completed by; the Perpres text says under-fives)",
        group="specific",
        targets=_perpres(90.0, _SINDO),
        kind_code="imunisasi",
    ),
    _programme(
        "pmt_balita_wasting",
        "Balita gizi kurang mendapat tambahan asupan gizi",
        "Wasted under-fives receiving additional nutrition",
        _GIVEN.format("pmt_balita_wasting"),
        "children with a usable weight-for-length/height z < -2 at any measurement in the "
        "period, aged 0-59 months then (a child who recovers stays in)",
        group="specific",
        targets=_perpres(90.0, _SINDO),
        kind_code="pmt_balita_wasting",
    ),
    _programme(
        "tata_laksana_gizi_buruk",
        "Balita gizi buruk mendapat tata laksana",
        "Severely wasted under-fives treated",
        _GIVEN.format("tata_laksana_gizi_buruk"),
        "children with a usable weight-for-length/height z < -3 at any measurement in the "
        "period, aged 0-59 months then",
        group="specific",
        targets=_perpres(90.0, _SINDO),
        kind_code="tata_laksana_gizi_buruk",
    ),
    _programme(
        "anc",
        "Ibu hamil mendapat pemeriksaan kehamilan (ANC)",
        "Pregnant women with an antenatal care visit",
        _GIVEN.format("anc"),
        "women pregnant on some day of the period",
        group="specific",
        kind_code="anc",
        citation="intervention catalogue (not a Perpres Lampiran indicator); "
        + _NO_TARGET,
    ),
    # --------------------------------------------------- Perpres 72/2021 Lampiran, sensitive
    _programme(
        "kb_pascapersalinan",
        "KB pascapersalinan",
        "Post-partum family planning",
        _GIVEN.format("kb_pascapersalinan"),
        "women whose pregnancy's due date (or HPHT + 280 days) falls in the period",
        group="sensitive",
        targets=_perpres(70.0, _RAN_PASTI),
        kind_code="kb_pascapersalinan",
        citation=_RAN_PASTI,
    ),
    _programme(
        "kehamilan_tidak_diinginkan",
        "Kehamilan tidak diinginkan",
        "Unwanted pregnancies",
        "pregnancies reported unwanted (programme aggregate `kehamilan_tidak_diinginkan`: "
        "numerator)",
        "pregnancies in the period as counted by the same source (the aggregate's "
        "denominator)",
        group="sensitive",
        targets=_perpres(15.5, _RAN_PASTI),
        direction=Direction.lower_is_better,
        citation=_RAN_PASTI,
        aggregate="kehamilan_tidak_diinginkan",
        absent="the register does not record whether a pregnancy was wanted "
        "(a Pendataan Keluarga / SDKI item): computed only where that aggregate is "
        "imported",
    ),
    _programme(
        "catin_skrining",
        "Calon pengantin mendapat pemeriksaan kesehatan",
        "Brides/grooms-to-be with a health check",
        "brides-to-be (female catin) of the register with a catin screening dated in the "
        "period, each counted once, in the desa of her latest such screening (else her "
        "residence): one per marriage, so a groom's screening does not add to it",
        "marriages registered at KUA in the period's year (programme aggregate "
        "`kua_marriages`, imported with `tumbuh import aggregates`)",
        group="sensitive",
        targets=_perpres(90.0, _RAN_PASTI),
        citation=_RAN_PASTI,
        aggregate="kua_marriages",
        absent="no KUA marriage count is imported for the region and year; the catin "
        "screened are not a denominator of their own screening (circular)",
        notes="Year periods only (KUA counts are yearly). A value above 100 % (no "
        "interval) means more brides were screened than marriages registered: screened "
        "in the period and married later, or registered at another KUA.",
    ),
    _programme(
        "pemahaman_stunting",
        "Sasaran dengan pemahaman yang baik tentang stunting",
        "Target audience with good understanding of stunting",
        "respondents with a good understanding (programme aggregate "
        "`pemahaman_stunting`: numerator)",
        "respondents of a knowledge survey in priority locations (the aggregate's "
        "denominator)",
        group="sensitive",
        targets=_perpres(70.0, _SINDO),
        citation=_SINDO,
        aggregate="pemahaman_stunting",
        absent="no knowledge survey is imported for the region and year",
    ),
    _programme(
        "air_minum_layak",
        "Keluarga dengan akses air minum layak",
        "Families with improved drinking water",
        "families whose main drinking-water source is improved (BKKBN list: bottled/refill, "
        "piped, bored well, protected well)",
        "families of the register with a known water source",
        group="sensitive",
        targets=_perpres(100.0, _HAKLI),
        citation=_HAKLI + "; BKKBN improved-water list, facts.md §3b",
        notes="Target stated for households in priority kab/kota.",
    ),
    _programme(
        "sanitasi_layak",
        "Keluarga dengan jamban layak",
        "Families with a proper latrine",
        "families with a latrine with a septic tank (own or shared)",
        "families of the register with a known latrine",
        group="sensitive",
        targets=_perpres(90.0, _HAKLI),
        citation=_HAKLI + "; BKKBN latrine rule, facts.md §3b",
        notes="Target stated for households in priority kab/kota.",
    ),
    _programme(
        "pendampingan_krs",
        "KRS mendapat pendampingan",
        "Families at risk (KRS) receiving assistance",
        _GIVEN.format("pendampingan_krs"),
        "KRS families (see `krs_families`)",
        group="sensitive",
        kind_code="pendampingan_krs",
        citation=_PERPRES + "; " + _NO_TARGET,
    ),
    _programme(
        "jkn_pbi",
        "Keluarga miskin/rentan dengan JKN PBI",
        "Poor/vulnerable families covered by JKN PBI",
        _GIVEN.format("jkn_pbi") + " (of the family or a member)",
        _WELFARE,
        group="sensitive",
        kind_code="jkn_pbi",
        citation=_PERPRES + "; " + _NO_TARGET,
    ),
    _programme(
        "pkh",
        "Keluarga miskin/rentan penerima PKH",
        "Poor/vulnerable families receiving PKH",
        _GIVEN.format("pkh") + " (of the family or a member)",
        _WELFARE,
        group="sensitive",
        kind_code="pkh",
        citation=_PERPRES + "; " + _NO_TARGET,
    ),
    _programme(
        "bansos_pangan",
        "Keluarga miskin/rentan penerima bantuan sosial pangan",
        "Poor/vulnerable families receiving food assistance",
        _GIVEN.format("bansos_pangan") + " (of the family or a member)",
        _WELFARE,
        group="sensitive",
        kind_code="bansos_pangan",
        citation=_PERPRES + "; " + _NO_TARGET,
    ),
    _programme(
        "desa_odf",
        "Desa/kelurahan bebas buang air besar sembarangan (ODF)",
        "Villages free of open defecation (ODF)",
        "desa verified ODF (programme aggregate `desa_odf`: numerator; 0 or 1 for one desa)",
        "desa of the region (the aggregate's denominator; 1 for one desa)",
        group="sensitive",
        citation=_PERPRES + "; " + _NO_TARGET,
        aggregate="desa_odf",
        absent="no ODF verification (STBM) is imported for the region and year",
    ),
)


@cache
def _index() -> dict[str, Indicator]:
    return {i.code: i for i in CATALOGUE}


def by_code(code: str) -> Indicator:
    """The indicator named `code` (KeyError for an unknown code)."""
    return _index()[code]
