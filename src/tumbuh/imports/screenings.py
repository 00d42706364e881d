"""Screenings of pregnant women, brides/grooms-to-be and adolescents (docs/templates.md §3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from tumbuh.imports.base import ChunkImport
from tumbuh.imports.context import (
    BATCH,
    Chunk,
    FileImport,
    bulk_insert,
    bulk_update,
    fingerprint,
    insert_with_ids,
    row_keys,
)
from tumbuh.imports.linking import Candidate, PersonIndex
from tumbuh.imports.normalise import cut as _cut
from tumbuh.imports.normalise import normalise_kk, normalise_nik
from tumbuh.register.models import Family, Pregnancy, Screening
from tumbuh.register.regions import name_key
from tumbuh.tabular.columns import Cells, Column, Columns
from tumbuh.tabular.issues import RowIssue
from tumbuh.tabular.readers import TableSource

COLUMNS = Columns(
    Column("kind", ("Jenis", "Jenis Sasaran", "Sasaran"), required=True),
    Column("nik", ("NIK",)),
    Column("name", ("Nama",), required=True, width=160),
    Column("sex", ("JK", "Jenis Kelamin"), cells=Cells.sex),
    Column("birth_date", ("Tgl Lahir", "Tanggal Lahir"), cells=Cells.date),
    Column("no_kk", ("No KK", "Nomor KK")),
    Column("desa_code", ("Kode Desa", "Kode Wilayah")),
    Column(
        "screened_on",
        ("Tanggal Skrining", "Tgl Skrining", "Tanggal Pemeriksaan"),
        required=True,
        cells=Cells.date,
        row_required=True,
    ),
    # 0 in LiLA and Berat is "not measured", as in e-PPGBM exports.
    Column(
        "muac",
        ("LiLA", "Lingkar Lengan Atas"),
        cells=Cells.number,
        zero_is_missing=True,
    ),
    Column("hb", ("Hb", "Hemoglobin"), cells=Cells.number),
    Column("weight", ("Berat", "BB"), cells=Cells.number, zero_is_missing=True),
    Column("height", ("Tinggi", "TB"), cells=Cells.number),
    Column("lmp", ("HPHT",), cells=Cells.date),
    Column("weeks", ("Usia Kehamilan", "UK (minggu)"), cells=Cells.number),
    Column("anc", ("Kunjungan ANC", "Jumlah ANC", "ANC"), cells=Cells.number),
    Column("wedding", ("Rencana Nikah", "Tanggal Rencana Nikah"), cells=Cells.date),
)
KINDS = {
    "hamil": "hamil",
    "ibu hamil": "hamil",
    "bumil": "hamil",
    "catin": "catin",
    "calon pengantin": "catin",
    "remaja": "remaja",
    "remaja putri": "remaja",
    "rematri": "remaja",
}
# Plausible ranges; outside them the value is dropped with a warning (row kept).
RANGES: dict[str, tuple[float, float]] = {
    "muac": (10.0, 50.0),  # cm
    "hb": (3.0, 20.0),  # g/dL
    "weight": (25.0, 200.0),  # kg, adult/adolescent
    "height": (100.0, 210.0),  # cm
    "weeks": (0.0, 45.0),
    "anc": (0.0, 30.0),
}
#: Per measurement: (factor, issue code) of the other units it is found written in, the
#: issue code of a value outside its range, and its unit.
_UNITS: dict[str, tuple[tuple[tuple[float, str], ...], str, str]] = {
    "muac": (((0.1, "muac_mm"),), "muac_implausible", "cm"),
    "hb": (((0.1, "hb_g_per_l"),), "hb_implausible", "g/dL"),
    "weight": (
        (
            (0.001, "weight_grams"),
            (0.1, "weight_decimal_lost"),
            (0.01, "weight_decimal_lost"),
        ),
        "weight_implausible",
        "kg",
    ),
    "height": (
        ((100.0, "height_metres"), (0.1, "height_decimal_lost")),
        "height_implausible",
        "cm",
    ),
    "weeks": ((), "value_implausible", ""),
    "anc": ((), "value_implausible", ""),
}
_NAEGELE_DAYS = 280  # due date = HPHT + 280 days (Naegele's rule)


def _date_or_none(value: np.datetime64) -> dt.date | None:
    return None if np.isnat(value) else value.astype(object)  # type: ignore[no-any-return]


class ScreeningsImport(ChunkImport):
    """Screenings, the persons screened and (hamil with HPHT) their pregnancies."""

    KIND = "screenings"
    COLUMNS = COLUMNS

    def __init__(self, ctx: FileImport, source: TableSource) -> None:
        super().__init__(ctx, source)
        self.index = PersonIndex(ctx.session)

    REFUSAL_KEY = "imp.refusal.screenings"

    def finish(self) -> None:
        self.ctx.report.extra["persons_created"] = self.index.created
        self.ctx.report.extra["link_review"] = self.index.reviewed

    def _ranged(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> npt.NDArray[np.float64]:
        """A measurement column within its plausible range: a value written in another
        unit is read in this one when exactly one factor brings it in (LiLA in mm, Hb in
        g/L, weight in grams, height in metres or without its decimal point), reported;
        any other value outside is reported and left out."""
        factors, implausible, unit = _UNITS[fld]
        return self.units(
            chunk,
            per_row,
            fld,
            self.numbers(chunk, fld, per_row),
            RANGES[fld],
            factors,
            implausible,
            unit,
        )

    def chunk(self, chunk: Chunk) -> None:
        n = len(chunk)
        per_row: dict[int, list[RowIssue]] = {}
        kinds: list[str | None] = []
        for i, raw in enumerate(chunk.text("kind")):
            kind = KINDS.get(name_key(raw)) if raw else None
            kinds.append(kind)
            if kind is None:
                kind_code = "invalid_choice" if raw else "required"
                self._issue(per_row, chunk, i, "kind", kind_code, raw, error=True)
        names = self.texts(chunk, "name", per_row)
        niks: list[str | None] = []
        suspects: list[str | None] = []
        for i, raw in enumerate(chunk.text("nik")):
            nik, suspect, code = normalise_nik(raw)
            niks.append(nik)
            suspects.append(suspect)
            if code is not None:
                self._issue(per_row, chunk, i, "nik", code, raw)
        kks: list[str | None] = []
        for i, raw in enumerate(chunk.text("no_kk")):
            kk, kk_code = normalise_kk(raw)
            kks.append(kk)
            if kk_code is not None:
                self._issue(per_row, chunk, i, "no_kk", kk_code, raw)
        births = self.dates(chunk, "birth_date", per_row)
        screened = self.dates(chunk, "screened_on", per_row)
        lmp = self.dates(chunk, "lmp", per_row)
        wedding = self.dates(chunk, "wedding", per_row)
        sexes = self.sexes(chunk, "sex", per_row)
        values = {f: self._ranged(chunk, f, per_row) for f in RANGES}
        desa = self._desa_codes(chunk, per_row)
        for i in range(n):
            if names[i] is None:
                self._issue(per_row, chunk, i, "name", "required", error=True)
            elif niks[i] is None and np.isnat(births[i]):
                self._issue(per_row, chunk, i, "birth_date", "required", error=True)

        good = [i for i in range(n) if not chunk.bad[i]]
        family_ids = self._families({k for i in good if (k := kks[i])})
        birth_obj = births.astype(object)
        self.index.preload(
            {k for i in good if (k := niks[i])}, {birth_obj[i] for i in good}
        )
        person_of: dict[int, Candidate] = {}
        for i in good:
            name = names[i] or ""
            key = name_key(name)[:160]
            cand, unsure, score = self.index.match(
                nik=niks[i], name_key=key, birth_date=birth_obj[i], mother_key=None
            )
            sex = {1.0: "M", 2.0: "F"}.get(float(sexes[i]))
            if sex is None and kinds[i] in ("hamil", "remaja"):
                sex = "F"
            fields = {
                "family_id": family_ids.get(kks[i] or ""),
                "desa_code": desa[i],
                "sex": sex,
            }
            if cand is None:
                cand = self.index.create(
                    {
                        "nik": niks[i],
                        "nik_suspect": _cut(suspects[i], 24),
                        "name": name[:160],
                        "name_key": key,
                        "birth_date": birth_obj[i],
                        **fields,
                    }
                )
                if unsure is not None:
                    self.index.review(
                        cand, unsure, score, self.ctx.file, int(chunk.rows[i])
                    )
                    self._issue(
                        per_row, chunk, i, "name", "link_review", unsure.name_key
                    )
            else:
                self.index.set_fields(cand, {"nik": niks[i], **fields})
            person_of[i] = cand
        self.index.flush()

        pregnancy_of = self._pregnancies(
            {
                i: (person_of[i].id, lmp[i].astype(object))
                for i in good
                if kinds[i] == "hamil" and not np.isnat(lmp[i])
            }
        )
        self._screenings(
            chunk, good, kinds, person_of, pregnancy_of, screened, wedding, desa, values
        )

        nik_raw = chunk.text("nik")
        date_raw = chunk.text("screened_on")
        kind_raw = chunk.text("kind")
        dob_raw = chunk.text("birth_date")
        # Accepted rows' keys only matter when quarantined rows of this kind may exist.
        resolving = self.ctx.has_quarantine or self.ctx.wrote_quarantine
        for i in range(n) if resolving else np.flatnonzero(chunk.bad).tolist():
            keys = row_keys(
                (kind_raw[i], nik_raw[i], names[i]), date_raw[i], dob_raw[i]
            )
            if chunk.bad[i]:
                self.ctx.reject(chunk, i, per_row.get(i, []), keys)
                self.ctx.report.rejected += 1
            else:
                self.ctx.resolved_keys.update(keys)

    def _families(self, kks: set[str]) -> dict[str, int]:
        want = sorted(kks)
        ids: dict[str, int] = {}
        for start in range(0, len(want), BATCH):
            for fid, kk in self.session.execute(
                select(Family.id, Family.no_kk).where(
                    Family.no_kk.in_(want[start : start + BATCH])
                )
            ):
                ids[kk] = fid
        new = [k for k in want if k not in ids]
        if new:
            res = insert_with_ids(self.session, Family, [{"no_kk": k} for k in new])
            ids.update(zip(new, res, strict=True))
        return ids

    def _pregnancies(self, wanted: dict[int, tuple[int, dt.date]]) -> dict[int, int]:
        keys = sorted(set(wanted.values()))
        ids: dict[tuple[int, dt.date], int] = {}
        persons = sorted({k[0] for k in keys})
        for start in range(0, len(persons), BATCH):
            for pid, person, lmp in self.session.execute(
                select(Pregnancy.id, Pregnancy.person_id, Pregnancy.lmp_date).where(
                    Pregnancy.person_id.in_(persons[start : start + BATCH])
                )
            ):
                ids[(person, lmp)] = pid
        new = [k for k in keys if k not in ids]
        if new:
            res = insert_with_ids(
                self.session,
                Pregnancy,
                [
                    {
                        "person_id": p,
                        "lmp_date": d,
                        "due_date": d + dt.timedelta(days=_NAEGELE_DAYS),
                    }
                    for p, d in new
                ],
            )
            ids.update(zip(new, res, strict=True))
        return {i: ids[k] for i, k in wanted.items()}

    def _screenings(
        self,
        chunk: Chunk,
        good: list[int],
        kinds: list[str | None],
        person_of: dict[int, Candidate],
        pregnancy_of: dict[int, int],
        screened: npt.NDArray[np.datetime64],
        wedding: npt.NDArray[np.datetime64],
        desa: list[str | None],
        values: dict[str, npt.NDArray[np.float64]],
    ) -> None:
        report = self.ctx.report

        def num(fld: str, i: int) -> float | None:
            v = float(values[fld][i])
            return None if np.isnan(v) else v

        def integer(fld: str, i: int) -> int | None:
            v = num(fld, i)
            return None if v is None else round(v)

        rows: dict[tuple[int, str, dt.date], dict[str, Any]] = {}
        for i in good:
            day = screened[i].astype(object)
            key = (person_of[i].id, kinds[i] or "", day)
            vals: dict[str, Any] = {
                "person_id": key[0],
                "kind": key[1],
                "screened_on": day,
                "desa_code": desa[i],
                "muac_cm": num("muac", i),
                "hb_g_dl": num("hb", i),
                "weight_kg": num("weight", i),
                "height_cm": num("height", i),
                "pregnancy_id": pregnancy_of.get(i),
                "gestational_weeks": integer("weeks", i),
                "anc_visits": integer("anc", i),
                "wedding_planned_on": _date_or_none(wedding[i]),
            }
            vals["fingerprint"] = fingerprint(tuple(vals.values()))
            vals["source_file"] = self.ctx.file[:255]
            vals["source_row"] = int(chunk.rows[i])
            if key in rows:
                report.unchanged += 1  # an earlier duplicate row: the last one wins
            rows[key] = vals
        persons = sorted({k[0] for k in rows})
        existing: dict[tuple[int, str, dt.date], tuple[int, str]] = {}
        for start in range(0, len(persons), BATCH):
            for sid, pid, kind, day, fp in self.session.execute(
                select(
                    Screening.id,
                    Screening.person_id,
                    Screening.kind,
                    Screening.screened_on,
                    Screening.fingerprint,
                ).where(Screening.person_id.in_(persons[start : start + BATCH]))
            ):
                existing[(pid, kind, day)] = (sid, fp)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for key, vals in rows.items():
            old = existing.get(key)
            if old is None:
                inserts.append(vals)
                report.inserted += 1
            elif old[1] == vals["fingerprint"]:
                report.unchanged += 1
            else:
                updates.append({"id": old[0], **vals})
                report.updated += 1
        bulk_insert(self.session, Screening.__table__, inserts)
        if updates:
            bulk_update(self.session, Screening.__table__, updates)
