"""CPU time of ``tumbuh.growth.prevalence`` on anthro's reference survey and on a bigger one.

Run: ``.venv/bin/python bench/prevalence.py [copies]``. The bigger survey tiles the
1,947-child reference survey ``copies`` times (default 50, ~97,000 children) with new
cluster numbers per copy. For comparison, WHO anthro (R 4.2.2) took about 0.6 s
without design, 10-18 s with weights only and 15-21 s with the full design on the
1,947 children (tests/data/reference/README.md).
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import pandas as pd

from tumbuh.growth import zscores
from tumbuh.growth.prevalence import Grouping, prevalence, wealth_quintile

REF = Path(__file__).resolve().parents[1] / "tests" / "data" / "reference"


def best_of(n: int, fn: object) -> float:
    times = []
    for _ in range(n):
        t0 = time.process_time()
        fn()  # type: ignore[operator]
        times.append(time.process_time() - t0)
    return min(times)


def main(copies: int) -> None:
    base = pd.read_csv(REF / "anthro_prevalence_input_public.csv")
    for label, d in (
        ("reference", base),
        (
            f"x{copies}",
            pd.concat(
                [
                    base.assign(cluster=base["cluster"] + 1000 * k)
                    for k in range(copies)
                ],
                ignore_index=True,
            ),
        ),
    ):
        scores = zscores(
            sex=d["sex"],
            age_days=d["age"],
            weight_kg=d["weight"],
            lenhei_cm=d["lenhei"],
            measure=d["measure"],
            oedema=d["oedema"],
        )
        groups = [
            Grouping("Area", d["typeres"]),
            Grouping("Geographical region", d["gregion"]),
            wealth_quintile(d["wealthq"]),
        ]
        oed = (d["oedema"] == "y").to_numpy()
        for design, kw in (
            ("no design", {}),
            ("weights only", {"weights": d["sw"]}),
            (
                "cluster+strata+weights",
                {"weights": d["sw"], "cluster": d["cluster"], "strata": d["strata"]},
            ),
        ):
            run = functools.partial(
                prevalence,
                scores,
                sex=scores.csex,
                age_days=d["age"],
                oedema=oed,
                groupings=groups,
                **kw,
            )
            secs = best_of(3, run)
            print(f"{label:>9} {len(d):>7} rows  {design:<24} {secs * 1000:8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
