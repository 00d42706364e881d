"""A small synthetic province written once as partitioned Parquet (3 parts, ~20,000 visits)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tumbuh.synth import SynthConfig, synthesize


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    synthesize(SynthConfig(children=3000, chunk_size=1000, seed=5), out, "parquet")
    return out
