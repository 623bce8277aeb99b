"""Accepting a held waitlist offer: it books through `appointment_book`, so every booking rule
and the no-overlap guarantee apply, and the booking fulfils the entry. (A module of its own:
booking hands freed times to `waitlist`, and this one calls booking.)"""

from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext, pgettext

from clinic.errors import NotAllowed
from clinic.models import Appointment, WaitlistOffer
from clinic.scheduling.booking import appointment_book


def offer_of(*, public_id, user) -> WaitlistOffer:
    """The offer, if it was made to this signed-in patient; else WaitlistOffer.DoesNotExist."""
    return WaitlistOffer.objects.select_related(
        "entry__service", "entry__intake", "entry__patient", "location", "practitioner"
    ).get(public_id=public_id, entry__patient__user=user, entry__patient__user__is_active=True)


def offer_refusal(offer: WaitlistOffer, *, now=None) -> str | None:
    """Why this offer cannot be taken now, in words for the patient; None when it can."""
    now = now or timezone.now()
    if offer.state == WaitlistOffer.State.ACCEPTED:
        return gettext("You have booked this time. It is on your appointments page.")
    if offer.is_live(now) and offer.entry.fulfilled_at is None:
        return None
    if offer.entry.fulfilled_at is not None:
        return gettext(
            "Sorry, this offer has ended because you already have an appointment for it."
        )
    held_until = offer.expires_at.astimezone(offer.location.zone)
    return gettext(
        "Sorry, this offer has ended. We held the time for you until %(time)s. We will tell you "
        "if another time opens up."
    ) % {"time": dateformat.format(held_until, pgettext("date format", "g:i A T"))}


def offer_accept(*, offer: WaitlistOffer, user) -> Appointment:
    """Book the held time for its patient through `appointment_book`.

    Raises NotAllowed (the hold ran out, was taken or the booking rules refuse) or SlotTaken.
    Two taps at once are serialized on the offer's row: the second finds it accepted.
    """
    with transaction.atomic():
        offer = (
            WaitlistOffer.objects.select_for_update(of=("self",))
            .select_related("entry__service", "entry__intake", "entry__patient", "location")
            .get(pk=offer.pk)
        )
        if offer.entry.patient.user_id != user.pk:
            raise NotAllowed(gettext("This offer was made to another account."))
        refusal = offer_refusal(offer)
        if refusal is not None:
            raise NotAllowed(refusal)
        # Closed first: availability no longer counts the hold, so the holder may book it. If
        # the booking fails, the whole transaction rolls back and the hold stands.
        offer.state = WaitlistOffer.State.ACCEPTED
        offer.closed_at = timezone.now()
        offer.save(update_fields=["state", "closed_at"])
        appointment = appointment_book(
            patient=offer.entry.patient,
            service=offer.entry.service,
            location=offer.location,
            practitioner=offer.practitioner,
            start=offer.start,
            intake=offer.entry.intake,
            booked_by=user,
            online=True,
        )
        offer.appointment = appointment
        offer.save(update_fields=["appointment"])
    return appointment
