"""iCalendar (.ics) files for appointments (RFC 5545), built with the icalendar library.

One event per appointment, whose UID never changes: a move sends the same UID with a higher
SEQUENCE, so a calendar replaces the old time instead of adding a second event, and a
cancellation sends METHOD:CANCEL (RFC 5546). Every TZID used gets its VTIMEZONE: without one,
Outlook reads the clinic's local time as its own zone's and shows a shifted time.
"""

from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from clinic.models import AppointmentEvent, AppointmentStatus

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
    event.add("summary", f"{appointment.service.name} at Backstride {appointment.location.name}")
    event["location"] = vText(f"{appointment.location.name}, {appointment.location.address}")
    event.add(
        "description",
        f"With {appointment.practitioner.display_name}. "
        f"To cancel or reschedule: {settings.SITE_URL}/me/ or call {appointment.location.phone}.",
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
