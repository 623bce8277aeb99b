import logging

from django.core.cache import cache

from clinic.models import Location

log = logging.getLogger(__name__)


def clinic_locations(request):
    """The footer lists every location; cached because every page shows it.

    A cache outage (Redis down) must not take pages down: read the database instead.
    """
    try:
        locations = cache.get("footer_locations")
    except Exception:
        log.warning("Cache unavailable; reading footer locations from the database")
        return {"footer_locations": list(Location.objects.values("name", "address", "phone"))}
    if locations is None:
        locations = list(Location.objects.values("name", "address", "phone"))
        try:
            cache.set("footer_locations", locations, 300)
        except Exception:
            log.warning("Cache unavailable; footer locations not cached")
    return {"footer_locations": locations}
