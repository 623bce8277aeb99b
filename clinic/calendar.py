"""iCalendar (.ics) files for appointments (RFC 5545), built with the icalendar library.

One event per appointment, whose UID never changes: a move sends the same UID with a higher
SEQUENCE, so a calendar replaces the old time instead of adding a second event, and a
cancellation sends METHOD:CANCEL (RFC 5546). Every TZID used gets its VTIMEZONE: without one,
Outlook reads the clinic's local time as its own zone's and shows a shifted time.

Each practitioner may also have a private feed (`feed_*`): a secret address their calendar app
subscribes to, listing their upcoming visits with the patients' initials only.
"""

import secrets
from email.utils import parseaddr

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Calendar, Event, vCalAddress, vText

from clinic.models import Appointment, AppointmentEvent, AppointmentStatus, CalendarFeed
from clinic.models.feeds import token_digest

# The events that change what a calendar shows (time, place or whether it happens).
_CHANGES = (
    AppointmentEvent.Kind.BOOKED,
    AppointmentEvent.Kind.RESCHEDULED,
    AppointmentEvent.Kind.CANCELLED,
)


def sequence_of(appointment) -> int:
    """RFC 5545 SEQUENCE: 0 when booked, one more for every move and for the cancellation."""
    changes = appointment.events.filter(kind__in=_CHANGES).count()
    return max(changes - 1, 0)


def uid_of(appointment) -> str:
    return f"{appointment.public_id}@backstride"


def ics_for(appointment, *, recipient: str = "") -> bytes:
    """The appointment as an .ics file: a REQUEST while it stands, a CANCEL once cancelled."""
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    zone = appointment.location.zone
    calendar = Calendar()
    calendar.add("prodid", "-//Backstride//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")

    event = Event()
    event.add("uid", uid_of(appointment))
    event.add("sequence", sequence_of(appointment))
    event.add("dtstamp", timezone.now())
    # Stored in UTC; written with the location's zone so calendars show the clinic's local time.
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    # In the active language: the request's, or the patient's when attached to a message.
    event.add(
        "summary",
        gettext("%(service)s at Backstride %(place)s")
        % {"service": appointment.service.patient_name, "place": appointment.location.name},
    )
    event["location"] = vText(f"{appointment.location.name}, {appointment.location.address}")
    event.add(
        "description",
        gettext("With %(name)s. To cancel or reschedule: %(url)s or call %(phone)s.")
        % {
            "name": appointment.practitioner.display_name,
            "url": f"{settings.SITE_URL}/me/",
            "phone": appointment.location.phone,
        },
    )
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # RFC 5546: REQUEST and CANCEL name the organizer and the attendee.
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organizer.params["cn"] = vText(f"Backstride {appointment.location.name}")
    event["organizer"] = organizer
    attendee_email = recipient or _patient_email(appointment)
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _patient_email(appointment) -> str:
    user = getattr(appointment.patient, "user", None)
    return getattr(user, "email", "") or ""


# --- A practitioner's private feed ---------------------------------------------------------------
def feed_rotate(*, practitioner, actor) -> str:
    """Give the practitioner a new secret feed address and return its token (shown once: only
    its digest is kept). The old address stops working at once. The change history records
    who rotated it and when."""
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.filter(practitioner=practitioner).first() or CalendarFeed(
        practitioner=practitioner
    )
    feed.token_hash = token_digest(token)
    feed.rotated_at = timezone.now()
    feed.rotated_by = actor
    feed.save()
    return token


def feed_practitioner(token: str):
    """The practitioner whose current feed token this is, or None."""
    feed = (
        CalendarFeed.objects.select_related("practitioner")
        .filter(token_hash=token_digest(token), practitioner__is_active=True)
        .first()
    )
    return feed.practitioner if feed is not None else None


def feed_appointments(practitioner, *, now=None):
    """Their booked visits not yet over, up to the booking horizon, with each one's SEQUENCE
    counted in the same query."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            practitioner=practitioner,
            status=AppointmentStatus.BOOKED,
            end__gt=now,
            start__lt=now + settings.BOOKING_MAX_ADVANCE,
        )
        .select_related("patient", "service", "location")
        .annotate(changes=Count("events", filter=Q(events__kind__in=_CHANGES)))
        .order_by("start")
    )


def feed_ics(practitioner, appointments) -> bytes:
    """The feed as an RFC 5545 calendar: each visit in its location's zone (with a VTIMEZONE
    for every TZID), the same UID and SEQUENCE as the patient's own invitation, and of the
    patient only their initials."""
    calendar = Calendar()
    calendar.add("prodid", "-//Backstride//Practitioner feed//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Backstride: {practitioner.display_name}")
    stamp = timezone.now()
    for appointment in appointments:
        zone = appointment.location.zone
        event = Event()
        event.add("uid", uid_of(appointment))
        event.add("sequence", max(appointment.changes - 1, 0))
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.start.astimezone(zone))
        event.add("dtend", appointment.end.astimezone(zone))
        event.add("summary", f"{_initials(appointment.patient)}: {appointment.service.name}")
        event["location"] = vText(f"{appointment.location.name}, {appointment.location.address}")
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _initials(patient) -> str:
    letters = [name[:1].upper() for name in (patient.first_name, patient.last_name) if name]
    return ".".join(letters) + "." if letters else "Patient"
