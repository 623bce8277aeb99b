"""Staff roles. The groups are created by a data migration (clinic 0004_staff_groups)."""

TRIAGE_CLINICIAN = "Triage clinician"
SCHEDULER = "Scheduler"
LOCATION_MANAGER = "Location manager"

ALL = (TRIAGE_CLINICIAN, SCHEDULER, LOCATION_MANAGER)


def is_privileged(user) -> bool:
    """The one notion of "privileged": an account that holds any staff power.

    Either flag counts (a superuser whose staff status is unticked still holds every permission
    in Django's ModelBackend), so such an account needs the second factor and may not hold API
    tokens. The powers themselves need an active staff account: see `is_staff` and
    `is_superuser`; a superuser without staff status is never granted them.
    """
    return bool(user is not None and user.is_authenticated and (user.is_staff or user.is_superuser))


def is_staff(user) -> bool:
    """An active staff account: sees its locations' records."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def is_superuser(user) -> bool:
    """An active staff superuser: sees everything. The superuser flag counts only together
    with staff status."""
    return is_staff(user) and bool(user.is_superuser)


def has_role(user, role: str) -> bool:
    if not is_staff(user):
        return False
    if is_superuser(user):
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
