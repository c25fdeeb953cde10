"""Interoperability: FHIR R4 mapping and CDS Hooks service logic (pure functions)."""
