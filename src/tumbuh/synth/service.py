"""Build a synthetic province on disk: calibrate, then generate and write chunk by chunk."""

from __future__ import annotations

import dataclasses
import multiprocessing
import shutil
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from tumbuh.errors import InvalidInput
from tumbuh.synth import _lms, generate, model, people, truth, writers
from tumbuh.synth import interventions as iv
from tumbuh.synth.generate import Chunk, SynthConfig, Visits
from tumbuh.synth.regions import Province, load_province

Format = Literal["csv", "parquet"]
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass
class SynthResult:
    """What was written, with the calibration figures (also in truth/survey_prevalence.csv)."""

    out_dir: Path
    children: int
    families: int
    visits: int
    files: list[Path] = field(default_factory=list)
    survey: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: SynthConfig = field(default_factory=SynthConfig)
    # Routine shift (z) solved for this seed per kab/kota code (those with a published
    # routine figure in the last survey year); the others keep regions.KALTIM_ROUTINE_SHIFT.
    routine_shifts: dict[str, float] = field(default_factory=dict)


def _check(cfg: SynthConfig) -> None:
    if cfg.children < 1:
        raise InvalidInput(f"--children must be at least 1 (got {cfg.children})")
    if not 2000 <= cfg.first_year <= cfg.last_year <= 2100:
        raise InvalidInput(
            f"--years must look like 2022-2025 (got {cfg.first_year}-{cfg.last_year})"
        )
    if cfg.chunk_size < 1:
        raise InvalidInput("chunk size must be positive")
    if cfg.extrapolate_by not in ("risk_factors", "district_effect"):
        raise InvalidInput(
            "--extrapolate-by must be risk_factors or district_effect "
            f"(got {cfg.extrapolate_by!r})"
        )


class _Accumulator:
    """Running totals for the truth tables, added to chunk by chunk."""

    def __init__(self, cfg: SynthConfig, prov: Province) -> None:
        nk, ny = len(prov.kab_codes), len(cfg.years)
        self.survey_n = np.zeros((nk, ny), dtype=np.int64)
        self.survey_stunted = np.zeros((nk, ny), dtype=np.int64)
        self.routine_n = np.zeros((nk, ny), dtype=np.int64)
        self.routine_stunted = np.zeros((nk, ny), dtype=np.int64)
        npos = len(prov.pos_desa)
        self.pos_rows = np.zeros(npos, dtype=np.int64)
        self.pos_affected = np.zeros((npos, len(model.PROBLEMS)), dtype=np.int64)
        self.families = 0
        self.visits = 0
        self.new_cases = truth.NewCases.zeros(len(prov.desa_codes), ny)
        self.interventions = iv.Counts.zeros(nk)
        self.intervention_records = 0

    def add(self, other: _Accumulator) -> None:
        for name in (
            "survey_n",
            "survey_stunted",
            "routine_n",
            "routine_stunted",
            "pos_rows",
            "pos_affected",
        ):
            getattr(self, name)[...] += getattr(other, name)
        self.families += other.families
        self.visits += other.visits
        self.new_cases.add(other.new_cases)
        self.interventions.add(other.interventions)
        self.intervention_records += other.intervention_records


def _calibration_part(
    cfg: SynthConfig,
    prov: Province,
    index: int,
    n: int,
    offset: int,
    improvement: generate.Improvement,
    extrapolated: tuple[int, ...],
) -> generate.CalibrationCounts:
    return generate.calibration_histogram(
        cfg,
        prov,
        generate.make_chunk(cfg, prov, index, n, offset, improvement),
        extrapolated,
    )


def _probe_part(
    cfg: SynthConfig,
    prov: Province,
    index: int,
    n: int,
    offset: int,
    effects: F64,
    problems: NDArray[np.bool_],
    pos_precision: F64,
    improvement: generate.Improvement,
    year: int,
) -> generate.RoutineProbe:
    ch = generate.make_chunk(cfg, prov, index, n, offset, improvement)
    return generate.routine_probe(cfg, prov, ch, effects, problems, pos_precision, year)


def _solve_routine_shifts(
    cfg: SynthConfig,
    prov: Province,
    year: int | None,
    targets: dict[tuple[str, int], model.Target],
    chunks: list[tuple[int, int, int]],
    effects: F64,
    problems: NDArray[np.bool_],
    pos_precision: F64,
    improvement: generate.Improvement,
    pool: ProcessPoolExecutor | None,
) -> tuple[Province, dict[str, float]]:
    """Routine pass: the routine shift of each kab/kota with a published routine figure in
    ``year`` (the last survey year), solved on this seed's own visits so that its
    weighing-month prevalence lands at the centre of its window (model.routine_targets).

    A constant shift from a table lands a kab/kota's routine figure anywhere in a range of
    ~2 points over seeds (desa sizes, attendance and the posyandu that round at the cut-off
    are drawn by seed); Bontang's window is 3.1 points wide. The probe regenerates the
    first chunks (up to ROUTINE_PROBE_CHILDREN children; same random streams as the
    writing pass) with no shift and no cut-off rounding where the shift is solved, and
    finds the shift whose prevalence, rounding included, is nearest the target."""
    want = model.routine_targets(prov.kab_codes, year, targets) if year else {}
    if not want:
        return prov, {}
    solved = np.zeros(len(prov.kab_codes), dtype=bool)
    solved[list(want)] = True
    probe_prov = dataclasses.replace(
        prov, kab_routine_shift=np.where(solved, 0.0, prov.kab_routine_shift)
    )
    take: list[tuple[int, int, int]] = []
    for chunk in chunks:
        if sum(n for _, n, _ in take) >= generate.ROUTINE_PROBE_CHILDREN:
            break
        take.append(chunk)
    k = len(take)
    args: tuple[Iterable[Any], ...] = (
        [cfg] * k,
        [probe_prov] * k,
        [c[0] for c in take],
        [c[1] for c in take],
        [c[2] for c in take],
        [effects] * k,
        [problems] * k,
        [pos_precision] * k,
        [improvement] * k,
        [year] * k,
    )
    parts = pool.map(_probe_part, *args) if pool else map(_probe_part, *args)
    probe = generate.RoutineProbe.join(list(parts))
    shifts = prov.kab_routine_shift.copy()
    out: dict[str, float] = {}
    for i, target in want.items():
        if (probe.kab == i).sum() < generate.ROUTINE_PROBE_MIN_CHILDREN:
            continue
        shifts[i] = generate.solve_routine_shift(probe, i, target)
        out[prov.kab_codes[i]] = float(shifts[i])
    return dataclasses.replace(prov, kab_routine_shift=shifts), out


def _parquet_part(
    cfg: SynthConfig,
    prov: Province,
    index: int,
    n: int,
    offset: int,
    out_dir: Path,
    effects: F64,
    problems: NDArray[np.bool_],
    pos_precision: F64,
    improvement: generate.Improvement,
) -> _Accumulator:
    acc = _Accumulator(cfg, prov)
    ch = generate.make_chunk(cfg, prov, index, n, offset, improvement)
    visits = generate.make_visits(cfg, prov, ch, effects, problems, pos_precision)
    haz_mid, _ = generate.survey_latent(cfg, prov, ch, effects)
    _accumulate(cfg, prov, ch, visits, haz_mid, acc)
    _write_parquet(out_dir, cfg, prov, ch, visits, haz_mid, _identities(cfg, prov, ch))
    return acc


def synthesize(
    cfg: SynthConfig, out_dir: Path, fmt: Format = "csv", *, workers: int = 1
) -> SynthResult:
    """Write a synthetic province to `out_dir` (replacing what a previous run wrote there).

    `workers` > 1 generates chunks in that many processes (the calibration pass always, the
    writing pass for Parquet); the files do not depend on it.
    """
    _check(cfg)
    prov = load_province(cfg.province, cfg.seed)
    years = cfg.years
    targets = model.survey_targets(cfg.province, prov.kab_codes, years)
    target_pct = np.array(
        [[targets[(k, y)].value_pct for y in years] for k in prov.kab_codes]
    )
    # Years after the last published survey: the decline comes from fewer risk factors among
    # the children born since its mid-year, the district effect is held (docs/synthetic.md).
    basis = [targets[(prov.kab_codes[0], y)].basis for y in years]
    extrapolated = tuple(i for i, b in enumerate(basis) if b == "extrapolated")
    held = [i for i in range(len(years)) if i not in extrapolated]
    if not held or cfg.extrapolate_by == "district_effect":
        extrapolated = ()
    held_from = held[-1] if held else 0
    improvement = generate.Improvement(
        born_from=int(cfg.mid_years()[held_from]) if extrapolated else 10**9
    )
    problems = model.assign_problems(len(prov.pos_desa), cfg.seed)
    # 30 % of posyandu have a digital scale (0.01 kg), the rest a dacin (0.1 kg).
    prec_rng = np.random.default_rng([cfg.seed, 7003])
    pos_precision = np.where(prec_rng.random(len(prov.pos_desa)) < 0.3, 0.01, 0.1)

    sizes = cfg.chunk_sizes()
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64).tolist()
    indices = list(range(len(sizes)))
    pool = (
        ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        )
        if workers > 1 and len(sizes) > 1
        else None
    )
    try:
        # Pass 1: the district x year effects that hit the published survey figures.
        n_jobs = len(sizes)
        cal_args = (
            [cfg] * n_jobs,
            [prov] * n_jobs,
            indices,
            sizes,
            offsets,
            [improvement] * n_jobs,
            [extrapolated] * n_jobs,
        )
        parts = (
            pool.map(_calibration_part, *cal_args)
            if pool is not None
            else map(_calibration_part, *cal_args)
        )
        counts: generate.CalibrationCounts | None = None
        for part in parts:
            if counts is None:
                counts = part
            else:
                counts.add(part)
        assert counts is not None
        effects = generate.solve_district_effects(counts.hist, target_pct)
        reach = np.zeros(len(prov.kab_codes))
        if extrapolated:
            reach, effects = generate.solve_improvement(
                counts, effects, target_pct, extrapolated, held_from
            )
        improvement = generate.Improvement(improvement.born_from, reach)
        del counts
        # Routine pass: the routine shift of the kab/kota with a published routine figure.
        last_survey = [
            y for y, b in zip(years, basis, strict=True) if b != "extrapolated"
        ]
        prov, routine_shifts = _solve_routine_shifts(
            cfg,
            prov,
            last_survey[-1] if last_survey else None,
            targets,
            list(zip(indices, sizes, offsets, strict=True)),
            effects,
            problems,
            pos_precision,
            improvement,
            pool,
        )

        for sub in ("eppgbm", "truth", "children", "visits", "families"):
            shutil.rmtree(out_dir / sub, ignore_errors=True)
        for name in ("families.csv", "screenings.csv", iv.FILE_NAME):
            (out_dir / name).unlink(missing_ok=True)
        (out_dir / "truth").mkdir(parents=True, exist_ok=True)

        acc = _Accumulator(cfg, prov)
        if fmt == "parquet":
            args = (
                [cfg] * n_jobs,
                [prov] * n_jobs,
                indices,
                sizes,
                offsets,
                [out_dir] * n_jobs,
                [effects] * n_jobs,
                [problems] * n_jobs,
                [pos_precision] * n_jobs,
                [improvement] * n_jobs,
            )
            results = (
                pool.map(_parquet_part, *args) if pool else map(_parquet_part, *args)
            )
            for part_acc in results:
                acc.add(part_acc)
        else:
            styles = writers.file_styles(len(prov.kab_codes), cfg.seed)
            counters: dict[tuple[int, int], int] = {}
            for i, n, off in zip(indices, sizes, offsets, strict=True):
                ch = generate.make_chunk(cfg, prov, i, n, off, improvement)
                visits = generate.make_visits(
                    cfg, prov, ch, effects, problems, pos_precision
                )
                haz_mid, _ = generate.survey_latent(cfg, prov, ch, effects)
                _accumulate(cfg, prov, ch, visits, haz_mid, acc)
                ids = _identities(cfg, prov, ch)
                _write_eppgbm(out_dir, cfg, prov, ch, visits, ids, styles, counters)
                _write_families(out_dir, cfg, prov, ch, ids)
                _write_screenings(out_dir, cfg, prov, ch, ids)
                _write_truth_children(out_dir, cfg, prov, ch, haz_mid, ids)
                acc.intervention_records += iv.write_records(
                    out_dir, cfg, ch, visits, ids.child_nik, ids.mother_nik, ids.kk
                )
                del ch, visits
    finally:
        if pool is not None:
            pool.shutdown()

    survey = _write_truth_tables(
        out_dir, cfg, prov, targets, effects, problems, acc, improvement
    )
    iv.write_truth(out_dir, cfg, prov, acc.interventions)
    files = sorted(p for p in out_dir.rglob("*") if p.is_file())
    return SynthResult(
        out_dir=out_dir,
        children=cfg.children,
        families=acc.families,
        visits=acc.visits,
        files=files,
        survey=survey,
        config=cfg,
        routine_shifts=routine_shifts,
    )


# Identities ----------------------------------------------------------------------------------


@dataclass
class _Ids:
    child_nik: I64
    mother_nik: I64
    father_nik: I64
    sibling_fam: list[I64]  # older siblings, eldest rank first: family index
    sibling_dob: list[I64]
    sibling_girl: list[NDArray[np.bool_]]
    sibling_nik: list[I64]
    sibling_name: list[I64]  # index into the first-name lists
    kk: I64
    kk_issued: I64
    fam_id: I64


def _kec_digits(prov: Province, desa: I64) -> I64:
    kec = np.array([int(c.replace(".", "")) for c in prov.kec_codes], dtype=np.int64)
    out: I64 = kec[prov.desa_kec[desa]]
    return out


def _identities(cfg: SynthConfig, prov: Province, ch: Chunk) -> _Ids:
    nf = len(ch.fam_desa)
    kec_f = _kec_digits(prov, ch.fam_desa)
    fam_local = np.arange(nf, dtype=np.int64)
    first_dob = np.full(nf, np.iinfo(np.int64).max)
    np.minimum.at(first_dob, ch.fam, ch.dob)
    rng = np.random.default_rng([cfg.seed, 13, ch.index])
    issued = first_dob + rng.integers(3, 90, nf)
    # Older siblings: which family, birth date, sex (eldest first).
    max_prior = int(ch.prior_count.max(initial=0))
    sib_fam = [np.nonzero(ch.prior_count >= max_prior - r)[0] for r in range(max_prior)]
    sib_dob = [ch.prior_dobs[max_prior - r - 1][f] for r, f in enumerate(sib_fam)]
    sib_girl = [rng.random(len(f)) < 0.488 for f in sib_fam]
    # Every person of the chunk, numbered so that no two share a NIK.
    kec = np.concatenate([kec_f, kec_f, kec_f[ch.fam], *(kec_f[f] for f in sib_fam)])
    dob = np.concatenate([ch.father_dob, ch.mother_dob, ch.dob, *sib_dob])
    female = np.concatenate(
        [np.zeros(nf, dtype=bool), np.ones(nf, dtype=bool), ch.sex == 2, *sib_girl]
    )
    prefix = people.nik_prefix(kec, dob, female)
    niks = prefix + people.unique_serials(prefix, ch.index) + 1
    kk_zero = people.kk_prefix(kec_f, issued)
    kk = kk_zero + people.unique_serials(kk_zero, ch.index) + 1
    bounds = np.cumsum([nf, nf, ch.n, *(len(f) for f in sib_fam)])
    parts = np.split(niks, bounds[:-1])
    return _Ids(
        father_nik=parts[0],
        mother_nik=parts[1],
        child_nik=parts[2],
        sibling_fam=sib_fam,
        sibling_dob=sib_dob,
        sibling_girl=sib_girl,
        sibling_nik=parts[3:],
        sibling_name=[rng.integers(0, 999, len(f)) for f in sib_fam],
        kk=kk,
        kk_issued=issued,
        fam_id=ch.index * 10**8 + fam_local,
    )


# Accumulating the truth ----------------------------------------------------------------------


def _accumulate(
    cfg: SynthConfig,
    prov: Province,
    ch: Chunk,
    v: Visits,
    haz_mid: F64,
    acc: _Accumulator,
) -> None:
    nk, ny = acc.survey_n.shape
    kab = prov.desa_kab[ch.desa]
    for y in range(ny):
        alive = ~np.isnan(haz_mid[:, y])
        acc.survey_n[:, y] += np.bincount(kab[alive], minlength=nk)
        acc.survey_stunted[:, y] += np.bincount(
            kab[alive & (haz_mid[:, y] < -2.0)], minlength=nk
        )
    # Routine prevalence as a district would report it: the August weighing (bulan timbang),
    # exported rows with a date, WHO-plausible HAZ.
    rows = np.nonzero((v.month % 12 == 7) & (v.day >= 0) & ~v.duplicate)[0]
    haz = truth.written_haz(ch, v, rows)
    ok = np.abs(haz) <= 6.0
    rows, haz = rows[ok], haz[ok]
    year = v.month[rows] // 12
    vk = kab[v.child[rows]]
    for y in range(ny):
        sel = year == y
        acc.routine_n[:, y] += np.bincount(vk[sel], minlength=nk)
        acc.routine_stunted[:, y] += np.bincount(vk[sel & (haz < -2.0)], minlength=nk)
    pos = ch.pos[v.child]
    npos = len(acc.pos_rows)
    acc.pos_rows += np.bincount(pos, minlength=npos)
    for j in range(len(model.PROBLEMS)):
        hit = (v.problems & (1 << j)) != 0
        acc.pos_affected[:, j] += np.bincount(pos[hit], minlength=npos)
    acc.families += len(ch.fam_desa)
    acc.visits += len(v.child)
    truth.accumulate(prov, ch, v, acc.new_cases)
    iv.accumulate(prov, ch, haz_mid, acc.interventions)


# CSV outputs ---------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return "_".join(name.lower().replace("kabupaten ", "kab ").split())


def _write_eppgbm(
    out_dir: Path,
    cfg: SynthConfig,
    prov: Province,
    ch: Chunk,
    v: Visits,
    ids: _Ids,
    styles: list[writers.FileStyle],
    counters: dict[tuple[int, int], int],
) -> None:
    c = v.child
    f = ch.fam[c]
    desa = ch.fam_desa[f]
    kab = prov.desa_kab[desa]
    pos = ch.fam_pos[f]
    year_idx = v.month // 12
    sex = ch.sex[c]
    waz, haz, whz = writers.zscore_labels(sex, v.age, v.weight, v.lenhei, v.standing)
    # Naik Berat Badan (KMS codes): N up, T not up, O not weighed last month, B new.
    prev_same = np.zeros(len(c), dtype=bool)
    prev_same[1:] = c[1:] == c[:-1]
    gap = np.zeros(len(c), dtype=np.int64)
    gap[1:] = v.month[1:] - v.month[:-1]
    prev_w = np.roll(v.weight, 1)
    naik = np.where(
        ~prev_same,
        "B",
        np.where(gap > 1, "O", np.where(v.weight > prev_w, "N", "T")),
    ).astype(object)
    naik[v.duplicate] = "T"
    rng = np.random.default_rng([cfg.seed, 14, ch.index])
    # 'Usia Saat Ukur' disagrees with the two dates by 1-3 days in ~4 % of rows (facts.md s8).
    usia_day = v.true_day - np.where(
        rng.random(len(c)) < 0.04, rng.integers(1, 4, len(c)), 0
    )
    usia = writers.usia_text(ch.dob[c], usia_day)
    nbsp_row = rng.random(len(c)) < 0.1
    alt_date = rng.random(len(c)) < 0.03
    lila, lingkar = _arm_and_head(cfg, prov, ch, v, rng)

    kab_upper = np.array([n.upper() for n in prov.kab_names], dtype=object)
    kec_names = np.array(prov.kec_names, dtype=object)
    pus_names = np.array(prov.puskesmas_names, dtype=object)
    desa_names = np.array(prov.desa_names, dtype=object)
    desa_codes = np.array(prov.desa_codes, dtype=object)
    pos_names = np.array(prov.pos_names, dtype=object)
    child_name = people.full_names(
        people.pick(people.MALE, ch.given[c]), people.pick(people.SECOND, ch.second[c])
    )
    girl = sex == 2
    child_name[girl] = people.full_names(
        people.pick(people.FEMALE, ch.given[c][girl]),
        people.pick(people.SECOND, ch.second[c][girl]),
    )
    mother = people.full_names(
        people.pick(people.FEMALE, ch.mother_name[f]),
        people.pick(people.SECOND, ch.mother_name[f] // 7),
    )
    alamat = np.char.add(
        np.char.add("Jl. ", people.pick(people.STREETS, ch.fam_street[f]).astype(str)),
        np.char.add(" No. ", ch.fam_house[f].astype(str)),
    ).astype(object)
    for key in sorted(set(zip(kab.tolist(), year_idx.tolist(), strict=True))):
        k, y = key
        sel = np.nonzero((kab == k) & (year_idx == y))[0]
        st = styles[k]
        comma = st.semicolon
        year = cfg.years[y]

        def dates(
            days: I64, rows: NDArray[np.int64] = sel, style: writers.FileStyle = st
        ) -> NDArray[np.object_]:
            main = writers.format_dates(days, style.date_style)
            alt = writers.format_dates(days, "%Y-%m-%d")
            return np.where(alt_date[rows], alt, main)

        def pad(
            x: NDArray[np.object_],
            rows: NDArray[np.int64] = sel,
            style: writers.FileStyle = st,
        ) -> NDArray[np.object_]:
            if not style.nbsp:
                return x
            return np.where(nbsp_row[rows], x + writers.NBSP, x)

        start = counters.get(key, 0)
        counters[key] = start + len(sel)
        weight_dp = np.where(pos_precision_dp(v.weight[sel]), 2, 1)
        berat = np.array(
            [
                (f"{w:.{d}f}" if w < 100 else f"{w:.0f}")
                for w, d in zip(v.weight[sel].tolist(), weight_dp.tolist(), strict=True)
            ],
            dtype=object,
        )
        tinggi = writers.fixed(v.lenhei[sel], 1)
        if comma:
            berat = np.array([s.replace(".", ",") for s in berat], dtype=object)
            tinggi = np.array([s.replace(".", ",") for s in tinggi], dtype=object)
        columns: dict[str, object] = {
            "No": np.arange(start + 1, start + len(sel) + 1),
            "NIK": writers.digits(ids.child_nik[c[sel]]),
            "Nama": pad(child_name[sel]),
            "JK": np.where(girl[sel], "P", "L"),
            "Tgl Lahir": dates(ch.dob[c[sel]]),
            "BB Lahir": writers.fixed(ch.birth_weight[c[sel]], 1, comma),
            "TB Lahir": writers.fixed(ch.birth_length[c[sel]], 1, comma),
            "Nama Ortu": mother[sel],
            "NIK Ortu": writers.digits(ids.mother_nik[f[sel]]),
            "No KK": writers.digits(ids.kk[f[sel]]),
            "Prov": prov.name.upper(),
            "Kab/Kota": kab_upper[kab[sel]],
            "Kec": kec_names[prov.desa_kec[desa[sel]]],
            "Pukesmas": pus_names[prov.desa_kec[desa[sel]]],
            "Desa/Kel": pad(desa_names[desa[sel]]),
            "Posyandu": pad(pos_names[pos[sel]]),
            "RT": [f"{x:03d}" for x in ch.fam_rt[f[sel]].tolist()],
            "RW": [f"{x:03d}" for x in ch.fam_rw[f[sel]].tolist()],
            "Alamat": alamat[sel],
            "Usia Saat Ukur": usia[sel],
            "Tanggal Pengukuran": dates(v.day[sel]),
            "Berat": berat,
            "Tinggi": tinggi,
            "Cara Ukur": np.where(v.standing[sel], "Berdiri", "Terlentang"),
            "LiLA": writers.fixed(lila[sel], 1, comma),
            "Lingkar Kepala": writers.fixed(lingkar[sel], 1, comma),
            "BB/U": writers.label(waz[sel], *writers.BBU),
            "ZS BB/U": writers.fixed(waz[sel], 2, comma),
            "TB/U": writers.label(haz[sel], *writers.TBU),
            "ZS TB/U": writers.fixed(haz[sel], 2, comma),
            "BB/TB": writers.label(whz[sel], *writers.BBTB),
            "ZS BB/TB": writers.fixed(whz[sel], 2, comma),
            "Naik Berat Badan": naik[sel],
            "Kode Desa": desa_codes[desa[sel]],
        }
        folder = out_dir / "eppgbm" / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        path = (
            folder
            / f"eppgbm_{prov.kab_codes[k].replace('.', '')}_{_slug(prov.kab_names[k])}_{year}.csv"
        )
        pre = f"Data Tanggal : 01 Januari {year} s/d 31 Desember {year}"
        writers.write_csv(
            path, columns, n=len(sel), semicolon=st.semicolon, preamble=pre
        )


def _arm_and_head(
    cfg: SynthConfig, prov: Province, ch: Chunk, v: Visits, rng: np.random.Generator
) -> tuple[F64, F64]:
    """LiLA and head circumference (cm) where the posyandu measured them, else NaN.

    Real exports fill these columns only in part: here 40 % of posyandu have a LiLA tape and
    use it on 60 % of the children from 6 months, 25 % measure the head of 60 % of the children
    under 2 years. The z-scores follow the child's latent state (arm with weight-for-age,
    head with height-for-age, correlations of the order seen in survey data) and become cm
    through the WHO 2006 arm- and head-circumference-for-age LMS tables.
    """
    n_pos = len(prov.pos_names)
    tools = np.random.default_rng([cfg.seed, 7003]).random((n_pos, 2))
    nv = len(v.child)
    pos = ch.fam_pos[ch.fam[v.child]]
    sex = ch.sex[v.child]
    agef = v.age.astype(np.float64)
    arm_z = 0.8 * v.waz_latent + 0.6 * rng.standard_normal(nv)
    head_z = 0.1 + 0.5 * v.haz_latent + 0.85 * rng.standard_normal(nv)
    arm_rows = (tools[pos, 0] < 0.4) & (v.age >= 183) & (rng.random(nv) < 0.6)
    head_rows = (tools[pos, 1] < 0.25) & (v.age < 731) & (rng.random(nv) < 0.6)
    arm = _lms.value_from_z(
        _lms.arm_circumference_for_age(), sex, agef, np.clip(arm_z, -4.5, 4.5)
    )
    head = _lms.value_from_z(
        _lms.head_circumference_for_age(), sex, agef, np.clip(head_z, -4.5, 4.5)
    )
    lila = np.where(arm_rows, np.round(arm, 1), np.nan)
    lingkar = np.where(head_rows, np.round(head, 1), np.nan)
    return lila, lingkar


def pos_precision_dp(weight: F64) -> NDArray[np.bool_]:
    """Weights that need two decimals (digital scales) keep them."""
    out: NDArray[np.bool_] = np.abs(np.round(weight, 1) - weight) > 1e-9
    return out


def _write_families(
    out_dir: Path, cfg: SynthConfig, prov: Province, ch: Chunk, ids: _Ids
) -> None:
    nf = len(ch.fam_desa)
    surveyed = generate.family_survey_days(cfg, ch)
    pregnant = np.zeros(nf, dtype=bool)
    preg_child = (ch.dob > surveyed[ch.fam]) & (ch.dob <= surveyed[ch.fam] + 270)
    pregnant[ch.fam[preg_child]] = True
    indo = prov.desa_kab[ch.fam_desa] % 2 == 1
    water = np.where(
        indo,
        people.pick(writers.WATER_LABELS_ID, ch.fam_water),
        people.pick(generate.WATER_SOURCES, ch.fam_water),
    )
    latrine = np.where(
        indo,
        people.pick(writers.LATRINE_LABELS_ID, ch.fam_latrine),
        people.pick(generate.LATRINES, ch.fam_latrine),
    )
    desa_codes = np.array(prov.desa_codes, dtype=object)
    fam_cols = {
        "Kode Desa": desa_codes[ch.fam_desa],
        "RT": np.array([f"{x:03d}" for x in ch.fam_rt.tolist()], dtype=object),
        "RW": np.array([f"{x:03d}" for x in ch.fam_rw.tolist()], dtype=object),
        "Alamat": np.char.add(
            np.char.add("Jl. ", people.pick(people.STREETS, ch.fam_street).astype(str)),
            np.char.add(" No. ", ch.fam_house.astype(str)),
        ).astype(object),
        "Sumber Air Minum": water,
        "Jamban": latrine,
        "Desil": ch.fam_decile.astype(str).astype(object),
        "Tanggal Pendataan": writers.iso_dates(surveyed),
    }
    kk = writers.digits(ids.kk)
    parts: list[pd.DataFrame] = []
    fam_idx = np.arange(nf)

    def member(
        fidx: I64,
        nik: I64,
        name: NDArray[np.object_],
        rel: str,
        jk: NDArray[np.object_],
        dob: I64,
        kb: NDArray[np.object_],
        hamil: NDArray[np.object_],
        order: I64,
    ) -> pd.DataFrame:
        cols: dict[str, object] = {
            "_fam": fidx,
            "_order": order,
            "No KK": kk[fidx],
            "NIK": writers.digits(nik),
            "Nama": name,
            "Hubungan": rel,
            "JK": jk,
            "Tgl Lahir": writers.iso_dates(dob),
        }
        for key, val in fam_cols.items():
            cols[key] = val[fidx]
        cols["KB Modern"] = kb
        cols["Hamil"] = hamil
        return pd.DataFrame(cols)

    blank_f = np.full(nf, "", dtype=object)
    parts.append(
        member(
            fam_idx,
            ids.father_nik,
            people.full_names(
                people.pick(people.MALE, ch.father_name),
                people.pick(people.SECOND, ch.father_name // 5),
            ),
            "kepala",
            np.full(nf, "L", dtype=object),
            ch.father_dob,
            blank_f,
            blank_f,
            np.zeros(nf, dtype=np.int64),
        )
    )
    parts.append(
        member(
            fam_idx,
            ids.mother_nik,
            people.full_names(
                people.pick(people.FEMALE, ch.mother_name),
                people.pick(people.SECOND, ch.mother_name // 7),
            ),
            "istri",
            np.full(nf, "P", dtype=object),
            ch.mother_dob,
            np.where(ch.fam_contraception, "y", "n").astype(object),
            np.where(pregnant, "y", "n").astype(object),
            np.ones(nf, dtype=np.int64),
        )
    )
    # Older siblings (born before the window) then the children of the window, eldest first.
    for r, fidx in enumerate(ids.sibling_fam):
        girl = ids.sibling_girl[r]
        names = np.where(
            girl,
            people.pick(people.FEMALE, ids.sibling_name[r]),
            people.pick(people.MALE, ids.sibling_name[r]),
        )
        blank = np.full(len(fidx), "", dtype=object)
        parts.append(
            member(
                fidx,
                ids.sibling_nik[r],
                people.full_names(
                    names, people.pick(people.SECOND, ch.father_name[fidx] // 5)
                ),
                "anak",
                np.where(girl, "P", "L").astype(object),
                ids.sibling_dob[r],
                blank,
                blank,
                np.full(len(fidx), 2 + r, dtype=np.int64),
            )
        )
    girl = ch.sex == 2
    names = np.where(
        girl, people.pick(people.FEMALE, ch.given), people.pick(people.MALE, ch.given)
    )
    blank = np.full(ch.n, "", dtype=object)
    born = ch.dob <= surveyed[ch.fam]
    kids = member(
        ch.fam,
        ids.child_nik,
        people.full_names(names, people.pick(people.SECOND, ch.second)),
        "anak",
        np.where(girl, "P", "L").astype(object),
        ch.dob,
        blank,
        blank,
        100 + np.arange(ch.n, dtype=np.int64),
    )
    parts.append(kids[born])
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["_fam", "_order"], kind="stable")
    writers.write_csv(
        out_dir / "families.csv",
        {c: frame[c].to_numpy(dtype=object) for c in writers.FAMILY_COLUMNS},
        n=len(frame),
    )


def _write_screenings(
    out_dir: Path, cfg: SynthConfig, prov: Province, ch: Chunk, ids: _Ids
) -> None:
    """Screenings (docs/templates.md section 3): `hamil` (one per pregnancy screened in the
    years), `catin` (the couple before the first birth) and `remaja` (older sisters aged
    12-18, about half of them screened once a year)."""
    rng = np.random.default_rng([cfg.seed, 16, ch.index])
    lo = generate.day_number(cfg.first_year, 1, 1)
    hi = generate.day_number(cfg.last_year, 12, 31)
    desa_codes = np.array(prov.desa_codes, dtype=object)
    path = out_dir / "screenings.csv"
    blank = ""
    mother_names = people.full_names(
        people.pick(people.FEMALE, ch.mother_name),
        people.pick(people.SECOND, ch.mother_name // 7),
    )
    father_names = people.full_names(
        people.pick(people.MALE, ch.father_name),
        people.pick(people.SECOND, ch.father_name // 5),
    )

    def write(
        kind: str,
        fidx: I64,
        nik: I64,
        names: NDArray[np.object_],
        dob: I64,
        day: I64,
        lila: NDArray[np.floating[Any]],
        hb: NDArray[np.floating[Any]],
        weight: NDArray[np.floating[Any]],
        height: NDArray[np.floating[Any]],
        jk: NDArray[np.object_] | str,
        extra: dict[str, object],
    ) -> None:
        if len(fidx) == 0:
            return
        columns: dict[str, object] = {
            "Jenis": kind,
            "NIK": writers.digits(nik),
            "Nama": names,
            "Tgl Lahir": writers.iso_dates(dob),
            "No KK": writers.digits(ids.kk[fidx]),
            "Kode Desa": desa_codes[ch.fam_desa[fidx]],
            "Tanggal Skrining": writers.iso_dates(day),
            "LiLA": writers.fixed(lila.astype(np.float64), 1),
            "Hb": writers.fixed(hb.astype(np.float64), 1),
            "Berat": writers.fixed(weight.astype(np.float64), 1),
            "Tinggi": writers.fixed(height.astype(np.float64), 1),
            "HPHT": extra.get("HPHT", blank),
            "Usia Kehamilan": extra.get("Usia Kehamilan", blank),
            "Kunjungan ANC": extra.get("Kunjungan ANC", blank),
            "Rencana Nikah": extra.get("Rencana Nikah", blank),
            "JK": jk,
        }
        writers.write_csv(path, columns, n=len(fidx))

    # hamil: one screening per pregnancy, at 8-36 weeks.
    n = ch.n
    lmp = ch.dob - 280 + np.rint(rng.normal(0.0, 7.0, n)).astype(np.int64)
    screen = lmp + rng.integers(8 * 7, 36 * 7, n)
    sel = np.nonzero((screen >= lo) & (screen <= hi) & (screen < ch.dob))[0]
    f = ch.fam[sel]
    kek = ch.kek[sel]
    anaemia = ch.anaemia[sel]
    m = len(sel)
    # LiLA < 23.5 cm is KEK (facts.md 4a); Hb < 11 g/dL is anaemia in pregnancy (4b).
    lila = np.where(
        kek, rng.uniform(19.5, 23.4, m), np.clip(rng.normal(26.8, 2.3, m), 23.5, 36.0)
    )
    hb = np.where(
        anaemia,
        rng.uniform(7.5, 10.9, m),
        np.clip(rng.normal(12.0, 0.7, m), 11.0, 15.0),
    )
    weeks = (screen[sel] - lmp[sel]) // 7
    height = np.round(rng.normal(151.0, 5.5, m), 1)
    weight = np.round(np.clip(rng.normal(56.0, 9.0, m) - 6.0 * kek, 35.0, 110.0), 1)
    write(
        "hamil",
        f,
        ids.mother_nik[f],
        mother_names[f],
        ch.mother_dob[f],
        screen[sel],
        lila,
        hb,
        weight,
        height,
        "P",
        {
            "HPHT": writers.iso_dates(lmp[sel]),
            "Usia Kehamilan": weeks,
            "Kunjungan ANC": np.minimum(1 + weeks // 6, 8),
        },
    )

    # catin: couples whose first child is born in the window are screened 1-4 months before
    # the wedding (Elsimil, facts.md 4c), the wedding 10-30 months before the first birth.
    nf = len(ch.fam_desa)
    first_child = np.full(nf, -1, dtype=np.int64)
    first_child[ch.fam[::-1]] = np.arange(n - 1, -1, -1)
    wedding = ch.dob[first_child] - rng.integers(300, 900, nf)
    c_day = wedding - rng.integers(30, 120, nf)
    fam_sel = np.nonzero((ch.prior_count == 0) & (c_day >= lo) & (c_day <= hi))[0]
    k = len(fam_sel)
    # A bride who goes on to have a KEK pregnancy is usually thin before it (LiLA < 23.5 in
    # 70 % of them, against 15 % of the others); Hb < 12 g/dL in about a third.
    thin = rng.random(k) < np.where(ch.kek[first_child[fam_sel]], 0.7, 0.15)
    lila_w = np.where(
        thin, rng.uniform(19.5, 23.4, k), np.clip(rng.normal(26.5, 2.5, k), 23.5, 38.0)
    )
    write(
        "catin",
        fam_sel,
        ids.mother_nik[fam_sel],
        mother_names[fam_sel],
        ch.mother_dob[fam_sel],
        c_day[fam_sel],
        lila_w,
        np.clip(rng.normal(12.5, 1.2, k), 7.0, 16.5),
        np.round(np.clip(rng.normal(52.0, 9.0, k) - 5.0 * thin, 35.0, 110.0), 1),
        np.round(rng.normal(152.0, 5.5, k), 1),
        "P",
        {"Rencana Nikah": writers.iso_dates(wedding[fam_sel])},
    )
    # About half of the grooms come to the screening too.
    groom = fam_sel[rng.random(k) < 0.5]
    g = len(groom)
    write(
        "catin",
        groom,
        ids.father_nik[groom],
        father_names[groom],
        ch.father_dob[groom],
        c_day[groom],
        np.clip(rng.normal(28.0, 2.8, g), 21.0, 40.0),
        np.clip(rng.normal(14.6, 1.1, g), 10.0, 18.0),
        np.round(np.clip(rng.normal(62.0, 10.0, g), 40.0, 120.0), 1),
        np.round(rng.normal(163.0, 6.0, g), 1),
        "L",
        {"Rencana Nikah": writers.iso_dates(wedding[groom])},
    )

    # remaja: older sisters aged 12-18 on a school screening day, each year with p 0.5; Hb
    # < 12 g/dL is anaemia in adolescent girls (facts.md 4b), about a third here.
    for r, fidx in enumerate(ids.sibling_fam):
        girls = np.nonzero(ids.sibling_girl[r])[0]
        for year in cfg.years:
            day = generate.day_number(year, 7, 15) + rng.integers(0, 120, len(girls))
            age = (day - ids.sibling_dob[r][girls]) / 365.25
            pick = np.nonzero(
                (age >= 12.0) & (age < 19.0) & (rng.random(len(girls)) < 0.5)
            )[0]
            rows = girls[pick]
            a = np.asarray(age[pick], dtype=np.float64)
            q = len(rows)
            fam_r = fidx[rows]
            names = people.full_names(
                people.pick(people.FEMALE, ids.sibling_name[r][rows]),
                people.pick(people.SECOND, ch.father_name[fam_r] // 5),
            )
            write(
                "remaja",
                fam_r,
                ids.sibling_nik[r][rows],
                names,
                ids.sibling_dob[r][rows],
                day[pick],
                np.clip(rng.normal(19.5 + 0.8 * (a - 12.0), 2.4, q), 15.0, 34.0),
                np.clip(rng.normal(12.4, 1.2, q), 7.0, 16.0),
                np.round(
                    np.clip(rng.normal(36.0 + 2.6 * (a - 12.0), 7.0, q), 25.0, 95.0), 1
                ),
                np.round(
                    np.clip(rng.normal(145.0 + 1.6 * (a - 12.0), 6.0, q), 120.0, 180.0),
                    1,
                ),
                "P",
                {},
            )


def _causes(risk: NDArray[np.bool_]) -> NDArray[np.object_]:
    out = np.full(risk.shape[0], "", dtype=object)
    for j, name in enumerate(model.RISK_NAMES):
        has = risk[:, j]
        sep = np.where(out[has] == "", "", ";")
        out[has] = out[has] + sep + name
    return out


def _truth_children_frame(
    cfg: SynthConfig, prov: Province, ch: Chunk, haz_mid: F64, ids: _Ids, text: bool
) -> pd.DataFrame:
    pos_ids = np.array(prov.posyandu_ids(), dtype=object)
    desa_codes = np.array(prov.desa_codes, dtype=object)
    cols: dict[str, object] = {
        "child_id": ch.child_id,
        "family_id": ids.fam_id[ch.fam],
        "nik": writers.digits(ids.child_nik) if text else ids.child_nik,
        "no_kk": writers.digits(ids.kk[ch.fam]) if text else ids.kk[ch.fam],
        "kode_desa": desa_codes[ch.desa],
        "posyandu_id": pos_ids[ch.pos],
        "sex": ch.sex,
        "dob": writers.iso_dates(ch.dob) if text else ch.dob.astype("datetime64[D]"),
        "birth_weight_kg": np.round(ch.birth_weight, 2),
        "mother_age_at_birth": np.round(ch.mother_age_at_birth, 1),
    }
    for j, name in enumerate(model.RISK_NAMES):
        cols[name] = ch.risk[:, j].astype(np.int8)
    cols["n_risk_factors"] = ch.risk.sum(axis=1)
    if text:
        cols["causes"] = _causes(ch.risk)
    cols["expected_decline_z"] = np.round(ch.decline, 3)
    cols.update(iv.truth_columns(ch))
    for y, year in enumerate(cfg.years):
        cols[f"haz_{year}"] = np.round(haz_mid[:, y], 3)
        cols[f"stunted_{year}"] = np.where(
            np.isnan(haz_mid[:, y]), -1, haz_mid[:, y] < -2.0
        ).astype(np.int8)
    return pd.DataFrame(cols)


def _write_truth_children(
    out_dir: Path, cfg: SynthConfig, prov: Province, ch: Chunk, haz_mid: F64, ids: _Ids
) -> None:
    frame = _truth_children_frame(cfg, prov, ch, haz_mid, ids, text=True)
    columns: dict[str, object] = {}
    for name in frame.columns:
        col = frame[name].to_numpy()
        columns[name] = writers.fixed(col, 3) if col.dtype.kind == "f" else col
    writers.write_csv(out_dir / "truth" / "children.csv", columns, n=len(frame))


def _write_parquet(
    out_dir: Path,
    cfg: SynthConfig,
    prov: Province,
    ch: Chunk,
    v: Visits,
    haz_mid: F64,
    ids: _Ids,
) -> None:
    part = f"part-{ch.index:05d}.parquet"
    for sub in ("children", "visits", "families"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    children = _truth_children_frame(cfg, prov, ch, haz_mid, ids, text=False)
    pq.write_table(
        pa.Table.from_pandas(children, preserve_index=False),
        out_dir / "children" / part,
    )
    pos = ch.pos[v.child]
    day = np.where(v.day >= 0, v.day, 0).astype("datetime64[D]")
    visits = pa.table(
        {
            "child_id": pa.array(ch.child_id[v.child]),
            "posyandu": pa.array(pos.astype(np.int32)),
            "kode_desa_index": pa.array(ch.desa[v.child].astype(np.int32)),
            "date": pa.array(day, mask=v.day < 0),
            "age_days": pa.array(v.age.astype(np.int32)),
            "sex": pa.array(ch.sex[v.child].astype(np.int8)),
            "weight_kg": pa.array(v.weight.astype(np.float32)),
            "lenhei_cm": pa.array(v.lenhei.astype(np.float32)),
            "measure": pa.DictionaryArray.from_arrays(
                pa.array(v.standing.astype(np.int8)), pa.array(["l", "h"])
            ),
            "haz_latent": pa.array(v.haz_latent.astype(np.float32)),
            "problems": pa.array(v.problems),
        }
    )
    pq.write_table(visits, out_dir / "visits" / part)
    fam = pa.table(
        {
            "family_id": pa.array(ids.fam_id),
            "no_kk": pa.array(ids.kk),
            "desa_index": pa.array(ch.fam_desa.astype(np.int32)),
            "water": pa.array(
                np.array(generate.WATER_SOURCES, dtype=object)[ch.fam_water]
            ),
            "latrine": pa.array(
                np.array(generate.LATRINES, dtype=object)[ch.fam_latrine]
            ),
            "decile": pa.array(ch.fam_decile.astype(np.int8)),
            "mother_dob": pa.array(ch.mother_dob.astype("datetime64[D]")),
            "prior_children": pa.array(ch.prior_count.astype(np.int8)),
        }
    )
    pq.write_table(fam, out_dir / "families" / part)


def _write_truth_tables(
    out_dir: Path,
    cfg: SynthConfig,
    prov: Province,
    targets: dict[tuple[str, int], model.Target],
    effects: F64,
    problems: NDArray[np.bool_],
    acc: _Accumulator,
    improvement: generate.Improvement,
) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    applies = improvement.born_from < 10**9 and improvement.reach is not None
    reach = improvement.reach
    born_from = str(np.datetime64(improvement.born_from, "D")) if applies else ""

    def pct(a: int, b: int) -> str:
        return f"{100.0 * a / b:.2f}" if b else ""

    for k, code in enumerate(prov.kab_codes):
        for y, year in enumerate(cfg.years):
            t = targets[(code, year)]
            rows.append(
                {
                    "region_code": code,
                    "region_name": prov.kab_names[k],
                    "year": year,
                    "target_pct": f"{t.value_pct:.2f}",
                    "target_basis": t.basis,
                    "survey_pct": pct(
                        int(acc.survey_stunted[k, y]), int(acc.survey_n[k, y])
                    ),
                    "survey_n": int(acc.survey_n[k, y]),
                    "routine_pct": pct(
                        int(acc.routine_stunted[k, y]), int(acc.routine_n[k, y])
                    ),
                    "routine_n": int(acc.routine_n[k, y]),
                    "district_effect_z": f"{effects[k, y]:.3f}",
                    "reach_pct": (
                        f"{100.0 * reach[k]:.0f}"
                        if applies and reach is not None and t.basis == "extrapolated"
                        else ""
                    ),
                    "reach_born_from": born_from if t.basis == "extrapolated" else "",
                }
            )
    for y, year in enumerate(cfg.years):
        prov_t = model.provincial_target(cfg.province, year)
        rows.append(
            {
                "region_code": cfg.province,
                "region_name": prov.name,
                "year": year,
                "target_pct": f"{prov_t:.2f}" if prov_t is not None else "",
                "target_basis": "published" if prov_t is not None else "",
                "survey_pct": pct(
                    int(acc.survey_stunted[:, y].sum()), int(acc.survey_n[:, y].sum())
                ),
                "survey_n": int(acc.survey_n[:, y].sum()),
                "routine_pct": pct(
                    int(acc.routine_stunted[:, y].sum()), int(acc.routine_n[:, y].sum())
                ),
                "routine_n": int(acc.routine_n[:, y].sum()),
                "district_effect_z": "",
                "reach_pct": "",
                "reach_born_from": "",
            }
        )
    survey = pd.DataFrame(rows)
    survey.to_csv(
        out_dir / "truth" / "survey_prevalence.csv", index=False, lineterminator="\n"
    )

    pos_ids = prov.posyandu_ids()
    prob_rows: list[dict[str, object]] = []
    for p_idx, j in zip(*np.nonzero(problems), strict=True):
        spec = model.PROBLEMS[int(j)]
        prob_rows.append(
            {
                "posyandu_id": pos_ids[int(p_idx)],
                "posyandu": prov.pos_names[int(p_idx)],
                "kode_desa": prov.desa_codes[int(prov.pos_desa[p_idx])],
                "problem": spec.name,
                "row_rate": f"{spec.row_rate:.2f}",
                "rows": int(acc.pos_rows[p_idx]),
                "rows_affected": int(acc.pos_affected[p_idx, j]),
                "description": spec.description,
            }
        )
    pd.DataFrame(
        prob_rows,
        columns=[
            "posyandu_id",
            "posyandu",
            "kode_desa",
            "problem",
            "row_rate",
            "rows",
            "rows_affected",
            "description",
        ],
    ).to_csv(
        out_dir / "truth" / "posyandu_problems.csv", index=False, lineterminator="\n"
    )

    kec = prov.desa_kec[prov.pos_desa]
    pd.DataFrame(
        {
            "posyandu_id": pos_ids,
            "posyandu": prov.pos_names,
            "kode_desa": [prov.desa_codes[d] for d in prov.pos_desa.tolist()],
            "desa": [prov.desa_names[d] for d in prov.pos_desa.tolist()],
            "puskesmas": [prov.puskesmas_names[c] for c in kec.tolist()],
            "desa_coverage": [
                f"{x:.3f}" for x in prov.desa_coverage[prov.pos_desa].tolist()
            ],
            "meeting_day": prov.pos_day,
            "rows": acc.pos_rows,
            "problems": [
                ";".join(
                    model.PROBLEM_NAMES[j] for j in np.nonzero(problems[i])[0].tolist()
                )
                for i in range(len(pos_ids))
            ],
        }
    ).to_csv(out_dir / "truth" / "posyandu.csv", index=False, lineterminator="\n")
    truth.write(out_dir, cfg, prov, acc.new_cases)
    return survey


__all__ = ["Format", "SynthConfig", "SynthResult", "synthesize"]
