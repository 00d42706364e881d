"""Data exchange with other systems: DHIS2 (dataValueSets JSON, ADX XML), FHIR R4 and
e-PPGBM upload files. Built on the domain packages below it; delivered by `tumbuh.cli`."""
