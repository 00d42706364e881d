"""BKKBN family files (Pendataan Keluarga / Verval KRS; docs/templates.md §2), one row per member."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import select

from tumbuh.imports.base import ChunkImport
from tumbuh.imports.context import (
    BATCH,
    Chunk,
    FileImport,
    bulk_update,
    fingerprint,
    insert_with_ids,
    row_keys,
)
from tumbuh.imports.linking import Candidate, PersonIndex
from tumbuh.imports.normalise import (
    clean,
    normalise_kk,
    normalise_nik,
    normalise_rt_rw,
)
from tumbuh.imports.normalise import (
    cut as _cut,
)
from tumbuh.register.models import Family
from tumbuh.register.regions import name_key
from tumbuh.tabular.columns import Cells, Column, Columns
from tumbuh.tabular.issues import RowIssue
from tumbuh.tabular.readers import TableSource

COLUMNS = Columns(
    Column("no_kk", ("No KK", "Nomor KK", "No Kartu Keluarga"), required=True),
    Column("nik", ("NIK",)),
    Column("name", ("Nama", "Nama Anggota"), required=True, width=160),
    Column("role", ("Hubungan", "Hubungan Keluarga", "Status Hubungan"), required=True),
    Column("sex", ("JK", "Jenis Kelamin"), cells=Cells.sex),
    Column("birth_date", ("Tgl Lahir", "Tanggal Lahir"), cells=Cells.date),
    Column("desa_code", ("Kode Desa", "Kode Wilayah")),
    Column("rt", ("RT",)),
    Column("rw", ("RW",)),
    Column("address", ("Alamat",), width=250),
    Column("water", ("Sumber Air Minum", "Air Minum")),
    Column("latrine", ("Jamban", "Fasilitas BAB")),
    Column("contraception", ("KB Modern", "Ber-KB Modern")),
    Column("pregnant", ("Hamil",)),
    Column("decile", ("Desil", "Desil Kesejahteraan"), cells=Cells.number),
    Column("surveyed_on", ("Tanggal Pendataan", "Tgl Pendataan"), cells=Cells.date),
)

ROLES = {
    "kepala": "kepala",
    "kepala keluarga": "kepala",
    "kk": "kepala",
    "suami": "kepala",
    "istri": "istri",
    "isteri": "istri",
    "anak": "anak",
    "lainnya": "lainnya",
    "lain": "lainnya",
    "famili lain": "lainnya",
}
WATER = {
    "piped": "piped",
    "ledeng": "piped",
    "pam": "piped",
    "ledeng pam": "piped",
    "bottled refill": "bottled_refill",
    "air kemasan": "bottled_refill",
    "isi ulang": "bottled_refill",
    "air kemasan isi ulang": "bottled_refill",
    "bored well": "bored_well",
    "sumur bor": "bored_well",
    "protected well": "protected_well",
    "sumur terlindung": "protected_well",
    "protected spring": "protected_spring",
    "mata air terlindung": "protected_spring",
    "unprotected well": "unprotected_well",
    "sumur tak terlindung": "unprotected_well",
    "sumur tidak terlindung": "unprotected_well",
    "unprotected spring": "unprotected_spring",
    "mata air tak terlindung": "unprotected_spring",
    "mata air tidak terlindung": "unprotected_spring",
    "surface water": "surface_water",
    "air permukaan": "surface_water",
    "sungai": "surface_water",
    "air permukaan sungai": "surface_water",
    "rainwater": "rainwater",
    "air hujan": "rainwater",
    "other": "other",
    "lainnya": "other",
}
LATRINE = {
    "own septic": "own_septic",
    "milik sendiri dengan septic tank": "own_septic",
    "shared septic": "shared_septic",
    "bersama dengan septic tank": "shared_septic",
    "no septic": "no_septic",
    "tanpa septic tank": "no_septic",
    "none": "none",
    "tidak ada": "none",
}
YES = {"y", "ya", "yes", "1", "true"}
NO = {"n", "t", "tidak", "no", "0", "false"}
FAMILY_FIELDS = (
    "desa_code",
    "rt",
    "rw",
    "address",
    "water_source",
    "latrine",
    "wife_modern_contraception",
    "wife_pregnant",
    "welfare_decile",
    "surveyed_on",
)


def _choice(value: str | None, table: dict[str, str]) -> tuple[str | None, bool]:
    """(code, understood) for a label; blank is (None, True)."""
    if value is None:
        return None, True
    code = table.get(name_key(value))
    return code, code is not None


def _yes_no(value: str | None) -> tuple[bool | None, bool]:
    if value is None:
        return None, True
    key = value.strip().lower()
    if key in YES:
        return True, True
    if key in NO:
        return False, True
    return None, False


class FamiliesImport(ChunkImport):
    """Families, their members and the family risk attributes."""

    KIND = "families"
    COLUMNS = COLUMNS

    def __init__(self, ctx: FileImport, source: TableSource) -> None:
        super().__init__(ctx, source)
        self.index = PersonIndex(ctx.session)
        self.mothers: dict[str, Candidate] = {}

    REFUSAL_KEY = "imp.refusal.families"

    def finish(self) -> None:
        self.ctx.report.extra["persons_created"] = self.index.created
        self.ctx.report.extra["link_review"] = self.index.reviewed

    def chunk(self, chunk: Chunk) -> None:
        n = len(chunk)
        per_row: dict[int, list[RowIssue]] = {}
        kks: list[str | None] = []
        for i, raw in enumerate(chunk.text("no_kk")):
            kk, code = normalise_kk(raw)
            kks.append(kk)
            if code is not None or kk is None:
                self._issue(
                    per_row, chunk, i, "no_kk", code or "required", raw, error=True
                )
        names = self.texts(chunk, "name", per_row)
        roles: list[str] = []
        for i, raw in enumerate(chunk.text("role")):
            role, ok = _choice(clean(raw), ROLES)
            roles.append(role or "lainnya")
            if not ok or role is None:
                self._issue(per_row, chunk, i, "role", "invalid_choice", raw)
        niks: list[str | None] = []
        suspects: list[str | None] = []
        for i, raw in enumerate(chunk.text("nik")):
            nik, suspect, code = normalise_nik(raw)
            niks.append(nik)
            suspects.append(suspect)
            if code is not None:
                self._issue(per_row, chunk, i, "nik", code, raw)
        sex = self.sexes(chunk, "sex", per_row)
        births = self.dates(chunk, "birth_date", per_row)
        surveyed = self.dates(chunk, "surveyed_on", per_row)
        for i in range(n):
            if names[i] is None:
                self._issue(per_row, chunk, i, "name", "required", error=True)
            elif niks[i] is None and np.isnat(births[i]):
                self._issue(per_row, chunk, i, "birth_date", "required", error=True)
        rts = self._rt_rw(chunk, "rt", per_row)
        rws = self._rt_rw(chunk, "rw", per_row)
        desa = self._desa_codes(chunk, per_row)
        water = self._choices(chunk, "water", WATER, per_row)
        latrine = self._choices(chunk, "latrine", LATRINE, per_row)
        kb = self._flags(chunk, "contraception", per_row)
        hamil = self._flags(chunk, "pregnant", per_row)
        deciles = self.numbers(chunk, "decile", per_row)
        addresses = self.texts(chunk, "address", per_row)

        good = [i for i in range(n) if not chunk.bad[i]]
        # Family values: from the head's row, else the first row of the family.
        members: dict[str, list[int]] = defaultdict(list)
        for i in good:
            members[kks[i] or ""].append(i)
        fam_values: dict[str, dict[str, Any]] = {}
        for kk, rows in members.items():
            heads = [i for i in rows if roles[i] == "kepala"]
            src = heads[0] if heads else rows[0]
            wives = [i for i in rows if roles[i] == "istri"]
            dec = deciles[src]
            values = {
                "desa_code": desa[src],
                "rt": rts[src],
                "rw": rws[src],
                "address": _cut(addresses[src], 250),
                "water_source": water[src],
                "latrine": latrine[src],
                "wife_modern_contraception": kb[wives[0]] if wives else kb[src],
                "wife_pregnant": hamil[wives[0]] if wives else hamil[src],
                "welfare_decile": int(dec) if 1 <= dec <= 10 else None,
                "surveyed_on": None
                if np.isnat(surveyed[src])
                else surveyed[src].item(),
            }
            for i in rows:
                for fld, col in (("water", water), ("latrine", latrine)):
                    if col[i] is not None and col[i] != col[src]:
                        self._issue(per_row, chunk, i, fld, "family_conflict", col[i])
                # Any member's decile is checked, not only the row the family's is from.
                d = deciles[i]
                if not np.isnan(d) and not 1 <= d <= 10:
                    self._issue(per_row, chunk, i, "decile", "invalid_choice", f"{d:g}")
                elif i != src and not np.isnan(d) and d != dec:
                    self._issue(
                        per_row, chunk, i, "decile", "family_conflict", f"{d:g}"
                    )
            fam_values[kk] = values
        family_ids = self._write_families(fam_values)

        # Members: match by NIK, else name + birth date.
        birth_obj = births.astype(object)
        self.index.preload(
            {k for i in good if (k := niks[i])}, {birth_obj[i] for i in good}
        )
        person_of: dict[int, Candidate] = {}
        fps: dict[int, str] = {}
        for i in good:
            name = names[i] or ""
            fields: dict[str, Any] = {
                "family_id": family_ids[kks[i] or ""],
                "family_role": roles[i],
                "desa_code": desa[i] or fam_values[kks[i] or ""]["desa_code"],
                "rt": rts[i],
                "rw": rws[i],
                "address": _cut(addresses[i], 250),
                "sex": {1.0: "M", 2.0: "F"}.get(float(sex[i])),
            }
            fps[i] = fingerprint((niks[i], name, birth_obj[i], *fields.values()))
            key = name_key(name)[:160]
            cand, unsure, score = self.index.match(
                nik=niks[i],
                name_key=key,
                birth_date=birth_obj[i],
                mother_key=None,
            )
            if cand is None:
                cand = self.index.create(
                    {
                        "nik": niks[i],
                        "nik_suspect": _cut(suspects[i], 24),
                        "name": name[:160],
                        "name_key": key,
                        "birth_date": birth_obj[i],
                        "fingerprint": fps[i],
                        **fields,
                    }
                )
                self.ctx.report.inserted += 1
                if unsure is not None:
                    self.index.review(
                        cand, unsure, score, self.ctx.file, int(chunk.rows[i])
                    )
                    self._issue(
                        per_row, chunk, i, "name", "link_review", unsure.name_key
                    )
            else:
                if cand.extra.get("fingerprint") == fps[i]:
                    self.ctx.report.unchanged += 1
                else:
                    self.ctx.report.updated += 1
                self.index.set_fields(
                    cand, {"nik": niks[i], **fields, "fingerprint": fps[i]}
                )
            person_of[i] = cand
        self.index.flush()

        # Mother ↔ child: the wife (or a female head) is the mother of the children.
        # A family split over two chunks keeps the mother found in the earlier one.
        for kk, rows in members.items():
            mothers = [i for i in rows if roles[i] == "istri"] or [
                i for i in rows if roles[i] == "kepala" and sex[i] == 2
            ]
            mother = person_of[mothers[0]] if mothers else self.mothers.get(kk)
            if mother is None:
                continue
            self.mothers[kk] = mother
            for i in rows:
                if roles[i] == "anak":
                    self.index.set_fields(person_of[i], {"mother_id": mother.id})
        self.index.flush()

        dob_raw = chunk.text("birth_date")
        nik_raw = chunk.text("nik")
        # Accepted rows' keys only matter when quarantined rows of this kind may exist.
        resolving = self.ctx.has_quarantine or self.ctx.wrote_quarantine
        for i in range(n) if resolving else np.flatnonzero(chunk.bad).tolist():
            keys = row_keys((nik_raw[i], names[i]), kks[i], dob_raw[i])
            if chunk.bad[i]:
                self.ctx.reject(chunk, i, per_row.get(i, []), keys)
                self.ctx.report.rejected += 1
            else:
                self.ctx.resolved_keys.update(keys)

    def _rt_rw(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> list[str | None]:
        out: list[str | None] = []
        for i, raw in enumerate(chunk.text(fld)):
            value, code = normalise_rt_rw(raw)
            out.append(value)
            if code is not None:
                self._issue(
                    per_row, chunk, i, fld, code, f"{raw} → {value}" if value else raw
                )
        return out

    def _choices(
        self,
        chunk: Chunk,
        fld: str,
        table: dict[str, str],
        per_row: dict[int, list[RowIssue]],
    ) -> list[str | None]:
        out: list[str | None] = []
        for i, raw in enumerate(chunk.text(fld)):
            code, ok = _choice(clean(raw), table)
            out.append(code)
            if not ok:
                self._issue(per_row, chunk, i, fld, "invalid_choice", raw)
        return out

    def _flags(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> list[bool | None]:
        out: list[bool | None] = []
        for i, raw in enumerate(chunk.text(fld)):
            value, ok = _yes_no(clean(raw))
            out.append(value)
            if not ok:
                self._issue(per_row, chunk, i, fld, "invalid_choice", raw)
        return out

    def _write_families(self, fam_values: dict[str, dict[str, Any]]) -> dict[str, int]:
        kks = sorted(fam_values)
        found: dict[str, tuple[int, str | None]] = {}
        for start in range(0, len(kks), BATCH):
            part = kks[start : start + BATCH]
            for fid, kk, fp in self.session.execute(
                select(Family.id, Family.no_kk, Family.fingerprint).where(
                    Family.no_kk.in_(part)
                )
            ):
                found[kk] = (fid, fp)
        new_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for kk in kks:
            values = fam_values[kk]
            fp = fingerprint(tuple(values.get(f) for f in FAMILY_FIELDS))
            if kk not in found:
                new_rows.append({"no_kk": kk, **values, "fingerprint": fp})
            elif found[kk][1] != fp:
                # Blank family values (a chunk without the head's row) keep the stored ones.
                known = {k: v for k, v in values.items() if v is not None}
                updates.append({"id": found[kk][0], **known, "fingerprint": fp})
        ids: dict[str, int] = {kk: v[0] for kk, v in found.items()}
        if new_rows:
            res = insert_with_ids(self.session, Family, new_rows)
            for row, fid in zip(new_rows, res, strict=True):
                ids[row["no_kk"]] = fid
        if updates:
            bulk_update(self.session, Family.__table__, updates)
        self.ctx.report.extra["families_inserted"] = int(
            self.ctx.report.extra.get("families_inserted", 0)
        ) + len(new_rows)
        self.ctx.report.extra["families_updated"] = int(
            self.ctx.report.extra.get("families_updated", 0)
        ) + len(updates)
        return ids
