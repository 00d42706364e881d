"""Region resolution of import rows: a row's place (Kemendagri desa code, or the names of
province, kab/kota, kecamatan, desa and its puskesmas) → desa, kecamatan and kab/kota codes.

Its own step (issue 13), used by the e-PPGBM format: each distinct place is resolved once
per file (`Places.resolve` caches it). Same-named Kabupaten and Kota (`TEGAL`, `BEKASI`) are
told apart by the row's kecamatan and desa (or, without a kecamatan, its puskesmas); the
choice is kept in the report (`region_choices`). A place that cannot be resolved is a
problem on the row, never a silent blank.
"""

from __future__ import annotations

import re

from tumbuh.register.regions import RegionResolver, name_key, split_prefix
from tumbuh.register.regions import parent_of as _parent_of
from tumbuh.tabular.issues import ImportReport

# A resolved place: (desa, kecamatan, kab/kota codes, problem value, fuzzy matches, field
# of the problem, same-name ambiguity note).
Place = tuple[str | None, ...]
# A row without any place: no codes, nothing to report.
NO_PLACE: Place = (None,) * 7


def parent_of_code(code: str) -> str:
    parent = _parent_of(code)
    return parent if parent is not None else code


class Places:
    """Places of one file's rows, resolved against the region master and cached."""

    def __init__(self, regions: RegionResolver, report: ImportReport) -> None:
        self.regions = regions
        self.report = report
        self.cache: dict[tuple[str | None, ...], Place] = {}

    def resolve(self, key: tuple[str | None, ...]) -> Place:
        """(desa, kec, kab, problem, fuzzy, problem field, ambiguity) from `Kode Desa` or
        the names, cached per distinct combination."""
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        code, prov, kab, kec, desa, puskesmas = key
        res = self.regions
        out: tuple[str | None, ...]
        if code and re.fullmatch(r"\d{10}", code):  # 6401012001 → 64.01.01.2001
            code = f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
        if code and res.is_code(code, 4):
            parts = code.split(".")
            out = (
                code,
                ".".join(parts[:3]),
                ".".join(parts[:2]),
                None,
                None,
                None,
                None,
            )
        else:
            out = self._by_names(prov, kab, kec, desa, puskesmas)
        self.cache[key] = out
        return out

    def _by_names(
        self,
        prov: str | None,
        kab: str | None,
        kec: str | None,
        desa: str | None,
        puskesmas: str | None,
    ) -> Place:
        res = self.regions
        fuzzy: list[str] = []
        codes: list[str | None] = [None, None, None, None]
        ambiguity: str | None = None

        def done(problem: str | None, fld: str | None) -> Place:
            return (
                codes[3],
                codes[2],
                codes[1],
                problem,
                "; ".join(fuzzy) or None,
                fld,
                ambiguity,
            )

        prov_code: str | None = None
        if prov is not None:
            prov_code, was_fuzzy = res.resolve(None, 1, prov)
            if prov_code is None:
                return done(prov, "prov")
            if was_fuzzy:
                fuzzy.append(f"{prov} → {res.names[prov_code]}")
            codes[0] = prov_code
        if kab is None:
            return done(None, None)
        candidates = self.kab_candidates(prov_code, kab)
        if not candidates:
            return done(kab, "kab")
        kab_code, was_fuzzy = candidates[0]
        if len(candidates) > 1:
            kab_code, ambiguity = self.choose_kab(kab, candidates, kec, desa, puskesmas)
            was_fuzzy = dict(candidates)[kab_code]
            chosen = f"{res.names[kab_code]} ({kab_code})"
            choices = self.report.extra.setdefault("region_choices", {})
            if chosen not in choices.setdefault(kab, []):
                choices[kab].append(chosen)
        if was_fuzzy:
            fuzzy.append(f"{kab} → {res.names[kab_code]}")
        codes[1] = kab_code
        parent = kab_code
        for level, value, fld in ((3, kec, "kec"), (4, desa, "desa")):
            if value is None:
                break
            found, was_fuzzy = res.resolve(parent, level, value)
            if found is None:
                return done(value, fld)
            if was_fuzzy:
                fuzzy.append(f"{value} → {res.names[found]}")
            codes[level - 1] = found
            parent = found
        return done(None, None)

    def kab_candidates(self, prov_code: str | None, kab: str) -> list[tuple[str, bool]]:
        """(code, fuzzy) of every kabupaten/kota the name can mean: `TEGAL` is both
        Kabupaten Tegal and Kota Tegal; a written `Kab.`/`Kota` prefix keeps its own kind."""
        res = self.regions
        prefix, key = split_prefix(kab, 2)
        provinces = (
            [prov_code]
            if prov_code is not None
            else [c for codes_ in res.children(None).values() for c in codes_]
        )
        exact = [c for p in provinces for c in res.children(p).get(key, [])]
        if not exact:  # `KOTA BARU` / `KOTABARU` for Kabupaten Kotabaru
            compact = {key.replace(" ", ""), name_key(kab).replace(" ", "")}
            exact = [
                c for p in provinces for k in compact for c in res.compact(p).get(k, [])
            ]
            exact = sorted(set(exact))
        if prefix is not None and len(exact) > 1:
            want = "kota" if prefix in ("kota", "kota adm") else "kabupaten"
            kind = [c for c in exact if name_key(res.names[c]).startswith(want)]
            exact = kind or exact
        if exact:
            return [(c, False) for c in sorted(exact)]
        found = {
            code for p in provinces if (code := res.resolve(p, 2, kab)[0]) is not None
        }
        if len(found) != 1:  # unknown, or a typo that fits several provinces
            return []
        only = found.pop()
        return [(only, res.resolve(parent_of_code(only), 2, kab)[1])]

    def choose_kab(
        self,
        kab: str,
        candidates: list[tuple[str, bool]],
        kec: str | None,
        desa: str | None,
        puskesmas: str | None,
    ) -> tuple[str, str | None]:
        """The kabupaten/kota under which the row's kecamatan and desa (or, without a
        kecamatan, its puskesmas) exist; (code, None), or (default, note) when they do
        not decide (the Kabupaten, as Kemendagri lists it first)."""
        res = self.regions

        def depth(kab_code: str) -> int:
            score = 0
            place = kec if kec is not None else puskesmas
            if place is None:
                return 0
            kec_code, was_fuzzy = res.resolve(kab_code, 3, place)
            if kec_code is None:
                return 0
            score += 1 if was_fuzzy else 2
            if desa is not None:
                desa_code, was_fuzzy = res.resolve(kec_code, 4, desa)
                if desa_code is not None:
                    score += 1 if was_fuzzy else 2
            return score

        scored = sorted((-depth(c), c) for c, _ in candidates)
        best, code = -scored[0][0], scored[0][1]
        if best > 0 and (len(scored) == 1 or -scored[1][0] < best):
            return code, None
        default = next(
            (
                c
                for c, _ in candidates
                if name_key(res.names[c]).startswith("kabupaten")
            ),
            candidates[0][0],
        )
        return default, f"{kab} → {res.names[default]} ({default})"
