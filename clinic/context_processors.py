from django.core.cache import cache

from clinic.models import Location


def clinic_locations(request):
    """The footer lists every location; cached because every page shows it."""
    locations = cache.get("footer_locations")
    if locations is None:
        locations = list(Location.objects.values("name", "address", "phone"))
        cache.set("footer_locations", locations, 300)
    return {"footer_locations": locations}
