"""Declining a referral, or returning it with advice, from the intake's page.

Both are clinical decisions (a triage clinician's, who may override), made with a reason the
patient is told; `triage.services` moves the referral through its table and records who, when
and why. The caller (`staff.intakes`) has checked scope (404 outside it) and permission.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from clinic.errors import NotAllowed
from clinic.models import InvalidTransition
from staff.forms import DeclineReferralForm, ReturnReferralForm
from triage import services

TEMPLATE = "admin/triage/intake/referral_action.html"


def _page(model_admin, request, intake, *, form_class, act, title, done, button):
    referral = services.open_referral(intake)
    form = form_class(request.POST or None)
    status = 200
    if referral is None:
        status = 409 if request.method == "POST" else 200
    elif form.is_bound:
        if form.is_valid():
            try:
                act(intake=intake, actor=request.user, **form.cleaned_data)
            except (NotAllowed, InvalidTransition) as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, done)
                return HttpResponseRedirect(reverse("admin:triage_intake_change", args=[intake.pk]))
        status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"{title} for {intake.first_name} {intake.last_name}",
        "action_name": title,
        "button": button,
        "intake": intake,
        "referral": referral,
        "form": form,
    }
    return TemplateResponse(request, TEMPLATE, context, status=status)


def decline_page(model_admin, request, intake):
    return _page(
        model_admin,
        request,
        intake,
        form_class=DeclineReferralForm,
        act=services.referral_decline,
        title="Decline the referral",
        done="The referral is declined and the intake closed. The patient is told why.",
        button="Decline the referral",
    )


def return_page(model_admin, request, intake):
    return _page(
        model_admin,
        request,
        intake,
        form_class=ReturnReferralForm,
        act=services.referral_return,
        title="Return the referral with advice",
        done="The referral is returned with advice. The patient is told what to do next.",
        button="Return with advice",
    )
