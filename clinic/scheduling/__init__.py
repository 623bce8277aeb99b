"""Scheduling: which times are free, and booking, moving and closing appointments.

No HTTP and no templates here; the pages, the admin and the API all call these functions.

- `availability`: `available_slots` (the one source of free times), target windows, alternatives.
- `rules`: who may book what (protocol section 7).
- `booking`: `appointment_book`, `appointment_cancel`, `appointment_reschedule`,
  `appointment_set_status`.
- `waitlist`: `waitlist_join` and the offer of a freed time.
"""

from clinic.errors import NotAllowed
from clinic.models import InvalidTransition
from clinic.scheduling.availability import (
    Slot,
    available_slots,
    nearest_alternatives,
    slots_for_decision,
    target_window_end,
)
from clinic.scheduling.booking import (
    SlotTaken,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_set_status,
)
from clinic.scheduling.rules import check_booking_allowed
from clinic.scheduling.waitlist import offer_to_waitlist, waitlist_join

__all__ = [
    "InvalidTransition",
    "NotAllowed",
    "Slot",
    "SlotTaken",
    "appointment_book",
    "appointment_cancel",
    "appointment_reschedule",
    "appointment_set_status",
    "available_slots",
    "check_booking_allowed",
    "nearest_alternatives",
    "offer_to_waitlist",
    "slots_for_decision",
    "target_window_end",
    "waitlist_join",
]
