"""Scheduling: which times are free, and booking, moving and closing appointments.

No HTTP and no templates here; the pages, the admin and the API all call these functions.

- `availability`: `available_slots` (the one source of free times) and the nearest alternatives.
- `offers`: what an intake is offered (`offers_for_intake`): its target window (protocol
  section 6), the free times by local day, and the slot key they travel as.
- `rules`: who may book what (protocol section 7), `online_service_for` among it.
- `booking`: `appointment_book`, `appointment_cancel`, `appointment_reschedule`,
  `appointment_set_status`.
- `waitlist`: `waitlist_join`, freed times offered in turn with holds (`time_freed`,
  `holds_pass_on`); `waitlist_offers`: `offer_accept` and what the offer page shows.
- `change_requests`: a patient asks staff to change a visit they may not change online.
"""

from clinic.errors import NotAllowed
from clinic.models import InvalidTransition
from clinic.scheduling.availability import Slot, available_slots, nearest_alternatives
from clinic.scheduling.booking import (
    SlotTaken,
    UnknownPractitioner,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_set_status,
)
from clinic.scheduling.change_requests import (
    change_request_create,
    change_request_handle,
    open_change_request,
    what_happens_next,
)
from clinic.scheduling.offers import (
    OfferedSlot,
    Offers,
    SlotKey,
    offered_slot,
    offers_for_intake,
    parse_slot_key,
    slot_key,
    target_window_end,
    window_end_for,
)
from clinic.scheduling.rules import (
    availability_clock,
    before_change_cutoff,
    check_booking_allowed,
    intake_for_booking,
    online_change_refusal,
    online_refusal,
    online_service_for,
    staff_scheduled,
)
from clinic.scheduling.waitlist import (
    holds_pass_on,
    hours_added,
    time_freed,
    waitlist_join,
    weekly_hours_added,
)
from clinic.scheduling.waitlist_offers import offer_accept, offer_of, offer_refusal

__all__ = [
    "InvalidTransition",
    "NotAllowed",
    "OfferedSlot",
    "Offers",
    "Slot",
    "SlotKey",
    "SlotTaken",
    "UnknownPractitioner",
    "appointment_book",
    "appointment_cancel",
    "appointment_reschedule",
    "appointment_set_status",
    "availability_clock",
    "available_slots",
    "before_change_cutoff",
    "change_request_create",
    "change_request_handle",
    "check_booking_allowed",
    "holds_pass_on",
    "hours_added",
    "intake_for_booking",
    "nearest_alternatives",
    "offer_accept",
    "offer_of",
    "offer_refusal",
    "offered_slot",
    "offers_for_intake",
    "online_change_refusal",
    "online_refusal",
    "online_service_for",
    "open_change_request",
    "parse_slot_key",
    "slot_key",
    "staff_scheduled",
    "target_window_end",
    "time_freed",
    "waitlist_join",
    "weekly_hours_added",
    "what_happens_next",
    "window_end_for",
]
