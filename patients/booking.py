"""What the booking pages show: slots grouped by local day, the service an intake may book
online, and whether anything falls inside the decision's target window (protocol section 6)."""

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from clinic import scheduling
from clinic.models import Service
from triage.engine import STAFF_TARGET

DAYS_SHOWN = 7


@dataclass
class SlotPage:
    days: "OrderedDict[dt.date, list]"
    window_end: dt.datetime | None
    fits_window: bool
    zone_name: str


def online_service_for(intake) -> Service | None:
    """The service the patient may book themselves for this intake, or None (protocol 7)."""
    decision = intake.current_decision
    if decision is None or decision.emergency_advice or decision.clinician_review:
        return None
    return Service.objects.filter(pathway=decision.pathway, bookable_online=True).first()


def target_window_end(intake) -> dt.datetime | None:
    if intake is None or intake.current_decision is None:
        return None
    return intake.created_at + STAFF_TARGET[intake.current_decision.urgency]


def patient_may_change(appointment) -> bool:
    """Patients cancel or move online until the cutoff (24 h by default) before the visit."""
    return (
        appointment.is_active
        and appointment.start - timezone.now() >= settings.BOOKING_CHANGE_CUTOFF
    )


def slot_page(*, intake, service, location, first_day: dt.date) -> SlotPage:
    slots = scheduling.available_slots(
        service=service,
        locations=[location],
        date_from=first_day,
        date_to=first_day + dt.timedelta(days=DAYS_SHOWN - 1),
    )
    days: OrderedDict[dt.date, list] = OrderedDict()
    for slot in slots:
        days.setdefault(slot.start.astimezone(location.zone).date(), []).append(slot)
    window_end = target_window_end(intake)
    fits = True
    if window_end is not None:
        # The first offered slot must lie inside the decision's target window (protocol 6).
        first = scheduling.available_slots(
            service=service,
            locations=[location],
            date_from=timezone.localdate(),
            date_to=window_end.astimezone(location.zone).date(),
        )
        fits = any(slot.start <= window_end for slot in first)
    return SlotPage(days, window_end, fits, timezone.now().astimezone(location.zone).tzname())
