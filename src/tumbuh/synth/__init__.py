"""A synthetic Kalimantan Timur: families, children, posyandu visits and messy exports with a
known ground truth (docs/synthetic.md).

>>> from tumbuh.synth import SynthConfig  # doctest: +SKIP
>>> synthesize(SynthConfig(children=5000, seed=1), Path("out"))  # doctest: +SKIP
"""

from __future__ import annotations

from tumbuh.synth.generate import SynthConfig
from tumbuh.synth.service import Format, SynthResult, synthesize

__all__ = ["Format", "SynthConfig", "SynthResult", "synthesize"]
