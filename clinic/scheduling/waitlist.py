"""The waitlist: patients for whom nothing fitted their target window hear about freed times.

A cancellation offers the freed time to the oldest open entry for that service and location.
The offer holds nothing back: the first patient to book the time gets it, and booking it (through
`appointment_book`) is what marks their entry fulfilled.
"""

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.http import urlencode

from clinic import notifications
from clinic.errors import NotAllowed
from clinic.models import (
    Appointment,
    AppointmentStatus,
    NotificationKind,
    WaitlistEntry,
)
from clinic.scheduling.availability import available_slots
from clinic.scheduling.offers import slot_key
from clinic.scheduling.rules import check_booking_allowed

# Where the offer sends the patient: their page lists their plan and the times they can book.


@transaction.atomic
def waitlist_join(*, patient, intake, service, locations) -> WaitlistEntry:
    """Put the patient on the waitlist for `service` at `locations` (at least one).

    Joining again while an entry is open updates its locations instead of adding a second one.
    Raises NotAllowed when the patient could not book the service online (the same rules as
    booking) or already has an appointment for it.
    """
    locations = list(locations)
    if not locations:
        raise NotAllowed("Choose at least one clinic to wait for.")
    check_booking_allowed(patient=patient, intake=intake, service=service, online=True)
    if Appointment.objects.filter(
        intake=intake, service=service, status=AppointmentStatus.BOOKED
    ).exists():
        raise NotAllowed(f"You already have an appointment for {service.name}.")
    entry, _ = WaitlistEntry.objects.get_or_create(
        intake=intake,
        service=service,
        fulfilled_at__isnull=True,
        defaults={"patient": patient},
    )
    entry.locations.set(locations)
    return entry


def _confirm_path(intake, freed) -> str:
    """The booking confirmation page for exactly the freed time: one tap to take it."""
    path = reverse("patients:book_confirm", args=[intake.public_id])
    return f"{path}?{urlencode({'slot': slot_key(freed)})}"


def offer_to_waitlist(*, appointment: Appointment, now: datetime | None = None):
    """Offer a just-freed time to the oldest open waitlist entry for its service and location.

    Plans one WAITLIST_OFFER notification (in the caller's transaction) and returns it, or None
    when the time is no longer bookable (too soon, taken again) or nobody is waiting.
    """
    now = now or timezone.now()
    location = appointment.location
    local_day = appointment.start.astimezone(location.zone).date()
    still_free = any(
        slot.start == appointment.start
        for slot in available_slots(
            service=appointment.service,
            locations=[location],
            date_from=local_day,
            date_to=local_day,
            practitioner=appointment.practitioner,
            now=now,
        )
    )
    if not still_free:
        return None
    entry = (
        WaitlistEntry.objects.filter(
            service=appointment.service, locations=location, fulfilled_at__isnull=True
        )
        .exclude(patient=appointment.patient_id)
        .select_related("patient__user", "intake")
        .order_by("created_at", "id")
        .first()
    )
    if entry is None:
        return None
    channel, recipient = notifications.patient_channel(entry.patient)
    local_start = appointment.start.astimezone(location.zone)
    label = (
        f"{dateformat.format(local_start, 'l j F, g:i A T')} at {location.name} "
        f"with {appointment.practitioner.display_name}"
    )
    return notifications.plan(
        key=f"waitlist:{entry.pk}:offer:{appointment.public_id}",
        kind=NotificationKind.WAITLIST_OFFER,
        channel=channel,
        recipient=recipient,
        template="notifications/waitlist_offer",
        due_at=now,
        intake=entry.intake,
        context={
            "slot_start": appointment.start.isoformat(),
            "practitioner_id": appointment.practitioner_id,
            "location_id": location.pk,
            "service_slug": appointment.service.slug,
            "slot_label": label,
            "book_path": _confirm_path(entry.intake, appointment),
            # The subject template names the service through `appointment.service.name`; the
            # offer is not about the cancelled appointment (another patient's), so only the name.
            "appointment": {"service": {"name": appointment.service.name}},
        },
    )
