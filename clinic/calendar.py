"""iCalendar (.ics) files for appointments, built with the icalendar library."""

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vText


def ics_for(appointment) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Backstride//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.public_id}@backstride")
    event.add("dtstamp", timezone.now())
    # Stored in UTC; written with the location's zone so calendars show the clinic's local time.
    event.add("dtstart", appointment.start.astimezone(appointment.location.zone))
    event.add("dtend", appointment.end.astimezone(appointment.location.zone))
    event.add("summary", f"{appointment.service.name} at Backstride {appointment.location.name}")
    event["location"] = vText(f"{appointment.location.name}, {appointment.location.address}")
    event.add(
        "description",
        f"With {appointment.practitioner.display_name}. "
        f"To cancel or reschedule: {settings.SITE_URL}/me/ or call {appointment.location.phone}.",
    )
    event.add("status", "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
