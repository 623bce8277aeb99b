"""Staff roles. The groups are created by a data migration (clinic 0004_staff_groups)."""

TRIAGE_CLINICIAN = "Triage clinician"
SCHEDULER = "Scheduler"
LOCATION_MANAGER = "Location manager"

ALL = (TRIAGE_CLINICIAN, SCHEDULER, LOCATION_MANAGER)


def has_role(user, role: str) -> bool:
    if not user.is_authenticated or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return role in cached


def location_ids(user) -> set[int]:
    cached = getattr(user, "_location_ids", None)
    if cached is None:
        cached = set(user.locations.values_list("id", flat=True))
        user._location_ids = cached
    return cached
