"""A patient asks staff to change a visit they may not change online (protocol section 7).

The request lands on the staff queue; staff clear it by rescheduling or cancelling the visit
(`booking` calls `change_requests_resolve`) or by marking it handled. Each request and its
handling is a row the audit log records (auditlog registers ChangeRequest).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from clinic.errors import NotAllowed
from clinic.models import Appointment, ChangeRequest


def what_happens_next(appointment) -> str:
    """The one sentence a patient reads after asking (page and message)."""
    location = appointment.location
    return gettext(
        "Our team at %(place)s will call you within 1 working day to agree a new time or to "
        "cancel. Your appointment stays booked until then. If it is urgent, call %(place)s on "
        "%(phone)s."
    ) % {"place": location.name, "phone": location.phone}


def open_change_request(appointment) -> ChangeRequest | None:
    return appointment.change_requests.filter(state=ChangeRequest.State.OPEN).first()


@transaction.atomic
def change_request_create(
    *, appointment, actor, reason: str, preferred_times: str = "", via: str
) -> ChangeRequest:
    """Record the patient's request to change `appointment` (booked, not yet started).

    `actor` is the patient's account, or None when the request came through the appointment's
    signed link (the caller checked the link). Raises NotAllowed for a visit that is over, that
    belongs to another account, for a missing reason, or when a request is already open.
    """
    reason = (reason or "").strip()
    if not reason:
        raise NotAllowed(gettext("Tell us briefly why you need a change."))
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if actor is not None and appointment.patient.user_id != actor.pk:
        raise NotAllowed(gettext("This appointment belongs to another account."))
    if not appointment.is_active or appointment.start <= timezone.now():
        raise NotAllowed(gettext("This appointment can no longer be changed."))
    if open_change_request(appointment) is not None:
        raise NotAllowed(
            gettext("We already have your request for this appointment.")
            + " "
            + what_happens_next(appointment)
        )
    try:
        with transaction.atomic():
            return ChangeRequest.objects.create(
                appointment=appointment,
                reason=reason[:500],
                preferred_times=(preferred_times or "").strip()[:300],
                requested_by=actor,
                via=via[:40],
            )
    except IntegrityError as error:  # a second request in the same instant
        raise NotAllowed(gettext("We already have your request for this appointment.")) from error


def _handle(request: ChangeRequest, *, actor, resolution: str) -> ChangeRequest:
    request.check_transition(ChangeRequest.State.HANDLED)
    request.state = ChangeRequest.State.HANDLED
    request.handled_by = actor
    request.handled_at = timezone.now()
    request.resolution = resolution[:300]
    request.save(update_fields=["state", "handled_by", "handled_at", "resolution"])
    return request


@transaction.atomic
def change_request_handle(*, change_request: ChangeRequest, actor, resolution: str = ""):
    """Staff mark a request handled (e.g. the patient called back and kept the time).

    Raises NotAllowed for non-staff, InvalidTransition when it was handled already."""
    if not getattr(actor, "is_staff", False):
        raise NotAllowed(gettext("Only staff handle change requests."))
    change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    return _handle(
        change_request, actor=actor, resolution=(resolution or "").strip() or "Marked handled."
    )


def change_requests_resolve(*, appointment, actor, resolution: str) -> int:
    """Staff changed the visit (moved or cancelled it): its open request is answered. Called
    inside the booking service's transaction."""
    resolved = 0
    for request in appointment.change_requests.select_for_update().filter(
        state=ChangeRequest.State.OPEN
    ):
        _handle(request, actor=actor, resolution=resolution)
        resolved += 1
    return resolved
