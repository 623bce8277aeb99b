"""What the patient's booking pages show: a week of the times `clinic.scheduling` offers the
intake (its target window, protocol section 6, is the scheduling domain's rule, as is which
intakes are booked online, protocol section 7), and whether the patient may still change a visit.
"""

import datetime as dt

from django.utils import timezone

from clinic import scheduling

DAYS_SHOWN = 7


def patient_may_change(appointment) -> bool:
    """Patients cancel or move online until the cutoff (24 h by default) before the visit,
    except what staff scheduled (scans and consults): those they ask us to change."""
    return (
        appointment.is_active
        and scheduling.online_change_refusal(appointment) is None
        and scheduling.before_change_cutoff(appointment, timezone.now())
    )


def slot_page(*, intake, service, location, first_day: dt.date) -> scheduling.Offers:
    """A week of free times from `first_day`, by local day, with the intake's window."""
    return scheduling.offers_for_intake(
        intake=intake, service=service, location=location, first_day=first_day, days=DAYS_SHOWN
    )
