"""tumbuh: stunting-reduction information system (WHO z-scores, surveillance, families at risk)."""

__version__ = "0.1.0"
