"""Who may book what (protocol section 7), shared by booking, the waitlist, the pages and the API.

`online_refusal` is the one predicate for "may the patient book this decision online":
`online_service_for` (what the pages and the API offer) and `check_booking_allowed` (what a
booking may be) both ask it.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

from clinic.errors import NotAllowed
from clinic.models import Appointment, AppointmentStatus, Service
from triage.models import Intake, Pathway, Urgency

# Protocol section 7: the only pathway a patient books online; the others are scheduled by staff.
ONLINE_PATHWAYS = frozenset({Pathway.PHYSIO})


# Refusals are translated when made (`gettext` at call time), so a patient reads them in the
# language of their request.
def _emergency_online() -> str:
    return gettext(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "Your answers need urgent medical attention: please go to an emergency department now. "
        "Appointments can be booked after our staff have reviewed your case."
    )


def _review_online() -> str:
    return gettext(
        "A clinician needs to look at your answers before anything is booked. We will contact "
        "you within 1 working day."
    )


def online_refusal(decision) -> str | None:
    """Why a patient may not book online for this triage decision (a patient-readable
    sentence), or None when they may (protocol section 7)."""
    if decision is None:
        return gettext(
            "Please answer the back-pain questions first, so we can offer the right appointment."
        )
    if decision.urgency == Urgency.EMERGENCY:
        return _emergency_online()
    if decision.clinician_review:
        return _review_online()
    if decision.pathway == Pathway.SELF_CARE:
        return gettext(
            "Your plan is self-care, so no appointment is needed. If things are not better in "
            "two weeks, we will check in with you."
        )
    if decision.pathway not in ONLINE_PATHWAYS:
        return gettext(
            "Our staff will schedule this appointment for you and let you know the time."
        )
    return None


def staff_scheduled(appointment) -> bool:
    """Scans and consults are scheduled by staff (protocol section 7), and so are moved or
    cancelled by staff: a patient asks us, never changes them online."""
    return not appointment.service.bookable_online


def online_change_refusal(appointment) -> str | None:
    """Why the patient may not move or cancel this appointment online, or None."""
    if staff_scheduled(appointment):
        return gettext(
            "%(service)s is scheduled by our staff, so it cannot be changed online. Please call "
            "%(place)s on %(phone)s."
        ) % {
            "service": appointment.service.patient_name,
            "place": appointment.location.name,
            "phone": appointment.location.phone,
        }
    return None


def before_change_cutoff(appointment, now: datetime) -> bool:
    """Whether a patient may still change this visit online by the clock: until
    BOOKING_CHANGE_CUTOFF before it starts (the confirmation says which applies)."""
    return appointment.start - now >= settings.BOOKING_CHANGE_CUTOFF


def availability_clock(now: datetime, *, by_staff: bool) -> datetime:
    """The `now` to ask `available_slots` with. Patients book at least BOOKING_MIN_NOTICE ahead;
    staff (a patient on the phone who can come in within the hour) from now on, never in the
    past: asking with the clock moved back by the notice makes the earliest time now itself.
    The other bounds move back too, so staff reach BOOKING_MAX_ADVANCE less the notice."""
    return now - settings.BOOKING_MIN_NOTICE if by_staff else now


def online_service_for(intake: Intake | None) -> Service | None:
    """The service the patient may book themselves for this intake, or None (protocol 7)."""
    decision = intake.current_decision if intake is not None else None
    if online_refusal(decision) is not None:
        return None
    return Service.objects.filter(pathway=decision.pathway, bookable_online=True).first()


def intake_for_booking(*, patient, service) -> Intake | None:
    """The intake a booking made for `patient` (by staff, without naming one) belongs to: their
    latest open intake on the service's pathway not yet booked for the service, so it is marked
    scheduled and its referral kept in step; None when there is none (a follow-up visit).
    `check_booking_allowed` then applies that intake's decision (an emergency or a case for
    review is refused)."""
    return (
        Intake.objects.filter(patient=patient, current_decision__pathway=service.pathway)
        .exclude(status=Intake.Status.CLOSED)
        .exclude(
            Exists(
                Appointment.objects.filter(
                    intake=OuterRef("pk"), service=service, status=AppointmentStatus.BOOKED
                )
            )
        )
        .select_related("current_decision")
        .order_by("-created_at")
        .first()
    )


def check_booking_allowed(*, patient, intake: Intake | None, service, online: bool) -> None:
    """Raise NotAllowed (with a patient-readable message) unless this booking may be made.

    Protocol section 7: physiotherapy is booked online; imaging and surgical consults only by
    staff; self-care needs no appointment; an emergency is not booked at all until staff have
    reviewed it and changed its urgency, and a case flagged for clinician review (R9-R11) is not
    booked online. The intake must belong to the patient; `patient=None` asks about an intake
    whose patient record staff have yet to make (`patients.services.patient_for_intake`).
    """
    if intake is not None and patient is not None and intake.patient_id != patient.pk:
        raise NotAllowed(gettext("This questionnaire belongs to another account."))
    if intake is not None and intake.status == Intake.Status.CLOSED:
        raise NotAllowed(
            gettext(
                "This questionnaire is closed. Please answer the back-pain questions again so we "
                "can offer the right appointment."
            )
        )
    decision = intake.current_decision if intake is not None else None
    if decision is not None and decision.urgency == Urgency.EMERGENCY:
        if online:
            raise NotAllowed(_emergency_online())
        raise NotAllowed(
            gettext(
                "This case is marked as an emergency. A clinician must review it and change its "
                "urgency before an appointment is booked."
            )
        )
    if decision is not None and decision.clinician_review:
        # Rules R9-R11: not booked by anyone, staff included, until a clinician has reviewed it.
        raise NotAllowed(
            _review_online()
            if online
            else gettext(
                "A clinician must review this case (agree or override) before it is booked."
            )
        )
    if not online:
        return
    if not service.bookable_online:
        raise NotAllowed(
            gettext("%(service)s is scheduled by our staff; we will contact you with a time.")
            % {"service": service.patient_name}
        )
    refusal = online_refusal(decision)
    if refusal is not None:
        raise NotAllowed(refusal)
    if service.pathway != decision.pathway:
        raise NotAllowed(
            gettext("This service does not match your care plan; please choose another.")
        )
