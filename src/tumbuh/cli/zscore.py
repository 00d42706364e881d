"""`tumbuh zscore`: placeholder until the growth CLI lands (issue 2)."""
