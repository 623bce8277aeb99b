"""A system that reads the FHIR interface: a bearer token (only its SHA-256 kept) and the
locations whose data it may see."""

from django.db import models


class FhirClient(models.Model):
    """One outside system (an EHR, an imaging centre, a surgeon's office).

    Clients are systems, not people: no account, no session, no second factor. A client reads
    only its locations' records; revoking it ends its token at once. Made by
    `manage.py create_fhir_client`, listed, scoped and revoked in the admin.
    """

    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    locations = models.ManyToManyField("clinic.Location", related_name="fhir_clients")
    # Requests per minute; empty means the FHIR_RATE_LIMIT setting.
    rate_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Requests per minute for this client. Empty: the FHIR_RATE_LIMIT setting.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "FHIR client"

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
