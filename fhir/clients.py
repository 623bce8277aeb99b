"""FHIR clients: made, checked on every request, revoked.

A token is "bfhir_" and 43 URL-safe characters (32 random bytes); only its SHA-256 is stored
(`patients.tokens.token_hash`, the one hash of the JSON API's tokens too), so the database
never holds a usable token. It is shown once, when the client is made.
"""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from clinic.errors import NotAllowed
from clinic.models import Location
from fhir.models import FhirClient
from patients.tokens import token_hash

PREFIX = "bfhir_"
# last_used_at is a "roughly when" for staff; written at most once a minute so that a busy
# client does not turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


@transaction.atomic
def client_create(*, name: str, location_slugs: list[str]) -> tuple[FhirClient, str]:
    """Make a client for the locations with these slugs; returns it and its token (shown once).

    Raises NotAllowed for an empty name, no location, or a slug no location has.
    """
    name = (name or "").strip()[:100]
    if not name:
        raise NotAllowed("Give the client a name, e.g. the system it is for.")
    slugs = sorted({slug.strip() for slug in location_slugs if slug.strip()})
    if not slugs:
        raise NotAllowed("Give at least one location (--location SLUG).")
    locations = list(Location.objects.filter(slug__in=slugs))
    unknown = sorted(set(slugs) - {location.slug for location in locations})
    if unknown:
        raise NotAllowed(f"No location has the slug {', '.join(unknown)}.")
    token = PREFIX + secrets.token_urlsafe(32)
    client = FhirClient.objects.create(
        name=name, key_prefix=token[: len(PREFIX) + 4], token_hash=token_hash(token)
    )
    client.locations.set(locations)
    return client, token


def client_authenticate(raw: str) -> FhirClient | None:
    """The active client a presented token belongs to, or None (revoked, unknown, malformed).

    Records when it was last used (to the minute)."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    client = FhirClient.objects.filter(token_hash=token_hash(raw), revoked_at__isnull=True).first()
    if client is None:
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_PRECISION:
        FhirClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def client_location_ids(client: FhirClient) -> frozenset[int]:
    return frozenset(client.locations.values_list("id", flat=True))


@transaction.atomic
def client_revoke(*, client: FhirClient) -> FhirClient:
    """Revoke a client: its token stops working at once. Revoking twice is harmless."""
    client = FhirClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        # save(), not update(): the change history records the revocation.
        client.save(update_fields=["revoked_at"])
    return client
