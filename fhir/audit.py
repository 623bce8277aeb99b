"""FHIR clients in the change history: made, scoped, revoked; never the token hash (a
credential) nor the last-used time every call touches (noise)."""

from auditlog.registry import auditlog

from fhir.models import FhirClient

auditlog.register(
    FhirClient,
    exclude_fields=["token_hash", "last_used_at"],
    m2m_fields={"locations"},
)
