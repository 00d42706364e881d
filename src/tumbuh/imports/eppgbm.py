"""e-PPGBM measurement exports → persons, families, facilities and z-scored measurements.

Per chunk: parse whole columns (tabular.parse), repair what can be repaired (warnings),
reject what cannot (quarantine), z-score the accepted rows in one kernel call, link rows to
persons with bulk look-ups, and write with executemany. No ORM object and no query per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import select

from tumbuh import growth
from tumbuh.i18n import Message
from tumbuh.imports.base import ChunkImport
from tumbuh.imports.context import (
    BATCH,
    Chunk,
    FileImport,
    bulk_insert_rows,
    bulk_update,
    fingerprints,
    insert_with_ids,
    row_keys,
)
from tumbuh.imports.linking import Candidate, PersonIndex, anonymous_key
from tumbuh.imports.normalise import (
    cut as _cut,
)
from tumbuh.imports.normalise import (
    normalise_kk,
    normalise_measure,
    normalise_nik_column,
    normalise_rt_rw,
)
from tumbuh.imports.places import NO_PLACE, Places
from tumbuh.register.models import Family, Measurement
from tumbuh.register.regions import name_key
from tumbuh.tabular.columns import Cells, Column, Columns
from tumbuh.tabular.issues import RowIssue
from tumbuh.tabular.readers import TableSource

# A measurement column: 0 is written for "not measured"; a negative value is reported
# and left out.
_MEASURED: dict[str, Any] = {
    "cells": Cells.number,
    "zero_is_missing": True,
    "negative": False,
}

COLUMNS = Columns(
    Column("nik", ("NIK", "NIK Anak", "No NIK", "NIK Balita")),
    Column("name", ("Nama", "Nama Anak", "Nama Balita"), width=160),
    # Without sex, birth date and measurement date no age, hence no z-score, can be
    # computed: the file is refused (the name is not among them: exports are often shared
    # with the names removed).
    Column(
        "sex",
        ("JK", "Jenis Kelamin", "L/P", "Sex"),
        required=True,
        cells=Cells.sex,
        row_required=True,
    ),
    Column(
        "birth_date",
        ("Tgl Lahir", "Tanggal Lahir", "Tgl Lhr"),
        required=True,
        cells=Cells.date,
        row_required=True,
    ),
    Column("birth_weight", ("BB Lahir", "Berat Lahir"), **_MEASURED),
    Column("birth_length", ("TB Lahir", "PB Lahir", "Panjang Lahir"), **_MEASURED),
    Column(
        "mother_name",
        ("Nama Ortu", "Nama Orang Tua", "Nama Ibu", "Nama Ortu/Wali"),
        width=160,
    ),
    Column("mother_nik", ("NIK Ortu", "NIK Ibu", "NIK Orang Tua")),
    Column("no_kk", ("No KK", "Nomor KK", "No Kartu Keluarga", "KK")),
    Column("prov", ("Prov", "Provinsi")),
    Column("kab", ("Kab/Kota", "Kabupaten/Kota", "Kab", "Kabupaten", "Kota")),
    Column("kec", ("Kec", "Kecamatan")),
    Column("puskesmas", ("Pukesmas", "Puskesmas")),
    Column("desa", ("Desa/Kel", "Desa/Kelurahan", "Kel/Desa", "Desa", "Kelurahan")),
    Column("desa_code", ("Kode Desa", "Kode Wilayah", "Kode Kemendagri")),
    Column("posyandu", ("Posyandu", "Nama Posyandu")),
    Column("rt", ("RT",)),
    Column("rw", ("RW",)),
    Column("address", ("Alamat",), width=250),
    Column("src_age", ("Usia Saat Ukur", "Umur Saat Ukur", "Usia")),
    Column(
        "measured_on",
        ("Tanggal Pengukuran", "Tgl Pengukuran", "Tanggal Ukur", "Tgl Ukur"),
        required=True,
        cells=Cells.date,
        row_required=True,
    ),
    Column("weight", ("Berat", "BB", "Berat Badan", "BB (kg)"), **_MEASURED),
    Column(
        "lenhei",
        ("Tinggi", "TB", "PB/TB", "TB/PB", "Tinggi Badan", "TB (cm)"),
        **_MEASURED,
    ),
    Column("measure", ("Cara Ukur",), cells=Cells.code),
    Column("muac", ("LiLA", "Lingkar Lengan Atas"), **_MEASURED),
    Column("headc", ("Lingkar Kepala", "LK"), **_MEASURED),
    # The export's own labels and z-scores, kept for comparison. Real files write
    # "z-core" (sic), "ZScore", "Z Score", "Status BB/U"...
    Column("src_cat_bbu", ("BB/U", "Status BB/U", "Kategori BB/U", "BBU")),
    Column(
        "src_zwei",
        (
            "ZS BB/U",
            "Z-Score BB/U",
            "ZS BBU",
            "z-core bb/u",
            "Z Score BB/U",
            "ZScore BB/U",
            "Zscore BBU",
            "Z-Score BBU",
            "z-core bbu",
        ),
        cells=Cells.number,
    ),
    Column("src_cat_tbu", ("TB/U", "PB/U", "Status TB/U", "Kategori TB/U", "TBU")),
    Column(
        "src_zlen",
        (
            "ZS TB/U",
            "Z-Score TB/U",
            "ZS PB/U",
            "z-core tb/u",
            "Z Score TB/U",
            "ZScore TB/U",
            "Zscore TBU",
            "Z-Score TBU",
            "z-core tbu",
            "z-core pb/u",
        ),
        cells=Cells.number,
    ),
    Column(
        "src_cat_bbtb", ("BB/TB", "BB/PB", "Status BB/TB", "Kategori BB/TB", "BBTB")
    ),
    Column(
        "src_zwfl",
        (
            "ZS BB/TB",
            "Z-Score BB/TB",
            "ZS BB/PB",
            "z-core bb/tb",
            "Z Score BB/TB",
            "ZScore BB/TB",
            "Zscore BBTB",
            "Z-Score BBTB",
            "z-core bbtb",
            "z-core bb/pb",
        ),
        cells=Cells.number,
    ),
    Column("src_weight_gain", ("Naik Berat Badan", "Naik BB", "N/T", "Naik/Tidak")),
)
_LACKS = {
    "sex": "lacks_sex",
    "birth_date": "lacks_birth_date",
    "measured_on": "lacks_measured_on",
}

# WHO Child Growth Standards: |z| beyond 5 is biologically implausible for weight-for-age
# (WHO anthro flag limits -6/+5); a repaired weight must come within this.
_PLAUSIBLE_Z = 5.0
# 60 months (WHO anthro, 30.4375 days per month): older children are outside the standard
# the export and tumbuh score against, reported on the row.
_AGE_60_MONTHS = 60 * 30.4375
# Plausible birth sizes (kg, cm): the WHO standard at birth spans 2.0-4.8 kg and 43.6-55.6 cm
# at ±3 SD; these limits leave room for very preterm and very large newborns. Values outside
# are tried as grams/hectograms and mm/dm, and dropped (reported) when no unit fits.
_BIRTH_KG = (0.4, 6.5)
_BIRTH_CM = (25.0, 65.0)
# MUAC of under-fives is 6-30 cm; 60-300 is the same in mm.
_MUAC_CM = (5.0, 35.0)
_MEASURE_FIELDS = ("weight", "lenhei", "muac", "headc")

#: What a measurement's fingerprint covers (what the export says of it, change detection
#: on re-import), in this order, and which of them are digested as numbers
#: (`tumbuh.imports.context.fingerprints`). Migration 0017 recomputed stored fingerprints
#: with the same two (a test checks they agree).
FINGERPRINT_FIELDS = (
    "person_id", "measured_on", "age_days", "weight_kg", "lenhei_cm", "measure",
    "muac_cm", "headc_cm", "posyandu_id", "puskesmas_id", "desa_code", "src_age",
    "src_zwei", "src_zlen", "src_zwfl", "src_cat_bbu", "src_cat_tbu", "src_cat_bbtb",
    "src_weight_gain",
)  # fmt: skip
FINGERPRINT_NUMBERS = frozenset(
    {
        "person_id", "age_days", "weight_kg", "lenhei_cm", "muac_cm", "headc_cm",
        "posyandu_id", "puskesmas_id", "src_zwei", "src_zlen", "src_zwfl",
    }
)  # fmt: skip


def score(
    sex: npt.NDArray[np.float64],
    age_days: npt.NDArray[np.float64],
    weight_kg: npt.NDArray[np.float64],
    lenhei_cm: npt.NDArray[np.float64],
    measure: npt.NDArray[np.object_],
) -> Any:
    """One kernel call on whole columns."""
    return growth.zscores(
        sex=sex,
        age_days=age_days,
        weight_kg=weight_kg,
        lenhei_cm=lenhei_cm,
        measure=measure,
        validate="row",
    )


def _repair(
    values: npt.NDArray[np.float64],
    suspicious: npt.NDArray[np.bool_],
    factors: tuple[float, ...],
    zfun: Any,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Try each factor on the suspicious cells; keep the one with the smallest |z| within limits.

    Returns the repaired values and the factor used (NaN where none fitted).
    """
    fixed = values.copy()
    used = np.full(len(values), np.nan)
    best = np.full(len(values), np.inf)
    idx = np.nonzero(suspicious)[0]
    if len(idx) == 0:
        return fixed, used
    for factor in factors:
        cand = values[idx] * factor
        z = np.abs(zfun(idx, cand))
        take = (z <= _PLAUSIBLE_Z) & (z < best[idx])
        fixed[idx[take]] = cand[take]
        used[idx[take]] = factor
        best[idx[take]] = z[take]
    return fixed, used


@dataclass
class Child:
    """What the parse and plausibility steps read of a chunk's rows (row-aligned arrays)."""

    names: list[str | None]
    sex: npt.NDArray[np.float64]  # 1 male, 2 female, NaN missing
    birth: npt.NDArray[np.datetime64]
    measured: npt.NDArray[np.datetime64]
    age: npt.NDArray[np.float64]  # days
    weight: npt.NDArray[np.float64]
    lenhei: npt.NDArray[np.float64]
    muac: npt.NDArray[np.float64]
    headc: npt.NDArray[np.float64]
    birth_weight: npt.NDArray[np.float64]
    birth_length: npt.NDArray[np.float64]
    # set by the plausibility step
    measure: npt.NDArray[np.object_] = field(
        default_factory=lambda: np.empty(0, dtype=object)
    )
    src_z: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    z: Any = None

    @property
    def sexes(self) -> list[str]:
        return ["M" if v == 1 else "F" for v in self.sex.tolist()]


@dataclass
class Identity:
    """The identity columns of a chunk's rows, normalised."""

    nik_raw: list[str | None]
    niks: list[str | None]
    suspects: list[str | None]
    mother_niks: list[str | None]
    kks: list[str | None]
    rts: list[str | None]
    rws: list[str | None]
    mothers: list[str | None]
    addresses: list[str | None]


@dataclass
class Where:
    """Where a chunk's rows were measured: desa codes and facility ids."""

    desa_codes: list[str | None]
    posyandu_names: list[str | None]
    posyandu_ids: list[int | None]
    puskesmas_ids: list[int | None]


class EppgbmImport(ChunkImport):
    """Import of one e-PPGBM file inside the caller's transaction."""

    KIND = "eppgbm"
    COLUMNS = COLUMNS

    def __init__(self, ctx: FileImport, source: TableSource) -> None:
        super().__init__(ctx, source)
        self.index = PersonIndex(ctx.session)
        self.families: dict[str, int] = {}
        self.resolver = Places(ctx.regions, ctx.report)
        # Measurement keys written by this file, packed as person_id * 2**20 + date ordinal
        # (a set of ints: a million rows cost tens of MB, not hundreds).
        self.seen: set[int] = set()

    def check_columns(self, columns: dict[str, str]) -> None:
        """Refuse a file that lacks sex, birth or measurement dates, or any measurement,
        saying what each missing column is needed for."""
        missing = [(c.shown, _LACKS[c.field]) for c in COLUMNS.missing(columns)]
        if "weight" not in columns and "lenhei" not in columns:
            missing.append(("Berat/Tinggi", "lacks_measurement"))
        if missing:
            raise self.refusal(
                "imp.refusal.lacks",
                columns=[col for col, _ in missing],
                why=tuple(
                    Message.of(
                        "imp.refusal.why",
                        column=col,
                        reason=(Message.of(f"issue.{code}"),),
                    )
                    for col, code in missing
                ),
            )

    def begin(self) -> None:
        self.ctx.load_facilities()

    def finish(self) -> None:
        self.ctx.report.extra["persons_created"] = self.index.created
        self.ctx.report.extra["link_review"] = self.index.reviewed

    # ----------------------------------------------------------------- chunk

    #: parse, plausibility and identity read only the chunk: the next chunk's run in the
    #: reader thread while this one is linked and written (`ChunkImport.READ_AHEAD`).
    READ_AHEAD = True

    def chunk(self, chunk: Chunk) -> None:
        """The steps of one chunk, in order (each reports its issues on the rows; a row an
        early step rejects is left out of the later ones' writes)."""
        self.store(chunk, self.prepare(chunk))

    def prepare(
        self, chunk: Chunk
    ) -> tuple[dict[int, list[RowIssue]], Child, Identity]:
        """The steps without the database: parse, plausibility (z-scores), identity."""
        per_row: dict[int, list[RowIssue]] = {}
        child = self.parse(chunk, per_row)
        self.plausibility(chunk, per_row, child)
        who = self.identity(chunk, per_row)
        return per_row, child, who

    def store(
        self, chunk: Chunk, prepared: tuple[dict[int, list[RowIssue]], Child, Identity]
    ) -> None:
        """The steps with the database: places (facilities), link, write, quarantine."""
        per_row, child, who = prepared
        where = self.places(chunk, per_row)
        person_of = self.link(chunk, per_row, child, who, where)
        self._measurements(chunk, per_row, child, where, person_of)
        self.quarantine(chunk, per_row, child, who)

    # ------------------------------------------------------------- the steps

    def parse(self, chunk: Chunk, per_row: dict[int, list[RowIssue]]) -> Child:
        """Names, sex, dates and the age at measurement, and the measurement columns as
        numbers (negative ones dropped). A row without sex or a usable date is rejected."""
        n = len(chunk)
        names = self.texts(chunk, "name", per_row)
        if chunk.has("name"):
            for i in range(n):
                if names[i] is None:
                    self._issue(per_row, chunk, i, "name", "name_missing")
        sex = self.sexes(chunk, "sex", per_row)
        birth = self.dates(chunk, "birth_date", per_row)
        measured = self.dates(chunk, "measured_on", per_row)
        both = ~np.isnat(birth) & ~np.isnat(measured)
        age = np.full(n, np.nan)
        age[both] = (measured[both] - birth[both]).astype(np.int64)
        for i in np.flatnonzero(age < 0).tolist():
            self._issue(
                per_row,
                chunk,
                int(i),
                "measured_on",
                "measured_before_birth",
                error=True,
            )
        for i in np.flatnonzero(age >= _AGE_60_MONTHS).tolist():
            self._issue(
                per_row, chunk, int(i), "measured_on", "age_over_60_months", int(age[i])
            )
        for i in np.flatnonzero(age == 0).tolist():
            self._issue(per_row, chunk, int(i), "measured_on", "measured_on_birth_date")
        return Child(
            names=names,
            sex=sex,
            birth=birth,
            measured=measured,
            age=age,
            weight=self.numbers(chunk, "weight", per_row),
            lenhei=self.numbers(chunk, "lenhei", per_row),
            muac=self.numbers(chunk, "muac", per_row),
            headc=self.numbers(chunk, "headc", per_row),
            birth_weight=self.numbers(chunk, "birth_weight", per_row),
            birth_length=self.numbers(chunk, "birth_length", per_row),
        )

    def plausibility(
        self, chunk: Chunk, per_row: dict[int, list[RowIssue]], child: Child
    ) -> None:
        """Units and lost decimal points (repaired when one reading fits, else dropped), the
        export's own z-scores, how length/height was measured, then the z-scores of the
        accepted rows in one kernel call. A row with no measurement left is rejected."""
        child.muac = self.units(
            chunk,
            per_row,
            "muac",
            child.muac,
            _MUAC_CM,
            ((0.1, "muac_mm"),),
            "muac_implausible",
            "cm",
        )
        child.birth_weight = self.units(
            chunk,
            per_row,
            "birth_weight",
            child.birth_weight,
            _BIRTH_KG,
            ((0.001, "birth_weight_grams"), (0.1, "birth_weight_hectograms")),
            "birth_weight_implausible",
            "kg",
        )
        child.birth_length = self.units(
            chunk,
            per_row,
            "birth_length",
            child.birth_length,
            _BIRTH_CM,
            (
                (0.1, "birth_length_mm"),
                (10.0, "birth_length_dm"),
                (0.01, "birth_length_decimal_lost"),
            ),
            "birth_length_implausible",
            "cm",
        )
        child.src_z = {
            f: self.numbers(chunk, f, per_row)
            for f in ("src_zwei", "src_zlen", "src_zwfl")
        }
        child.measure = np.array(
            [normalise_measure(v) for v in chunk.text("measure")], dtype=object
        )
        child.weight, child.lenhei = self._repair_measures(
            chunk,
            per_row,
            child.sex,
            child.age,
            child.weight,
            child.lenhei,
            child.measure,
        )
        for i in np.flatnonzero(np.isnan(child.weight) & np.isnan(child.lenhei)):
            self._issue(per_row, chunk, int(i), "weight", "no_measurement", error=True)
        good = ~chunk.bad
        child.z = score(
            np.where(good, child.sex, np.nan),
            np.where(good, child.age, np.nan),
            child.weight,
            child.lenhei,
            child.measure,
        )

    def identity(self, chunk: Chunk, per_row: dict[int, list[RowIssue]]) -> Identity:
        """NIK, the mother's NIK and name, No KK, RT/RW and address, normalised (what could
        not be read is a warning and left out)."""
        n = len(chunk)
        nik_raw = chunk.text("nik")
        niks, suspects, nik_codes = normalise_nik_column(chunk.arrow("nik"))
        for i, code in enumerate(nik_codes):
            if code is not None:
                self._issue(per_row, chunk, i, "nik", code, nik_raw[i])
        mother_niks, _, mother_codes = normalise_nik_column(chunk.arrow("mother_nik"))
        for i, code in enumerate(mother_codes):
            if code is not None and code != "nik_float_suffix":
                self._issue(
                    per_row, chunk, i, "mother_nik", code, chunk.arrow("mother_nik")[i]
                )
        kks: list[str | None] = [None] * n
        for i, raw in enumerate(chunk.text("no_kk")):
            kk, code = normalise_kk(raw)
            kks[i] = kk
            if code is not None:
                self._issue(per_row, chunk, i, "no_kk", code, raw)
        return Identity(
            nik_raw=nik_raw,
            niks=niks,
            suspects=suspects,
            mother_niks=mother_niks,
            kks=kks,
            rts=self._rt_rw(chunk, "rt", per_row),
            rws=self._rt_rw(chunk, "rw", per_row),
            mothers=self.texts(chunk, "mother_name", per_row),
            addresses=self.texts(chunk, "address", per_row),
        )

    def places(self, chunk: Chunk, per_row: dict[int, list[RowIssue]]) -> Where:
        """Desa/kec/kab codes from the region columns (`imports.places`, each distinct place
        resolved once) and the posyandu and puskesmas of the accepted rows."""
        good = ~chunk.bad
        pos_names = chunk.clean("posyandu")
        pkm_names = chunk.clean("puskesmas")
        region_cols = [
            chunk.clean(f) for f in ("desa_code", "prov", "kab", "kec", "desa")
        ]
        # Resolved once per distinct place (a file has hundreds, not a row's worth).
        places = list(zip(*region_cols, pkm_names, strict=True))
        resolved = {
            key: self.resolver.resolve(key) if any(key[:5]) else NO_PLACE
            for key in dict.fromkeys(places)
        }
        per_place = list(map(resolved.__getitem__, places))
        desa_codes: list[str | None] = [r[0] for r in per_place]
        kec_codes: list[str | None] = [r[1] for r in per_place]
        kab_codes: list[str | None] = [r[2] for r in per_place]
        noted = {
            key
            for key, r in resolved.items()
            if r[3] is not None or r[4] is not None or r[6] is not None
        }
        for i in [i for i, key in enumerate(places) if key in noted] if noted else []:
            _, _, _, problem, fuzzy, at, ambiguity = per_place[i]
            if problem is not None:
                fld = at if at is not None and chunk.has(at) else "desa"
                self._issue(per_row, chunk, i, fld, "region_not_found", problem)
            if fuzzy is not None:
                self._issue(per_row, chunk, i, "desa", "region_fuzzy", fuzzy)
            if ambiguity is not None:
                self._issue(per_row, chunk, i, "kab", "region_ambiguous", ambiguity)
        posyandu_ids = self.ctx.facility_ids(
            "posyandu",
            [
                (d, p) if d and p and good[i] else None
                for i, (d, p) in enumerate(zip(desa_codes, pos_names, strict=True))
            ],
        )
        puskesmas_ids = self.ctx.facility_ids(
            "puskesmas",
            [
                (r, p) if (r := k or b) and p and good[i] else None
                for i, (k, b, p) in enumerate(
                    zip(kec_codes, kab_codes, pkm_names, strict=True)
                )
            ],
        )
        return Where(
            desa_codes=desa_codes,
            posyandu_names=pos_names,
            posyandu_ids=posyandu_ids,
            puskesmas_ids=puskesmas_ids,
        )

    def link(
        self,
        chunk: Chunk,
        per_row: dict[int, list[RowIssue]],
        child: Child,
        who: Identity,
        where: Where,
    ) -> dict[int, Candidate]:
        """Each accepted row's child (and mother, and family) found or created
        (`imports.linking`), in measurement-date order; unsure matches go to review."""
        n = len(chunk)
        ctx = self.ctx
        names, mothers, kks = child.names, who.mothers, who.kks
        niks, mother_niks = who.niks, who.mother_niks
        desa_codes = where.desa_codes
        good_idx: list[int] = np.flatnonzero(~chunk.bad).tolist()
        births = child.birth.astype(object)
        sexes = child.sexes
        birth_list: list[dt.date] = births.tolist()
        bw_list = _none_nan(child.birth_weight)
        bl_list = _none_nan(child.birth_length)
        # Identity key per row: the name's key, or for a row without a name its sex, place
        # and birth size (the birth date is the index's other half).
        keys: list[str] = [""] * n
        for i in good_idx:
            name = names[i]
            if name is not None:
                keys[i] = name_key(name)[:160]
            if not keys[i]:
                pos = where.posyandu_names[i]
                keys[i] = anonymous_key(
                    sexes[i],
                    desa_codes[i],
                    name_key(pos) if pos else None,
                    who.rts[i],
                    who.rws[i],
                    bw_list[i],
                    bl_list[i],
                )
        # Rows are linked in measurement-date order (the latest measurement's values win
        # whatever the row order); identity keys make the grouping itself order-free.
        good_arr = np.flatnonzero(~chunk.bad)
        order: list[int] = good_arr[
            np.argsort(child.measured[good_arr], kind="stable")
        ].tolist()

        # Families and mothers first: children point at them.
        self._families({k for i in good_idx if (k := kks[i])})
        self.index.preload(
            {x for i in good_idx for x in (niks[i], mother_niks[i]) if x},
            {births[i] for i in good_idx},
        )
        mother_of: dict[int, Candidate] = {}
        for i in order:
            mnik = mother_niks[i]
            if mnik is None:
                continue
            mother = self.index.by_nik.get(mnik)
            family_id = self.families.get(kks[i] or "")
            if mother is None:
                mname = mothers[i] or "(ibu)"
                mother = self.index.create(
                    {
                        "nik": mnik,
                        "name": mname[:160],
                        "name_key": name_key(mname)[:160],
                        "sex": "F",
                        "family_id": family_id,
                        "family_role": "istri" if family_id else None,
                        "desa_code": desa_codes[i],
                    }
                )
            elif family_id is not None:
                self.index.set_fields(mother, {"family_id": family_id})
            mother_of[int(i)] = mother
        self.index.flush()

        person_of: dict[int, Candidate] = {}
        for ii in order:
            name = names[ii]
            nkey = keys[ii]
            mkey = _cut(name_key(mothers[ii] or ""), 160) or None
            nik = niks[ii]
            cand, unsure, sc = self.index.match(
                nik=nik,
                name_key=nkey,
                birth_date=birth_list[ii],
                mother_key=mkey,
                sex=sexes[ii],
                desa_code=desa_codes[ii],
            )
            mother = mother_of.get(ii)
            fields: dict[str, Any] = {
                "mother_id": mother.id if mother is not None else None,
                "family_id": self.families.get(kks[ii] or ""),
                "desa_code": desa_codes[ii],
            }
            if cand is None:
                cand = self.index.create(
                    {
                        "nik": nik,
                        "nik_suspect": _cut(who.suspects[ii], 24),
                        "name": name or "",
                        "name_key": nkey,
                        "sex": sexes[ii],
                        "birth_date": birth_list[ii],
                        "mother_name": mothers[ii],
                        "mother_name_key": mkey,
                        "family_role": "anak" if fields["family_id"] else None,
                        "rt": who.rts[ii],
                        "rw": who.rws[ii],
                        "address": who.addresses[ii],
                        "birth_weight_kg": bw_list[ii],
                        "birth_length_cm": bl_list[ii],
                        **fields,
                    }
                )
                if unsure is not None:
                    reason = (
                        "sex/birth date/desa match without a name"
                        if unsure.anonymous or name is None
                        else "name/birth date/mother fuzzy match"
                    )
                    self.index.review(
                        cand, unsure, sc, ctx.file, int(chunk.rows[ii]), reason
                    )
                    shown = unsure.extra.get("name") or unsure.name_key
                    self._issue(per_row, chunk, ii, "name", "link_review", shown)
            else:
                if nik is not None and cand.nik is None:
                    fields["nik"] = nik
                elif nik is not None and cand.nik == nik:
                    # Same NIK: the later export's name, sex and birth date win.
                    old_birth = cand.extra.get("birth_date")
                    if old_birth is not None and old_birth != birth_list[ii]:
                        self._issue(
                            per_row,
                            chunk,
                            ii,
                            "birth_date",
                            "nik_conflict",
                            f"{old_birth} → {birth_list[ii]}",
                        )
                    fields.update(sex=sexes[ii], birth_date=birth_list[ii])
                    if name is not None:  # an export without names keeps the name
                        fields.update(name=name, name_key=nkey)
                self.index.set_fields(cand, fields)
            person_of[ii] = cand
        self.index.flush()
        return person_of

    def quarantine(
        self,
        chunk: Chunk,
        per_row: dict[int, list[RowIssue]],
        child: Child,
        who: Identity,
    ) -> None:
        """Rejected rows into quarantine with their issues; accepted rows clear the
        quarantine entries they fix (same NIK or name, birth and measurement dates)."""
        ctx = self.ctx
        dob_raw = chunk.text("birth_date")
        date_raw = chunk.text("measured_on")
        n = len(chunk)
        for i in range(n) if ctx.has_quarantine else np.flatnonzero(chunk.bad).tolist():
            if chunk.bad[i] or ctx.has_quarantine:
                keys = row_keys(
                    (who.nik_raw[i], child.names[i]), dob_raw[i], date_raw[i]
                )
                if chunk.bad[i]:
                    ctx.reject(chunk, i, per_row.get(i, []), keys)
                    ctx.report.rejected += 1
                else:
                    ctx.resolved_keys.update(keys)

    # ------------------------------------------------------------- sections

    def _rt_rw(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> list[str | None]:
        out: list[str | None] = []
        for i, raw in enumerate(chunk.text(fld)):
            value, code = normalise_rt_rw(raw)
            out.append(value)
            if code is not None:
                shown = f"{raw} → {value}" if value else raw
                self._issue(per_row, chunk, i, fld, code, shown)
        return out

    def _repair_measures(
        self,
        chunk: Chunk,
        per_row: dict[int, list[RowIssue]],
        sex: npt.NDArray[np.float64],
        age: npt.NDArray[np.float64],
        weight: npt.NDArray[np.float64],
        lenhei: npt.NDArray[np.float64],
        measure: npt.NDArray[np.object_],
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Grams and lost decimal points in weights, lost points and metres in heights."""
        nan = np.full(len(sex), np.nan)

        def zwei(
            idx: npt.NDArray[np.int64], cand: npt.NDArray[np.float64]
        ) -> npt.NDArray[np.float64]:
            res = score(sex[idx], age[idx], cand, nan[idx], measure[idx])
            return np.where(np.isnan(res.zwei), np.inf, res.zwei)

        def zlen(
            idx: npt.NDArray[np.int64], cand: npt.NDArray[np.float64]
        ) -> npt.NDArray[np.float64]:
            res = score(sex[idx], age[idx], nan[idx], cand, measure[idx])
            return np.where(np.isnan(res.zlen), np.inf, res.zlen)

        # The heaviest child in the WHO standard (60 months, +5 SD) is below 35 kg; the tallest
        # (60 months, +5 SD) below 135 cm: larger values are units or lost decimal points.
        orig_w = weight
        heavy = weight > 35
        weight, used = _repair(weight, heavy, (0.001, 0.01, 0.1), zwei)
        for i in np.flatnonzero(heavy).tolist():
            col = chunk.arrow("weight")[i]
            if np.isnan(used[i]):
                self._issue(per_row, chunk, int(i), "weight", "weight_implausible", col)
                weight[i] = np.nan
            else:
                code = (
                    "weight_grams"
                    if orig_w[i] >= 1000 and used[i] == 0.001
                    else "weight_decimal_lost"
                )
                self._issue(
                    per_row, chunk, int(i), "weight", code, f"{col} → {weight[i]:g} kg"
                )
        tall = lenhei > 135
        lenhei, used_h = _repair(lenhei, tall, (0.1, 0.01), zlen)
        metres = lenhei < 2
        lenhei, used_m = _repair(lenhei, metres, (100.0,), zlen)
        for i in np.flatnonzero(tall | metres).tolist():
            col = chunk.arrow("lenhei")[i]
            factor = used_m[i] if metres[i] else used_h[i]
            if np.isnan(factor):
                self._issue(per_row, chunk, int(i), "lenhei", "height_implausible", col)
                lenhei[i] = np.nan
            else:
                code = "height_metres" if metres[i] else "height_decimal_lost"
                self._issue(
                    per_row, chunk, int(i), "lenhei", code, f"{col} → {lenhei[i]:g} cm"
                )
        return weight, lenhei

    def _families(self, kks: set[str]) -> None:
        want = sorted(k for k in kks if k not in self.families)
        for start in range(0, len(want), BATCH):
            part = want[start : start + BATCH]
            for fid, kk in self.session.execute(
                select(Family.id, Family.no_kk).where(Family.no_kk.in_(part))
            ):
                self.families[kk] = fid
        new = [k for k in want if k not in self.families]
        if new:
            ids = insert_with_ids(self.session, Family, [{"no_kk": k} for k in new])
            for kk, fid in zip(new, ids, strict=True):
                self.families[kk] = fid

    def _measurements(
        self,
        chunk: Chunk,
        per_row: dict[int, list[RowIssue]],
        child: Child,
        where: Where,
        person_of: dict[int, Candidate],
    ) -> None:
        """The write step: insert new, update changed, count unchanged (natural key: child +
        date)."""
        report = self.ctx.report
        good_idx: list[int] = np.flatnonzero(~chunk.bad).tolist()
        dates = child.measured.astype(object)
        z, src_z, measure = child.z, child.src_z, child.measure
        # Last row wins for one child and date within the file.
        last: dict[tuple[int, dt.date], int] = {}
        for ii in good_idx:
            key = (person_of[ii].id, dates[ii])
            if key in last:
                self._issue(
                    per_row, chunk, last[key], "measured_on", "duplicate_in_file"
                )
            last[key] = ii
        report.unchanged += len(good_idx) - len(last)
        sel = np.fromiter(last.values(), dtype=np.int64, count=len(last))
        if len(sel) == 0:
            return

        def take(values: Any) -> list[Any]:
            if isinstance(values, list):
                return [values[i] for i in sel.tolist()]
            return _none_nan(np.asarray(values)[sel])

        # Source columns (the fingerprint covers these) then computed columns.
        texts = {
            f: take(chunk.clean(f))
            for f in (
                "src_age",
                "src_cat_bbu",
                "src_cat_tbu",
                "src_cat_bbtb",
                "src_weight_gain",
            )
        }
        source_cols: dict[str, list[Any]] = {
            "person_id": [k[0] for k in last],
            "measured_on": [k[1] for k in last],
            "age_days": child.age[sel].astype(np.int64).tolist(),
            "weight_kg": take(child.weight),
            "lenhei_cm": take(child.lenhei),
            "measure": measure[sel].tolist(),
            "muac_cm": take(child.muac),
            "headc_cm": take(child.headc),
            "posyandu_id": take(where.posyandu_ids),
            "puskesmas_id": take(where.puskesmas_ids),
            "desa_code": take(where.desa_codes),
            "src_age": [_cut(v, 40) for v in texts["src_age"]],
            "src_zwei": take(src_z["src_zwei"]),
            "src_zlen": take(src_z["src_zlen"]),
            "src_zwfl": take(src_z["src_zwfl"]),
            "src_cat_bbu": [_cut(v, 40) for v in texts["src_cat_bbu"]],
            "src_cat_tbu": [_cut(v, 40) for v in texts["src_cat_tbu"]],
            "src_cat_bbtb": [_cut(v, 40) for v in texts["src_cat_bbtb"]],
            "src_weight_gain": [_cut(v, 20) for v in texts["src_weight_gain"]],
        }
        fps = fingerprints(
            {f: source_cols[f] for f in FINGERPRINT_FIELDS}, FINGERPRINT_NUMBERS
        )
        # New rows carry the date as ISO text, converted in bulk (what the driver's date
        # adapter would write, one Python call per row); updates keep the date objects.
        source_cols["measured_on"] = np.datetime_as_string(
            np.asarray(dates[sel], dtype="datetime64[D]"), unit="D"
        ).tolist()
        computed: dict[str, list[Any]] = {}
        for name in ("clenhei", "zlen", "zwei", "zwfl", "zbmi"):
            computed[name] = _none_nan(np.asarray(getattr(z, name))[sel])
        # On SQLite a flag goes as 0/1: the driver binds a bool (and None) through
        # Python's adapter lookup, several times a number's cost per cell.
        as_int = self.session.get_bind().dialect.name == "sqlite"
        for name in ("flen", "fwei", "fwfl", "fbmi"):
            computed[name] = _flags(np.asarray(getattr(z, name))[sel], as_int=as_int)
        for name in ("cat_tbu", "cat_bbu", "cat_bbtb"):
            computed[name] = _texts(np.asarray(getattr(z, name))[sel])
        computed["source_file"] = [self.ctx.file[:255]] * len(sel)
        computed["source_row"] = chunk.rows[sel].tolist()
        computed["fingerprint"] = fps
        columns = {**source_cols, **computed}
        # A column no row of the chunk fills (LiLA, head circumference...) is left out of
        # the INSERT (NULL all the same; binding None costs as much as the rest of a
        # row's cells); an UPDATE sets it, a changed value may have become empty.
        empty = [n for n, col in columns.items() if all(v is None for v in col)]
        for name in empty:
            del columns[name]
        names = list(columns)
        rows = list(zip(*columns.values(), strict=True))

        keys = list(last)
        packed = [pid * 1_048_576 + day.toordinal() for pid, day in keys]
        existing = self._existing(keys, packed)
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        for n, key in enumerate(last):
            old = existing.get(key)
            if old is None:
                inserts.append(rows[n])
            elif old[1] != fps[n]:
                values = dict(zip(names, rows[n], strict=True))
                values.update(dict.fromkeys(empty))
                updates.append({"id": old[0], **values, "measured_on": key[1]})
            else:
                report.unchanged += 1
        self.seen.update(packed)
        report.inserted += len(inserts)
        report.updated += len(updates)
        bulk_insert_rows(self.session, Measurement.__table__, names, inserts)
        if updates:
            bulk_update(self.session, Measurement.__table__, updates)

    def _existing(
        self, keys: list[tuple[int, dt.date]], packed: list[int]
    ) -> dict[tuple[int, dt.date], tuple[int, str]]:
        """(id, fingerprint) of the stored measurements with these keys (`packed`: the
        keys as person_id * 2**20 + date ordinal, as in `seen`)."""
        existing: dict[tuple[int, dt.date], tuple[int, str]] = {}
        seen = self.seen
        earlier = [p in seen for p in packed] if seen else [False] * len(keys)
        persons = sorted({k[0] for k, e in zip(keys, earlier, strict=True) if not e})
        persons = [p for p in persons if p not in self.index.created_ids]
        for start in range(0, len(persons), BATCH):
            part = persons[start : start + BATCH]
            for mid, pid, day, fp in self.session.execute(
                select(
                    Measurement.id,
                    Measurement.person_id,
                    Measurement.measured_on,
                    Measurement.fingerprint,
                ).where(Measurement.person_id.in_(part))
            ):
                existing[(pid, day)] = (mid, fp)
        for key, e in zip(keys, earlier, strict=True):
            if e:  # written by an earlier chunk of this file
                found = self.session.execute(
                    select(Measurement.id, Measurement.fingerprint).where(
                        Measurement.person_id == key[0],
                        Measurement.measured_on == key[1],
                    )
                ).first()
                if found is not None:
                    existing[key] = (found[0], found[1])
        return existing


def _none_nan(values: npt.NDArray[Any]) -> list[Any]:
    """A float array as a list with None for NaN (what the database stores as NULL)."""
    arr = np.asarray(values, dtype=np.float64)
    out: list[Any] = arr.tolist()
    for i in np.flatnonzero(np.isnan(arr)).tolist():
        out[i] = None
    return out


def _flags(values: Any, *, as_int: bool = False) -> list[bool | int | None]:
    """Kernel flags as booleans (None where missing); `as_int`: as 0/1 (SQLite)."""
    arr = np.asarray(values)
    num = np.asarray(arr, dtype=np.float64)
    flags = num > 0
    out: list[bool | int | None] = (
        flags.astype(np.int8).tolist() if as_int else flags.tolist()
    )
    if arr.dtype != bool:
        for i in np.flatnonzero(np.isnan(num)).tolist():
            out[i] = None
    return out


def _texts(values: Any) -> list[str | None]:
    """Category labels as a list with None for missing."""
    arr = np.asarray(values, dtype=object)
    out: list[str | None] = arr.tolist()
    for i in np.flatnonzero(pd.isna(arr) | (arr == "")).tolist():
        out[i] = None
    return out
