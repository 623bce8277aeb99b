"""The waitlist offer page: the signed link in the offer message opens it, for its patient only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from clinic import links, scheduling
from clinic.errors import NotAllowed
from clinic.models import WaitlistOffer
from patients import selectors


@login_required
def offer(request, token):
    """GET shows the held time and a button (mail scanners follow links: a GET books nothing);
    POST books it. Another account's offer, or a forged link, is a 404."""
    public_id = links.waitlist_offer_id_from_token(token)
    if public_id is None:
        raise Http404("This link has expired or is not valid.")
    try:
        held = scheduling.offer_of(public_id=public_id, user=request.user)
    except (WaitlistOffer.DoesNotExist, ValueError) as missing:
        raise Http404("This offer was not found.") from missing
    selectors.record_access(
        selectors.Access.of(request),
        patient_id=held.entry.patient_id,
        object_type="waitlist offer",
        object_id=held.public_id,
    )
    context = {"offer": held, "refusal": scheduling.offer_refusal(held)}
    if request.method == "POST":
        try:
            appointment = scheduling.offer_accept(offer=held, user=request.user)
        except (NotAllowed, scheduling.SlotTaken) as refused:
            context["refusal"] = str(refused)
            return render(request, "patients/waitlist_offer.html", context, status=409)
        messages.success(request, "Your appointment is booked. We have sent a confirmation.")
        return redirect("patients:appointment", public_id=appointment.public_id)
    return render(request, "patients/waitlist_offer.html", context)
